"""What a sign-in's second-factor step is, decided once its first factor is proved.

The order of the rules:

1. A conditional access decision to block wins: the sign-in ends on a "blocked" page.
2. A customer who enrolled an authenticator app or a passkey (of a kind the tenant still
   enables) is asked for it at every sign-in, required or not: they chose to protect the
   account, as allauth, Google and GitHub do; recovery codes stand in for it. The emailed code
   is not offered beside it: a chosen authenticator is not to be bypassed by the mailbox.
3. Otherwise a second factor is asked only when required, by a policy (`require_mfa`) or by the
   app (`acr_values`, an `acr` claim): the emailed code, or setting up an authenticator app or
   a passkey, whichever the tenant enables for this sign-in (never the emailed code after an
   emailed code, Entra's rule: protection.methods).
4. Required and nothing can serve: a policy's requirement ends the sign-in on a page that says
   so; an app's essential request is answered `unmet_authentication_requirements`; an app's
   voluntary request lets the sign-in end with one factor (`acr` says so: OIDC Core §3.1.2.1).

The first factor, for `amr` and for Entra's rule: a password (`pwd`), an emailed code (`otp`),
an identity provider (`fed`: handled as any first factor; the provider's own second factor,
which this server cannot verify, does not count). A sign-up proves the address with an emailed
code; in a password flow it also chooses the password, and where the tenant accepts the emailed
code as a second factor that sign-up already has two (`pwd`, `otp`, `mfa`): nobody is sent a
second code a minute after the first.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.models import Login
from django.http import HttpRequest

from apps.oidc.acr import FEDERATED, ONE_TIME_CODE, PASSWORD
from protection.access import AccessDecision
from protection.methods import CustomerFactors, SecondFactor, enabled_second_factors
from protection.models import AuthenticationMethodsPolicy

# allauth's record of each first factor proved in the session (record_authentication).
_FIRST_FACTOR_RECORDS = {"password": PASSWORD, "code": ONE_TIME_CODE, "socialaccount": FEDERATED}


@dataclass(frozen=True)
class FirstFactor:
    """What the sign-in proved before its second-factor step: its `amr` values, whether it was
    an emailed code (then no emailed code may follow), and whether it already counts as two
    factors (a password flow's sign-up, above)."""

    methods: tuple[str, ...]
    emailed: bool
    two_factors: bool = False


def first_factor_of(
    request: HttpRequest, login: Login, *, policy: AuthenticationMethodsPolicy, code_flow: bool
) -> FirstFactor:
    """The first factor of the sign-in `login` under way: the last one allauth recorded in the
    session for its account (a fresh sign-in of the same account appends to the earlier
    sign-in's records), or, for a sign-up here, the emailed code that verified the address."""
    last = recorded_first_factor(request, login.user)
    if last == FEDERATED:
        return FirstFactor(methods=(FEDERATED,), emailed=False)
    if login.signup:
        if code_flow:
            return FirstFactor(methods=(ONE_TIME_CODE,), emailed=True)
        return FirstFactor(
            methods=(PASSWORD, ONE_TIME_CODE), emailed=True, two_factors=policy.email_otp_enabled
        )
    if last == ONE_TIME_CODE:
        return FirstFactor(methods=(ONE_TIME_CODE,), emailed=True)
    if last == PASSWORD:
        return FirstFactor(methods=(PASSWORD,), emailed=False)
    return FirstFactor(methods=(), emailed=False)


def recorded_first_factor(request: HttpRequest, user: Any) -> str | None:
    """The `amr` value of the last first factor allauth recorded in the session for the
    account, None when it recorded none."""
    recorded = [
        _FIRST_FACTOR_RECORDS[record["method"]]
        for record in get_authentication_records(request, user)
        if record.get("method") in _FIRST_FACTOR_RECORDS
    ]
    return recorded[-1] if recorded else None


class StepKind(StrEnum):
    NONE = "none"  # nothing to ask
    BLOCK = "block"  # a policy blocks the sign-in
    CHALLENGE = "challenge"  # verify an enrolled factor (or the emailed code)
    ENROL = "enrol"  # choose: the emailed code, or set up an app or a passkey
    UNMET_BY_POLICY = "unmet_by_policy"  # required by a policy, nothing can serve
    UNMET_FOR_APP = "unmet_for_app"  # required by the app's essential claim, nothing can serve


@dataclass(frozen=True)
class SecondFactorStep:
    kind: StepKind
    offered: tuple[SecondFactor, ...] = ()


def second_factor_step(
    *,
    decision: AccessDecision,
    mfa_asked: bool,
    mfa_essential: bool,
    policy: AuthenticationMethodsPolicy,
    factors: CustomerFactors,
    first: FirstFactor,
) -> SecondFactorStep:
    """The step, by the rules above."""
    if decision.block:
        return SecondFactorStep(StepKind.BLOCK)
    if first.two_factors:
        return SecondFactorStep(StepKind.NONE)
    allowed = enabled_second_factors(policy, first_factor_emailed=first.emailed)
    enrolled = tuple(kind for kind in allowed if kind in factors.enrolled())
    if enrolled:
        return SecondFactorStep(StepKind.CHALLENGE, enrolled)
    if not (decision.require_mfa or mfa_asked):
        return SecondFactorStep(StepKind.NONE)
    if allowed == (SecondFactor.EMAIL_OTP,):
        return SecondFactorStep(StepKind.CHALLENGE, allowed)
    if allowed:
        return SecondFactorStep(StepKind.ENROL, allowed)
    if decision.require_mfa:
        return SecondFactorStep(StepKind.UNMET_BY_POLICY)
    if mfa_essential:
        return SecondFactorStep(StepKind.UNMET_FOR_APP)
    return SecondFactorStep(StepKind.NONE)
