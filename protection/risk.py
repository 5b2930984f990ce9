"""Password-spray detection and each sign-in's risk level (issue 12).

A password spray tries a few common passwords against many accounts, staying under every
account's lockout. So failed passwords are also counted per *source*: the client's address
(`protection.limits.client_address`: an IPv6 client by its /64) and its network (the /24 of an
IPv4 address; an IPv6 client's /64 is already its network), over the distinct accounts they
touched in a window (CIAM_SPRAY_WINDOW_SECONDS, 15 minutes from the source's first failure).
The response is graduated, as Entra's is ("raise the source's risk and throttle it"):

1. **Throttled.** A source whose failures reach CIAM_SPRAY_THROTTLE_ACCOUNTS accounts (10) is
   throttled for a window: its password sign-ins are limited to CIAM_SPRAY_THROTTLE_PER_SECOND
   a second (1; counted for its network when the network is throttled, else for the address),
   those past the rate answered 429 with `Retry-After` before any password is checked, and its
   risk is medium. A customer who shares the network still signs in within the rate.
2. **Marked as spraying.** A source whose failures reach CIAM_SPRAY_ACCOUNTS_PER_ADDRESS
   accounts (20), or a network CIAM_SPRAY_ACCOUNTS_PER_NETWORK (50), is marked for
   CIAM_SPRAY_MARK_SECONDS (an hour). While marked:
   - **its password sign-ins are refused with a 429** (`password_sign_in_refusal`), before
     any password is checked. Not answered as a wrong password: the refusal depends only on
     the source, never on the account, so it tells an attacker nothing about any account; it
     spends no password hash on the attack (the CPU every other sign-in and tenant shares);
     and a customer who shares the network hears the truth (wait, or sign in by emailed code
     or an identity provider) instead of being told that their right password is wrong;
   - **its risk is high** (`sign_in_risk`), so conditional access can block, or ask a second
     factor of, what still signs in from there (an emailed code, an identity provider).

Both refusals are answered as early as they can be: `PasswordSprayMiddleware`, right after the
request guard, refuses a password posted to the sign-in page before the session, CSRF,
allauth's limits and the form are read, so that a refusal costs one read of the shared cache
(two for a throttled source: its rate is counted) and no more; the adapter's `pre_authenticate`
asks the same of every other password check, never twice for one request.

Many attempts on each account are smart lockout's to stop (protection/lockout.py); a source
failing on many accounts is a spray here whatever the attempts on each.

Everything lives in the shared cache (Redis, or the PostgreSQL table), per tenant (the keys
name its schema), the addresses, networks and accounts as keyed hashes only.
"""

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from monitoring.models import SignInKind
from monitoring.reasons import Reason
from monitoring.records import SignInRecord, sign_in_record
from protection.access import RiskLevel, address_parse
from protection.limits import client_address, keyed_digest, shared_count
from tenants.endpoints import tenant_path
from tenants.errors import too_many_requests
from tenants.schemas import current_schema_name

logger = logging.getLogger(__name__)
# RFC 8176's `amr` for a password, as the log's methods hold it (apps/oidc/acr.py).
PASSWORD_AMR = "pwd"

ADDRESS, NETWORK = "a", "n"
# An address whose failures touched this many accounts in the window, short of spraying, or one
# account that failed this many times from the address, makes a sign-in from it medium risk.
MEDIUM_ACCOUNTS = 3
MEDIUM_FAILURES = 5
# On a request whose password attempt the spray gate let through (and counted).
_LET_THROUGH = "_ciam_password_attempt_let_through"


def _now() -> float:
    return time.time()


def network_of(address: str) -> str:
    """The network a spray is also counted for: the /24 of an IPv4 address, the /64 of IPv6."""
    parsed = address_parse(address)
    if parsed is None:
        return address
    prefix = 24 if isinstance(parsed, ipaddress.IPv4Address) else 64
    return str(ipaddress.ip_network((parsed, prefix), strict=False))


@dataclass(frozen=True)
class _Source:
    """An address or network failed passwords are counted for."""

    kind: str  # ADDRESS or NETWORK
    name: str  # the address or network, for the log only
    digest: str  # its keyed hash, in the keys
    throttled_at: int  # accounts
    marked_at: int  # accounts

    def key(self, *parts: str) -> str:
        return _key(self.kind, self.digest, *parts)


def _sources(request: HttpRequest) -> list[_Source]:
    """The request's address and, for IPv4, its /24 (an IPv6 client's address is already its
    /64); none without an address."""
    address = client_address(request)
    if address is None:
        return []
    throttled_at = settings.CIAM_SPRAY_THROTTLE_ACCOUNTS
    sources = [
        _Source(
            ADDRESS,
            address,
            keyed_digest(address),
            throttled_at,
            settings.CIAM_SPRAY_ACCOUNTS_PER_ADDRESS,
        )
    ]
    if isinstance(address_parse(address), ipaddress.IPv4Address):
        network = network_of(address)
        sources.append(
            _Source(
                NETWORK,
                network,
                keyed_digest(network),
                throttled_at,
                settings.CIAM_SPRAY_ACCOUNTS_PER_NETWORK,
            )
        )
    return sources


def _account(email: str) -> str:
    return keyed_digest(f"account\n{email.strip().lower()}")


def _key(kind: str, source: str, *parts: str) -> str:
    return ":".join(("protection", "spray", kind, source, *parts))


def _account_failures_key(account: str) -> str:
    return f"protection:spray:account:{account}"


def password_failure_record(*, request: HttpRequest, email: str) -> None:
    """Count a failed password sign-in for `email` (whether or not an account has it, so that
    nothing here depends on which exist) from the request's source (call in the tenant's
    schema). The first failure on an account from a source in the window adds one to the
    source's accounts; the one that reaches a threshold throttles the source, or marks it as
    spraying."""
    window = settings.CIAM_SPRAY_WINDOW_SECONDS
    account = _account(email)
    for source in _sources(request):
        if shared_count(source.key("account", account), seconds=window) > 1:
            continue
        accounts = shared_count(source.key("accounts"), seconds=window)
        # Once per throttle and per mark: the refusals that follow are not logged one by one.
        if accounts == source.throttled_at:
            cache.set(source.key("throttled"), _now() + window, timeout=window)
            logger.warning(
                "Password spray suspected from %s in schema %s: failed passwords on %s accounts "
                "within %s s; its password sign-ins are limited to %s a second for %s s.",
                source.name,
                current_schema_name(),
                accounts,
                window,
                settings.CIAM_SPRAY_THROTTLE_PER_SECOND,
                window,
            )
        if accounts == source.marked_at:
            marked_for = settings.CIAM_SPRAY_MARK_SECONDS
            cache.set(source.key("spraying"), _now() + marked_for, timeout=marked_for)
            logger.warning(
                "Password spray from %s in schema %s: failed passwords on %s accounts within "
                "%s s; its password sign-ins are refused for %s s.",
                source.name,
                current_schema_name(),
                accounts,
                window,
                marked_for,
            )
    shared_count(_account_failures_key(account), seconds=window)


def _seconds_left(found: dict[str, object], marks: list[str]) -> int | None:
    """Whole seconds until the last of the found marks ends, or None when none is in force."""
    now = _now()
    until = max((float(str(found[key])) for key in marks if key in found), default=now)
    return math.ceil(until - now) if until > now else None


def password_sign_in_refusal(request: HttpRequest) -> HttpResponse | None:
    """The 429 that refuses a password sign-in from a source marked as spraying (`Retry-After`
    until the mark ends), or from a throttled one past its rate this second (`Retry-After: 1`);
    None for any other, and the throttled source's attempt is counted (call in the tenant's
    schema, before the password is checked). One read of the shared cache, a second to count
    a throttled source's attempt. Asked once per request: a request already let through (by
    `PasswordSprayMiddleware`) is not counted again when the adapter asks."""
    if getattr(request, _LET_THROUGH, False):
        return None
    sources = _sources(request)
    marks = [source.key("spraying") for source in sources]
    found = cache.get_many([*marks, *(source.key("throttled") for source in sources)])
    seconds = _seconds_left(found, marks)
    if seconds is not None:
        return too_many_requests(request, retry_after=seconds, sign_in_throttled=True)
    throttled = [source for source in sources if source.key("throttled") in found]
    if throttled:
        # The broadest source throttled (the network holds the address): one count.
        source = throttled[-1]
        second = str(int(_now()))
        if shared_count(source.key("rate", second), seconds=2) > (
            settings.CIAM_SPRAY_THROTTLE_PER_SECOND
        ):
            return too_many_requests(request, retry_after=1, sign_in_throttled=True)
    setattr(request, _LET_THROUGH, True)
    return None


class PasswordSprayMiddleware:
    """Refuses a password posted to a tenant's sign-in page from a throttled or spraying source
    (`password_sign_in_refusal`) right after the request guard, before the session, CSRF,
    allauth's own limits and the form are read: a refused attempt costs the refusal only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "POST"
            and getattr(request, "ciam_tenant", None) is not None
            and request.path_info == tenant_path("account_login")
            and "password" in request.POST
        ):
            refusal = password_sign_in_refusal(request)
            if refusal is not None:
                # The sign-in log keeps the attempt: the address typed, no account looked up,
                # and no app (the session, which knows it, is not read for a refusal).
                sign_in_record(
                    SignInRecord(
                        kind=SignInKind.INTERACTIVE,
                        reason=Reason.SOURCE_THROTTLED,
                        customer_email=str(request.POST.get("login", ""))[:254],
                        methods=(PASSWORD_AMR,),
                        details={"throttle": "password_spray"},
                    ),
                    request=request,
                )
                return refusal
        return self.get_response(request)


def sign_in_risk(request: HttpRequest, email: str, *, familiar: bool | None = None) -> RiskLevel:
    """The risk of a sign-in of `email` from the request's source, for conditional access
    (`protection.access.SignInContext.risk`; call in the tenant's schema). One read of the
    shared cache.

    - high: the address or its network is marked as spraying;
    - medium: the address or its network is throttled; or the address failed passwords on
      MEDIUM_ACCOUNTS accounts or more in the window (short of throttling), or this account
      failed MEDIUM_FAILURES times or more from it (a guess that came right looks like that);
      or, when the caller knows the address is not one the customer signed in from before
      (`familiar=False`, smart lockout's familiarity), the account failed passwords from
      anywhere in the window;
    - low: the address failed a password in the window, on any account, or the account did
      from anywhere (a typo);
    - none: nothing of the kind.
    """
    sources = _sources(request)
    marks = [source.key("spraying") for source in sources]
    throttles = [source.key("throttled") for source in sources]
    address = client_address(request)
    account = _account(email)
    keys: dict[str, str] = {"account": _account_failures_key(account)}
    if address is not None:
        source = keyed_digest(address)
        keys["accounts"] = _key(ADDRESS, source, "accounts")
        keys["here"] = _key(ADDRESS, source, "account", account)
    found = cache.get_many([*marks, *throttles, *keys.values()])
    if _seconds_left(found, marks) is not None:
        return RiskLevel.HIGH
    counts = {name: int(str(found.get(key, 0))) for name, key in keys.items()}
    if (
        any(key in found for key in throttles)
        or counts.get("accounts", 0) >= MEDIUM_ACCOUNTS
        or counts.get("here", 0) >= MEDIUM_FAILURES
        or (familiar is False and counts["account"] > 0)
    ):
        return RiskLevel.MEDIUM
    if counts.get("accounts", 0) > 0 or counts["account"] > 0:
        return RiskLevel.LOW
    return RiskLevel.NONE
