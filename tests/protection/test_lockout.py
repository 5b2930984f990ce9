"""Smart lockout's counting (protection/lockout.py), against the real shared cache: kinds of
source, threshold, growth, forgetting, familiar places and the device cookie, per tenant."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from protection import lockout
from protection.lockout import (
    DEVICE_COOKIE,
    FAMILIAR_ADDRESSES,
    PasswordAttempt,
    SourceKind,
    lockout_clear,
    lockout_notice_due,
    lockouts_of,
    password_attempt_begin,
    password_attempt_failed,
    sign_in_succeeded,
)
from protection.models import SignInProtection
from tenants.models import Tenant
from tenants.schemas import in_tenant

EMAIL = "ada@example.com"
HOME = "198.51.100.7"


@dataclass
class Clock:
    """The time smart lockout reads, moved by the test (the cache's own expiry is not)."""

    now: float = 1_800_000_000.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(lockout, "_now", lambda: moved.now)
    return moved


@pytest.fixture
def in_a(tenant_a: Tenant) -> Iterator[Tenant]:
    with in_tenant(tenant_a):
        yield tenant_a


def request_from(address: str, cookies: dict[str, str] | None = None) -> HttpRequest:
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.COOKIES.update(cookies or {})
    return request


def fail(times: int, address: str, email: str = EMAIL) -> list[lockout.Lockout | None]:
    """`times` wrong passwords from `address`, each its own attempt."""
    results = []
    for _ in range(times):
        attempt = password_attempt_begin(request=request_from(address), email=email)
        results.append(password_attempt_failed(attempt=attempt))
    return results


def attempt_from(address: str, email: str = EMAIL, **cookies: str) -> PasswordAttempt:
    return password_attempt_begin(request=request_from(address, cookies), email=email)


def signed_in_from(address: str, email: str = EMAIL, **cookies: str) -> HttpResponse:
    response = HttpResponse()
    sign_in_succeeded(request=request_from(address, cookies), email=email, response=response)
    return response


@pytest.mark.usefixtures("in_a")
def test_the_failure_that_reaches_the_threshold_locks_the_unfamiliar_kind(clock: Clock) -> None:
    signed_in_from(HOME)
    results = fail(10, "203.0.113.1")
    assert results[:9] == [None] * 9
    locked = results[9]
    assert locked is not None
    assert (locked.kind, locked.seconds, locked.repeat) == (SourceKind.UNFAMILIAR, 60, 1)
    assert locked.until.timestamp() == clock.now + 60
    # Any unfamiliar place is held, the customer's own is not.
    assert attempt_from("192.0.2.50").locked
    home = attempt_from(HOME)
    assert home.kind == SourceKind.FAMILIAR
    assert not home.locked
    assert lockouts_of(email=EMAIL) == [locked]
    # Refused attempts are not counted: no second lockout while the first holds.
    assert fail(30, "203.0.113.1") == [None] * 30
    clock.advance(61)
    assert not attempt_from("192.0.2.50").locked
    assert lockouts_of(email=EMAIL) == []


@pytest.mark.usefixtures("in_a")
def test_each_repeat_doubles_up_to_an_hour_and_a_quiet_day_forgets_them(clock: Clock) -> None:
    lengths = []
    for _ in range(8):
        locked = fail(10, "203.0.113.1")[-1]
        assert locked is not None
        lengths.append((locked.seconds, locked.repeat))
        clock.advance(locked.seconds + 1)
    assert lengths == [
        (60, 1),
        (120, 2),
        (240, 3),
        (480, 4),
        (960, 5),
        (1920, 6),
        (3600, 7),
        (3600, 8),
    ]
    clock.advance(24 * 3600 + 1)
    locked = fail(10, "203.0.113.1")[-1]
    assert locked is not None
    assert (locked.seconds, locked.repeat) == (60, 1)


@pytest.mark.usefixtures("in_a")
def test_a_tenant_duration_longer_than_an_hour_is_the_cap(clock: Clock) -> None:
    SignInProtection.objects.create(lockout_threshold=3, lockout_seconds=7200)
    first = fail(3, "203.0.113.1")[-1]
    assert first is not None
    assert first.seconds == 7200
    clock.advance(7201)
    again = fail(3, "203.0.113.1")[-1]
    assert again is not None
    assert again.seconds == 7200


@pytest.mark.usefixtures("in_a")
def test_the_familiar_kind_has_its_own_count_and_lockout(clock: Clock) -> None:
    signed_in_from(HOME)
    locked = fail(10, HOME)[-1]
    assert locked is not None
    assert locked.kind == SourceKind.FAMILIAR
    assert attempt_from(HOME).locked
    assert not attempt_from("203.0.113.1").locked


@pytest.mark.usefixtures("in_a")
def test_addresses_without_an_account_are_counted_the_same(clock: Clock) -> None:
    results = fail(10, "203.0.113.1", email="nobody-here@example.com")
    assert results[-1] is not None
    assert attempt_from("203.0.113.2", email="NOBODY-here@example.com ").locked


@pytest.mark.usefixtures("in_a")
def test_a_sign_in_starts_its_kind_over(clock: Clock) -> None:
    fail(9, "203.0.113.1")
    signed_in_from("203.0.113.1")  # an unfamiliar place, until now
    fail(9, "192.0.2.9")
    assert not attempt_from("192.0.2.9").locked
    assert fail(1, "192.0.2.9")[0] is not None


@pytest.mark.usefixtures("in_a")
def test_changing_the_threshold_starts_every_count_over(clock: Clock) -> None:
    fail(8, "203.0.113.1")
    SignInProtection.objects.create(lockout_threshold=5)
    assert fail(4, "203.0.113.1") == [None] * 4
    assert fail(1, "203.0.113.1")[0] is not None


@pytest.mark.usefixtures("in_a")
def test_familiar_places_are_bounded_expire_and_count_ipv6_by_its_network(clock: Clock) -> None:
    signed_in_from("2001:db8:1:2::10")
    assert attempt_from("2001:db8:1:2:aaaa::1").kind == SourceKind.FAMILIAR  # same /64
    assert attempt_from("2001:db8:1:3::10").kind == SourceKind.UNFAMILIAR
    for host in range(FAMILIAR_ADDRESSES):
        clock.advance(1)
        signed_in_from(f"192.0.2.{host + 1}")
    # The oldest of eleven is forgotten; the ten newest are kept.
    assert attempt_from("2001:db8:1:2::10").kind == SourceKind.UNFAMILIAR
    assert attempt_from("192.0.2.1").kind == SourceKind.FAMILIAR
    clock.advance(60 * 86_400)
    assert attempt_from(f"192.0.2.{FAMILIAR_ADDRESSES}").kind == SourceKind.UNFAMILIAR


@pytest.mark.usefixtures("clock")
def test_the_device_cookie_makes_any_address_familiar_for_the_accounts_it_names(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    with in_tenant(tenant_a):
        response = signed_in_from(HOME)
        cookie = response.cookies[DEVICE_COOKIE]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/"
        assert int(cookie["max-age"]) == 180 * 86_400
        device = cookie.value
        assert attempt_from("203.0.113.77", ciam_device=device).kind == SourceKind.FAMILIAR
        # Not for another account, not altered, not in another tenant.
        assert attempt_from("203.0.113.77", "eve@example.com", ciam_device=device).kind == (
            SourceKind.UNFAMILIAR
        )
        assert attempt_from("203.0.113.77", ciam_device=device[:-2] + "xx").kind == (
            SourceKind.UNFAMILIAR
        )
        with in_tenant(tenant_b):
            assert attempt_from("203.0.113.77", ciam_device=device).kind == SourceKind.UNFAMILIAR
        # A second customer on the same browser: both are named.
        shared = signed_in_from(HOME, "bob@example.com", ciam_device=device).cookies[DEVICE_COOKIE]
        for email in (EMAIL, "bob@example.com"):
            attempt = attempt_from("203.0.113.78", email, ciam_device=shared.value)
            assert attempt.kind == SourceKind.FAMILIAR


@pytest.mark.usefixtures("in_a")
def test_the_customer_is_told_once_an_hour(clock: Clock) -> None:
    first = fail(10, "203.0.113.1")[-1]
    assert first is not None
    assert lockout_notice_due(email=EMAIL, lockout=first)
    assert not lockout_notice_due(email=EMAIL, lockout=first)
    assert lockout_notice_due(email="other@example.com", lockout=first)


@pytest.mark.usefixtures("in_a")
def test_clearing_ends_the_lockouts_and_forgets_repeats(clock: Clock) -> None:
    signed_in_from(HOME)
    fail(10, HOME)
    fail(10, "203.0.113.1")
    assert {found.kind for found in lockouts_of(email=EMAIL)} == set(SourceKind)
    ended = lockout_clear(email=EMAIL)
    assert [found.kind for found in ended] == [SourceKind.FAMILIAR, SourceKind.UNFAMILIAR]
    assert lockouts_of(email=EMAIL) == []
    assert not attempt_from("203.0.113.1").locked
    again = fail(10, "203.0.113.1")[-1]
    assert again is not None
    assert again.repeat == 1  # a first lockout again
    assert attempt_from(HOME).kind == SourceKind.FAMILIAR  # familiar places stay
    assert lockout_clear(email="nobody@example.com") == []


def test_lockouts_are_per_tenant(clock: Clock, tenant_a: Tenant, tenant_b: Tenant) -> None:
    with in_tenant(tenant_a):
        fail(10, "203.0.113.1")
        assert attempt_from("203.0.113.1").locked
    with in_tenant(tenant_b):
        assert not attempt_from("203.0.113.1").locked
        assert lockouts_of(email=EMAIL) == []


@pytest.mark.usefixtures("in_a")
def test_the_cache_holds_no_email_and_no_address(clock: Clock) -> None:
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("reads Redis's keys")
    signed_in_from(HOME)
    fail(10, "203.0.113.1")
    client = cache._cache.get_client(None)  # type: ignore[attr-defined]
    keys = [key for key in client.keys("*") if b"protection:lockout" in key]
    assert len(keys) == 3  # familiar places, the lockout, its repeats
    stored = b"".join(keys + [client.get(key) or b"" for key in keys])
    for clear in (b"ada", b"example.com", HOME.encode(), b"203.0.113"):
        assert clear not in stored
