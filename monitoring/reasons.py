"""The one table of sign-in outcomes (issue 13): each failure the sign-in log records, with its
error code and the reason an admin reads. docs/sign-in-log.md prints this table; a test causes
each entry and finds it in the log (tests/monitoring/test_failure_reasons.py).

Codes are Entra's (AADSTS numbers, as its sign-in log shows them) where Entra has one for the
same failure, so a support team's runbooks carry over; ours, in the 9_0xx_xxx range Entra does
not use, where it has none. A reason is never shown to the customer: the hosted pages answer a
wrong password, an unknown account and a locked one alike (protection/lockout.py); only the log
tells them apart.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Reason(StrEnum):
    """What became of a sign-in attempt (the log's `reason`)."""

    SUCCESS = "success"
    WRONG_PASSWORD = "wrong_password"
    NO_ACCOUNT = "no_account"
    LOCKED = "locked"
    BLOCKED_ACCOUNT = "blocked_account"
    SOURCE_THROTTLED = "source_throttled"
    CODE_FAILED = "code_failed"
    MFA_FAILED = "mfa_failed"
    POLICY_BLOCKED = "policy_blocked"
    MFA_UNAVAILABLE = "mfa_unavailable"
    PROVIDER_FAILED = "provider_failed"
    CODE_INVALID = "code_invalid"
    PKCE_FAILED = "pkce_failed"
    CLIENT_AUTHENTICATION_FAILED = "client_authentication_failed"
    REFRESH_TOKEN_INVALID = "refresh_token_invalid"
    EXTENSION_BLOCKED = "extension_blocked"
    EXTENSION_FAILED = "extension_failed"


@dataclass(frozen=True)
class Outcome:
    code: int
    summary: Promise


OUTCOMES: dict[Reason, Outcome] = {
    Reason.SUCCESS: Outcome(0, _("Success")),
    Reason.WRONG_PASSWORD: Outcome(50126, _("Invalid username or password")),
    Reason.NO_ACCOUNT: Outcome(50034, _("No account has this email address")),
    Reason.LOCKED: Outcome(50053, _("Account locked by smart lockout")),
    Reason.BLOCKED_ACCOUNT: Outcome(50057, _("Account blocked by an admin")),
    Reason.SOURCE_THROTTLED: Outcome(
        9_001_001, _("Source throttled: too many failed passwords from its address or network")
    ),
    Reason.CODE_FAILED: Outcome(50181, _("Wrong or expired one-time code")),
    Reason.MFA_FAILED: Outcome(500121, _("Second factor failed")),
    Reason.POLICY_BLOCKED: Outcome(53003, _("Blocked by conditional access")),
    Reason.MFA_UNAVAILABLE: Outcome(
        50079, _("Two factors required, but the customer has no second factor to use")
    ),
    Reason.PROVIDER_FAILED: Outcome(9_001_002, _("The identity provider's answer was refused")),
    Reason.CODE_INVALID: Outcome(
        70008, _("Authorization code invalid, expired or already redeemed")
    ),
    Reason.PKCE_FAILED: Outcome(501481, _("The code verifier does not match the code challenge")),
    Reason.CLIENT_AUTHENTICATION_FAILED: Outcome(7000215, _("Client authentication failed")),
    Reason.REFRESH_TOKEN_INVALID: Outcome(70008, _("Refresh token invalid, expired or revoked")),
    Reason.EXTENSION_BLOCKED: Outcome(9_001_003, _("Blocked by a custom authentication extension")),
    Reason.EXTENSION_FAILED: Outcome(
        9_001_004,
        _("A custom authentication extension failed and its listener stops the sign-in"),
    ),
}


def outcome_of(reason: Reason) -> Outcome:
    return OUTCOMES[reason]
