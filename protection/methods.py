"""Authentication methods (schema: the tenant's): which second factors the tenant offers, which
of them may serve a given sign-in, and a customer's enrolled factors (allauth.mfa's
Authenticator rows), read, or all removed by an admin.

Entra's rule: the emailed one-time passcode cannot be the second factor of a sign-in whose
first factor was an emailed code (a code flow's sign-in or sign-up): the same mailbox twice is
one factor. Such a sign-in is offered only the authenticator app and passkeys; with neither
enabled it cannot complete a second factor, which the admin page warns about.
"""

from dataclasses import dataclass
from enum import StrEnum

from allauth.mfa.models import Authenticator
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from protection.models import AuthenticationMethodsPolicy


class SecondFactor(StrEnum):
    """A kind of second factor, as the tenant enables it and the customer uses it."""

    EMAIL_OTP = "email_otp"
    TOTP = "totp"
    PASSKEY = "passkey"


# What each kind is in allauth.mfa's table (the emailed code has no row: the address is the
# customer's own, verified).
_AUTHENTICATOR_TYPE = {
    SecondFactor.TOTP: Authenticator.Type.TOTP,
    SecondFactor.PASSKEY: Authenticator.Type.WEBAUTHN,
}


def authentication_methods_policy_update(
    *, email_otp_enabled: bool, totp_enabled: bool, passkeys_enabled: bool
) -> AuthenticationMethodsPolicy:
    """Set which second factors the tenant offers; the one row is made on the first save.

    Turning a method off stops it being offered or accepted at the next sign-in; the customers'
    enrolled authenticators stay, and serve again if it is turned back on.
    """
    with transaction.atomic():
        policy, _created = AuthenticationMethodsPolicy.objects.select_for_update().get_or_create(
            singleton=True
        )
        policy.email_otp_enabled = email_otp_enabled
        policy.totp_enabled = totp_enabled
        policy.passkeys_enabled = passkeys_enabled
        policy.updated_at = timezone.now()
        policy.save()
    return policy


def enabled_second_factors(
    policy: AuthenticationMethodsPolicy, *, first_factor_emailed: bool
) -> tuple[SecondFactor, ...]:
    """The kinds the tenant accepts as this sign-in's second factor, in the order offered:
    passkeys, the authenticator app, then the emailed code (never after an emailed code)."""
    kinds: list[SecondFactor] = []
    if policy.passkeys_enabled:
        kinds.append(SecondFactor.PASSKEY)
    if policy.totp_enabled:
        kinds.append(SecondFactor.TOTP)
    if policy.email_otp_enabled and not first_factor_emailed:
        kinds.append(SecondFactor.EMAIL_OTP)
    return tuple(kinds)


@dataclass(frozen=True)
class CustomerFactors:
    """What a customer enrolled: an authenticator app, passkeys (their names), and how many
    recovery codes are left unused (None without recovery codes)."""

    totp: bool
    passkeys: tuple[str, ...]
    recovery_codes_left: int | None

    def enrolled(self) -> frozenset[SecondFactor]:
        kinds = set()
        if self.totp:
            kinds.add(SecondFactor.TOTP)
        if self.passkeys:
            kinds.add(SecondFactor.PASSKEY)
        return frozenset(kinds)

    @property
    def any(self) -> bool:
        return bool(self.totp or self.passkeys or self.recovery_codes_left is not None)


def customer_factors(*, customer: User) -> CustomerFactors:
    """The customer's enrolled factors (call in the tenant's schema)."""
    totp = False
    passkeys: list[str] = []
    recovery_codes_left: int | None = None
    for authenticator in Authenticator.objects.filter(user=customer).order_by("created_at"):
        if authenticator.type == Authenticator.Type.TOTP:
            totp = True
        elif authenticator.type == Authenticator.Type.WEBAUTHN:
            passkeys.append(authenticator.wrap().name)
        elif authenticator.type == Authenticator.Type.RECOVERY_CODES:
            recovery_codes_left = len(authenticator.wrap().get_unused_codes())
    return CustomerFactors(
        totp=totp, passkeys=tuple(passkeys), recovery_codes_left=recovery_codes_left
    )


def authenticator_type(kind: SecondFactor) -> str | None:
    """allauth.mfa's authenticator type of a kind; None for the emailed code, which has none."""
    return _AUTHENTICATOR_TYPE.get(kind)


def customer_mfa_reset(*, customer: User) -> int:
    """Remove every authenticator of the customer (authenticator app, passkeys, recovery
    codes), as an admin does for a customer who lost them; returns how many rows went. The
    customer enrols again at the next sign-in that requires a second factor."""
    deleted, _by_model = Authenticator.objects.filter(user=customer).delete()
    return int(deleted)
