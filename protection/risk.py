"""Password-spray detection and each sign-in's risk level (issue 12).

A password spray tries a few common passwords against many accounts, staying under every
account's lockout. So failed passwords are also counted per *source*: the client's address
(`protection.limits.client_address`: an IPv6 client by its /64) and its network (the /24 of an
IPv4 address; an IPv6 client's /64 is already its network), over the distinct accounts they
touched in a window (CIAM_SPRAY_WINDOW_SECONDS, 15 minutes from the source's first failure).
A source whose failures reach CIAM_SPRAY_ACCOUNTS_PER_ADDRESS accounts (20), or a network
CIAM_SPRAY_ACCOUNTS_PER_NETWORK (50), is marked as spraying for CIAM_SPRAY_MARK_SECONDS (an
hour). While marked:

- **its password sign-ins are refused with a 429** (`password_sign_in_refusal`), before any
  password is checked. Not answered as a wrong password: the refusal depends only on the
  source, never on the account, so it tells an attacker nothing about any account; it spends
  no password hash on the attack (the CPU every other sign-in and tenant shares); and a
  customer who shares the network hears the truth (wait, or sign in by emailed code or an
  identity provider) instead of being told that their right password is wrong;
- **its risk is high** (`sign_in_risk`), so conditional access can block, or ask a second
  factor of, what still signs in from there (an emailed code, an identity provider).

Many attempts on each account are smart lockout's to stop (protection/lockout.py); a source
failing on many accounts is a spray here whatever the attempts on each.

Everything lives in the shared cache (Redis, or the PostgreSQL table), per tenant (the keys
name its schema), the addresses, networks and accounts as keyed hashes only.
"""

import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from protection.access import RiskLevel, address_parse
from protection.limits import client_address, keyed_digest, shared_count
from tenants.errors import too_many_requests
from tenants.schemas import current_schema_name

logger = logging.getLogger(__name__)

ADDRESS, NETWORK = "a", "n"
# An address whose failures touched this many accounts in the window, short of spraying, or one
# account that failed this many times from the address, makes a sign-in from it medium risk.
MEDIUM_ACCOUNTS = 3
MEDIUM_FAILURES = 5


def _now() -> float:
    return time.time()


def network_of(address: str) -> str:
    """The network a spray is also counted for: the /24 of an IPv4 address, the /64 of IPv6."""
    parsed = address_parse(address)
    if parsed is None:
        return address
    prefix = 24 if isinstance(parsed, ipaddress.IPv4Address) else 64
    return str(ipaddress.ip_network((parsed, prefix), strict=False))


def _sources(request: HttpRequest) -> list[tuple[str, str, str, int]]:
    """(kind, the address or network, its keyed hash, spray threshold) of the request's address
    and, for IPv4, its /24 (an IPv6 client's address is already its /64); none without an
    address."""
    address = client_address(request)
    if address is None:
        return []
    per_address = settings.CIAM_SPRAY_ACCOUNTS_PER_ADDRESS
    sources = [(ADDRESS, address, keyed_digest(address), per_address)]
    if isinstance(address_parse(address), ipaddress.IPv4Address):
        network = network_of(address)
        per_network = settings.CIAM_SPRAY_ACCOUNTS_PER_NETWORK
        sources.append((NETWORK, network, keyed_digest(network), per_network))
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
    source's accounts; the one that reaches the threshold marks the source as spraying."""
    window = settings.CIAM_SPRAY_WINDOW_SECONDS
    account = _account(email)
    for kind, name, source, threshold in _sources(request):
        if shared_count(_key(kind, source, "account", account), seconds=window) > 1:
            continue
        if shared_count(_key(kind, source, "accounts"), seconds=window) == threshold:
            marked_for = settings.CIAM_SPRAY_MARK_SECONDS
            cache.set(_key(kind, source, "spraying"), _now() + marked_for, timeout=marked_for)
            # Once per mark: the refusals that follow are not logged one by one.
            logger.warning(
                "Password spray from %s in schema %s: failed passwords on %s accounts within "
                "%s s; its password sign-ins are refused for %s s.",
                name,
                current_schema_name(),
                threshold,
                window,
                marked_for,
            )
    shared_count(_account_failures_key(account), seconds=window)


def _marks(request: HttpRequest) -> list[str]:
    return [_key(kind, source, "spraying") for kind, _name, source, _t in _sources(request)]


def _seconds_left(found: dict[str, object], marks: list[str]) -> int | None:
    """Whole seconds until the last of the found marks ends, or None when none is in force."""
    now = _now()
    until = max((float(str(found[key])) for key in marks if key in found), default=now)
    return math.ceil(until - now) if until > now else None


def spraying_seconds(request: HttpRequest) -> int | None:
    """How long the request's address or network stays marked as spraying, in whole seconds,
    or None when neither is."""
    marks = _marks(request)
    return _seconds_left(cache.get_many(marks), marks)


def password_sign_in_refusal(request: HttpRequest) -> HttpResponse | None:
    """The 429 that refuses a password sign-in from a source marked as spraying, with
    `Retry-After` until the mark ends; None for any other source (call in the tenant's
    schema, before the password is checked)."""
    seconds = spraying_seconds(request)
    if seconds is None:
        return None
    return too_many_requests(request, retry_after=seconds, sign_in_throttled=True)


def sign_in_risk(request: HttpRequest, email: str, *, familiar: bool | None = None) -> RiskLevel:
    """The risk of a sign-in of `email` from the request's source, for conditional access
    (`protection.access.SignInContext.risk`; call in the tenant's schema). One read of the
    shared cache.

    - high: the address or its network is marked as spraying;
    - medium: the address failed passwords on MEDIUM_ACCOUNTS accounts or more in the window
      (short of spraying), or this account failed MEDIUM_FAILURES times or more from it (a
      guess that came right looks like that); or, when the caller knows the address is not
      one the customer signed in from before (`familiar=False`, smart lockout's familiarity),
      the account failed passwords from anywhere in the window;
    - low: the address failed a password in the window, on any account, or the account did
      from anywhere (a typo);
    - none: nothing of the kind.
    """
    marks = _marks(request)
    address = client_address(request)
    account = _account(email)
    keys: dict[str, str] = {"account": _account_failures_key(account)}
    if address is not None:
        source = keyed_digest(address)
        keys["accounts"] = _key(ADDRESS, source, "accounts")
        keys["here"] = _key(ADDRESS, source, "account", account)
    found = cache.get_many([*marks, *keys.values()])
    if _seconds_left(found, marks) is not None:
        return RiskLevel.HIGH
    counts = {name: int(str(found.get(key, 0))) for name, key in keys.items()}
    if (
        counts.get("accounts", 0) >= MEDIUM_ACCOUNTS
        or counts.get("here", 0) >= MEDIUM_FAILURES
        or (familiar is False and counts["account"] > 0)
    ):
        return RiskLevel.MEDIUM
    if counts.get("accounts", 0) > 0 or counts["account"] > 0:
        return RiskLevel.LOW
    return RiskLevel.NONE
