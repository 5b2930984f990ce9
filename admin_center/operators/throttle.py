"""Failed admin-center sign-ins are limited, per address and per account, as customers' are.

Customers' sign-in uses allauth's `login_failed` limits (ACCOUNT_RATE_LIMITS): every attempt
is counted before the password is checked, a successful one takes its count back (rather than
clearing the history, so an attacker cannot slip a known good sign-in between guesses), and the
counts live in Django's cache, shared by every worker. Operators' attempts go through the same
machinery (allauth's rate limiter, app "admin_center"), with three limits:

1. per address, whatever the account: 10 failures a minute (allauth's per-IP rate), so one
   address cannot spray guesses over many operators;
2. per account from one address: 5 failures in 5 minutes. An attacker who exhausts it locks
   only their own address out of that account: the operator, from their own address, still
   gets in;
3. per account from browsers the operator never signed in with: 20 failures an hour, so guesses
   spread over many addresses stop too. A browser where the operator signed in before carries a
   signed device cookie naming them and is not held by this limit (OWASP's "device cookies"),
   so a distributed attack cannot lock the operator out of the browser they use.

An attempt over a limit is refused before the password is checked.
"""

from dataclasses import dataclass, field

from allauth.core.internal import ratelimit
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts.models import User

_APP = "admin_center"
_BY_ADDRESS = "sign_in_failed"
_BY_ACCOUNT = "sign_in_failed_from_new_browsers"
RATE_LIMITS = {
    # Per address (allauth's "ip"), and per account from that address (the key).
    _BY_ADDRESS: "10/m/ip,5/5m/key",
    # Per account (the key), from browsers without the operator's device cookie.
    _BY_ACCOUNT: "20/h/key",
}

DEVICE_COOKIE = "ciam_admin_device"
_DEVICE_SALT = "admin_center.operators.device"
DEVICE_COOKIE_DAYS = 180


@dataclass
class SignInAttempt:
    """One attempt to sign in as `email`, counted against the limits when it began."""

    allowed: bool
    _usages: list[ratelimit.RateLimitUsage] = field(default_factory=list)

    def succeeded(self) -> None:
        """Take the attempt's counts back: only failures count."""
        for usage in self._usages:
            usage.rollback()


def _account(email: str) -> str:
    return email.strip().lower()


def _known_device(request: HttpRequest, account: str) -> bool:
    """Whether this browser carries a device cookie from a sign-in as this account."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    try:
        named = signing.loads(value, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_DAYS * 86_400)
    except signing.BadSignature:
        return False
    return isinstance(named, str) and named == account


def sign_in_attempt_begin(*, request: HttpRequest, email: str) -> SignInAttempt:
    """Count an attempt to sign in as `email` against the limits; `allowed` is False (and
    nothing is counted) when one of them is spent."""
    account = _account(email)
    address = ratelimit.get_ip(request)
    checks = [(_BY_ADDRESS, f"{account} {address}")]
    if not _known_device(request, account):
        checks.append((_BY_ACCOUNT, account))
    usages: list[ratelimit.RateLimitUsage] = []
    for action, key in checks:
        usage = ratelimit.consume(
            request, app=_APP, action=action, config=RATE_LIMITS, key=key, limit_get=True
        )
        if usage is None:
            for spent in usages:
                spent.rollback()
            return SignInAttempt(allowed=False)
        usages.append(usage)
    return SignInAttempt(allowed=True, _usages=usages)


def device_cookie_set(*, response: HttpResponse, operator: User) -> None:
    """Mark the browser as one the operator signs in with (after a successful sign-in)."""
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(_account(operator.email), salt=_DEVICE_SALT),
        max_age=DEVICE_COOKIE_DAYS * 86_400,
        path=reverse("admin_center:home"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
