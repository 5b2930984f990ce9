"""Smart lockout (issue 12): failed passwords lock an account for a while, counted apart for
the places the customer signs in from and for every other place, so that an attacker cannot
lock a customer out of their own home.

How it counts (call everything here in the tenant's schema):

- **Two kinds of source.** A sign-in attempt is *familiar* when it comes from an address the
  customer signed in from successfully before (IPv6 by its /64, as allauth's limits count it;
  the 10 most recent, each remembered for 60 days, stored as keyed hashes only), or from a
  browser carrying the signed device cookie a successful sign-in there left (180 days).
  Anything else is *unfamiliar*. Each kind has its own failure count and its own lockout: a
  thousand guesses from elsewhere lock the unfamiliar kind, and the customer at home still
  signs in.
- **Threshold and duration** are the tenant's (`SignInProtection`: 10 and 60 s, Entra's).
  Failures are counted for an hour from the first; the one that reaches the threshold locks
  that kind for `lockout_seconds`, doubled at each repeat (capped at an hour, or at the
  tenant's duration when that is longer); the repeats are forgotten after a day without a
  lockout. Attempts while locked are refused without being counted. The count starts over
  after a lockout, after a successful sign-in of that kind, and when the threshold changes.
- **Unknown emails count the same**: the account is the normalised email address, whether or
  not a customer has it, so the answers and their cost do not say which exist.
- **State lives in the shared cache** (Redis, or PostgreSQL: `tenants/cache.py`), never in a
  process: counts are atomic increments, and a lockout set by one worker holds on every other.
  Keys name the tenant's schema, the account (a keyed hash of the email, never the email) and
  the kind.

What the answers look like (a locked account is refused exactly as a wrong password is) and
who is told (the customer, by email) is the journey's to enforce (`journey/adapters.py`).
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from allauth.core.internal import ratelimit
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseBase
from django.urls import get_script_prefix
from django.utils.crypto import salted_hmac

from protection.selectors import sign_in_protection_in_force
from tenants.schemas import current_schema_name

# Failures are forgotten this long after the first of them.
FAILURES_KEPT_SECONDS = 3600
# A lockout grows by doubling up to this (or to the tenant's duration, when that is longer).
LONGEST_LOCKOUT_SECONDS = 3600
# Repeats are forgotten after this long without a lockout.
REPEATS_KEPT_SECONDS = 24 * 3600
# How many places, and for how long, a customer's successful sign-ins are remembered.
FAMILIAR_ADDRESSES = 10
FAMILIAR_ADDRESS_DAYS = 60
# The device cookie names at most this many accounts (a browser several customers share).
DEVICE_COOKIE = "ciam_device"
DEVICE_COOKIE_ACCOUNTS = 5
DEVICE_COOKIE_DAYS = 180
# An email about lockouts at most this often per account, and at most once per lockout.
NOTICE_EVERY_SECONDS = 3600

_SALT = "protection.lockout"
_DEVICE_SALT = "protection.lockout.device"


class SourceKind(StrEnum):
    """Where an attempt comes from, as far as the account is concerned."""

    FAMILIAR = "familiar"
    UNFAMILIAR = "unfamiliar"


@dataclass(frozen=True)
class Lockout:
    """One kind of source locked out of an account: until when (UTC), for how long, and which
    repeat it is (1 for the first, doubling the duration at each)."""

    kind: SourceKind
    until: datetime
    seconds: int
    repeat: int


@dataclass(frozen=True)
class PasswordAttempt:
    """A password attempt on an account, as it began: its kind of source, and the lockout of
    that kind in force then (None: the password is checked as usual)."""

    email: str
    kind: SourceKind
    lockout: Lockout | None

    @property
    def locked(self) -> bool:
        return self.lockout is not None


def _now() -> float:
    return time.time()


def _account(email: str) -> str:
    """The account's name in the cache: a keyed hash of the normalised email, in the schema."""
    normalised = email.strip().lower()
    return salted_hmac(_SALT, f"{current_schema_name()}\n{normalised}").hexdigest()[:40]


def _key(account: str, *parts: object) -> str:
    return ":".join(("protection", "lockout", current_schema_name(), account, *map(str, parts)))


def _address(request: HttpRequest, account: str) -> str:
    """The keyed hash of the request's address (as allauth's limits see it), for this account:
    the cache never holds an address in the clear, nor one hash that follows it across
    accounts."""
    return salted_hmac(_SALT, f"{account}\n{ratelimit.get_ip(request)}").hexdigest()[:40]


def _lockout(kind: SourceKind, value: Any, now: float) -> Lockout | None:
    """The lockout a cache value describes, if it is still in force at `now`."""
    if not isinstance(value, dict) or value.get("until", 0) <= now:
        return None
    return Lockout(
        kind=kind,
        until=datetime.fromtimestamp(value["until"], UTC),
        seconds=int(value["seconds"]),
        repeat=int(value["repeat"]),
    )


def _device_accounts(request: HttpRequest) -> list[str]:
    """The accounts this browser's device cookie names for this tenant (none if it has no
    valid one)."""
    try:
        value = signing.loads(
            request.COOKIES.get(DEVICE_COOKIE, ""),
            salt=_DEVICE_SALT,
            max_age=DEVICE_COOKIE_DAYS * 86_400,
        )
    except signing.BadSignature:
        return []
    if not isinstance(value, dict) or value.get("schema") != current_schema_name():
        return []
    accounts = value.get("accounts")
    return (
        [item for item in accounts if isinstance(item, str)] if isinstance(accounts, list) else []
    )


def _kind(request: HttpRequest, account: str, familiar: Any, now: float) -> SourceKind:
    addresses = familiar if isinstance(familiar, dict) else {}
    if addresses.get(_address(request, account), 0) > now:
        return SourceKind.FAMILIAR
    if account in _device_accounts(request):
        return SourceKind.FAMILIAR
    return SourceKind.UNFAMILIAR


def password_attempt_begin(*, request: HttpRequest, email: str) -> PasswordAttempt:
    """Before a password is checked: the attempt's kind of source and whether that kind is
    locked out of the account `email` names (whether or not a customer has that email).

    One read of the cache, whatever the answer.
    """
    account = _account(email)
    familiar_key = _key(account, "familiar")
    lock_keys = {kind: _key(account, "locked", kind) for kind in SourceKind}
    found = cache.get_many([familiar_key, *lock_keys.values()])
    now = _now()
    kind = _kind(request, account, found.get(familiar_key), now)
    return PasswordAttempt(
        email=email, kind=kind, lockout=_lockout(kind, found.get(lock_keys[kind]), now)
    )


def _count(key: str) -> int:
    """Add one to the count under `key` (made, for FAILURES_KEPT_SECONDS, by the first)."""
    for _ in range(2):
        cache.add(key, 0, timeout=FAILURES_KEPT_SECONDS)
        try:
            return int(cache.incr(key))
        except ValueError:  # it expired between the add and the increment
            continue
    raise RuntimeError(f"cannot count under {key}")


def password_attempt_failed(*, attempt: PasswordAttempt) -> Lockout | None:
    """Count a wrong password of an attempt that was not locked; the failure that reaches the
    tenant's threshold locks the attempt's kind of source out of the account, and the new
    lockout is returned (None otherwise).

    Exactly one failure locks, however many processes count at once: the one whose atomic
    increment reaches the threshold. The count is kept per threshold, so changing the
    threshold starts every count over rather than locking on a count already past it.
    """
    if attempt.locked:
        return None
    account = _account(attempt.email)
    protection = sign_in_protection_in_force()
    failures_key = _key(account, "failures", attempt.kind, protection.lockout_threshold)
    if _count(failures_key) != protection.lockout_threshold:
        return None
    return _lock(account, attempt.kind, failures_key, protection.lockout_seconds)


def _lock(account: str, kind: SourceKind, failures_key: str, first_seconds: int) -> Lockout:
    """Lock `kind` out of the account for `first_seconds`, doubled at each repeat."""
    now = _now()
    repeats_key = _key(account, "repeats", kind)
    repeats = cache.get(repeats_key)
    earlier = 0
    if isinstance(repeats, dict) and now - repeats.get("until", 0) <= REPEATS_KEPT_SECONDS:
        earlier = int(repeats.get("count", 0))
    longest = max(first_seconds, LONGEST_LOCKOUT_SECONDS)
    seconds = min(first_seconds * 2 ** min(earlier, 30), longest)
    until = now + seconds
    cache.set(
        _key(account, "locked", kind),
        {"until": until, "seconds": seconds, "repeat": earlier + 1},
        timeout=seconds,
    )
    cache.set(
        repeats_key,
        {"count": earlier + 1, "until": until},
        timeout=seconds + REPEATS_KEPT_SECONDS,
    )
    cache.delete(failures_key)
    return Lockout(
        kind=kind, until=datetime.fromtimestamp(until, UTC), seconds=seconds, repeat=earlier + 1
    )


def lockout_notice_due(*, email: str, lockout: Lockout) -> bool:
    """Whether the customer is to be told of this lockout by email: at most once an hour per
    account (and so once per lockout, whichever kind), whatever an attacker does. True only
    once for each such window, however many processes ask."""
    return bool(
        cache.add(
            _key(_account(email), "notice"),
            True,
            timeout=max(lockout.seconds, NOTICE_EVERY_SECONDS),
        )
    )


def sign_in_succeeded(*, request: HttpRequest, email: str, response: HttpResponseBase) -> None:
    """After a customer signed in (by any method): the failure count of the kind of source they
    came from starts over, the request's address becomes a familiar one (the most recent
    FAMILIAR_ADDRESSES kept), and `response` carries the device cookie naming the account.

    Two sign-ins of one customer at once may each keep only its own address: the next sign-in
    from the other adds it again.
    """
    account = _account(email)
    familiar_key = _key(account, "familiar")
    now = _now()
    stored = cache.get(familiar_key)
    addresses = stored if isinstance(stored, dict) else {}
    kind = _kind(request, account, addresses, now)
    threshold = sign_in_protection_in_force().lockout_threshold
    cache.delete(_key(account, "failures", kind, threshold))
    addresses = {address: until for address, until in addresses.items() if until > now}
    addresses[_address(request, account)] = now + FAMILIAR_ADDRESS_DAYS * 86_400
    newest = sorted(addresses.items(), key=lambda item: item[1], reverse=True)
    cache.set(
        familiar_key, dict(newest[:FAMILIAR_ADDRESSES]), timeout=FAMILIAR_ADDRESS_DAYS * 86_400
    )
    _device_cookie_set(request, response, account)


def _device_cookie_set(request: HttpRequest, response: HttpResponseBase, account: str) -> None:
    """The browser's device cookie for this tenant, naming this account first (a few others
    it signed in as stay named). Signed, so no browser can name an account it never signed
    in as; scoped to the tenant's pages."""
    accounts = [account, *(item for item in _device_accounts(request) if item != account)]
    value = signing.dumps(
        {"schema": current_schema_name(), "accounts": accounts[:DEVICE_COOKIE_ACCOUNTS]},
        salt=_DEVICE_SALT,
    )
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_DAYS * 86_400,
        path=get_script_prefix(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def lockouts_of(*, email: str) -> list[Lockout]:
    """The lockouts in force on the account `email` names, familiar kind first."""
    account = _account(email)
    keys = {kind: _key(account, "locked", kind) for kind in SourceKind}
    found = cache.get_many(list(keys.values()))
    now = _now()
    lockouts = (_lockout(kind, found.get(key), now) for kind, key in keys.items())
    return [lockout for lockout in lockouts if lockout is not None]


def lockout_clear(*, email: str) -> list[Lockout]:
    """End the account's lockouts and forget its failures and repeats (an admin's decision:
    the next lockout is a first one again). Familiar sources stay. Returns the lockouts that
    were in force."""
    ended = lockouts_of(email=email)
    account = _account(email)
    threshold = sign_in_protection_in_force().lockout_threshold
    cache.delete_many(
        [
            key
            for kind in SourceKind
            for key in (
                _key(account, "locked", kind),
                _key(account, "repeats", kind),
                _key(account, "failures", kind, threshold),
            )
        ]
    )
    return ended
