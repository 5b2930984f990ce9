"""The cache on PostgreSQL (tenants/cache.py): what deployments without Redis share."""

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from tenants import cache as cache_module
from tenants.cache import PostgresCache
from tenants.models import CacheEntry, Tenant
from tenants.schemas import in_tenant


def _cache() -> PostgresCache:
    return PostgresCache("", {"KEY_FUNCTION": "django_tenants.cache.make_key", "TIMEOUT": 300})


def test_values_round_trip_and_expire(db: None) -> None:
    cache = _cache()
    cache.set("history", [1.5, 2.5])
    assert cache.get("history") == [1.5, 2.5]
    assert cache.has_key("history")
    cache.set("history", ["replaced"], timeout=None)
    assert cache.get("history") == ["replaced"]
    assert CacheEntry.objects.get().expires_at is None  # no timeout: it never expires
    cache.set("brief", "soon gone", timeout=0.2)
    assert cache.get("brief") == "soon gone"
    time.sleep(0.3)
    assert cache.get("brief", "expired") == "expired"
    assert not cache.has_key("brief")
    assert cache.touch("brief") is False  # an expired entry is not brought back
    cache.set("gone", 1, timeout=0)  # Django's meaning: do not keep it
    assert not cache.has_key("gone")
    assert cache.delete("history") is True
    assert cache.delete("history") is False
    cache.set("a", 1)
    cache.clear()
    assert cache.get("a") is None


def test_get_many_reads_the_live_entries_in_one_statement(db: None) -> None:
    cache = _cache()
    cache.set("one", 1)
    cache.set("two", {"n": 2})
    cache.set("gone", 3, timeout=-1)  # already expired
    with CaptureQueriesContext(connection) as queries:
        found = cache.get_many(["one", "two", "gone", "never"])
    assert found == {"one": 1, "two": {"n": 2}}
    assert len(queries) == 1
    assert cache.get_many([]) == {}


def test_add_keeps_a_live_entry_and_takes_over_an_expired_one(db: None) -> None:
    cache = _cache()
    assert cache.add("lock", "first") is True
    assert cache.add("lock", "second") is False
    assert cache.get("lock") == "first"
    cache.set("old", "expiring", timeout=0.1)
    time.sleep(0.2)
    assert cache.add("old", "new") is True
    assert cache.get("old") == "new"


def test_a_tenant_request_reads_the_same_table_and_keys_stay_per_schema(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """A tenant's requests see only their schema on the search path; the table is found all
    the same, and each key carries its schema, as in Redis."""
    cache = _cache()
    with in_tenant(tenant_a):
        cache.set("rate", "a's")
    with in_tenant(tenant_b):
        assert cache.get("rate") is None
        cache.set("rate", "b's")
    with in_tenant(tenant_a):
        assert cache.get("rate") == "a's"
    assert cache.get("rate") is None  # the public schema's own key


def test_expired_rows_are_purged_by_a_later_write(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = _cache()
    cache.set("stale", 1, timeout=0.1)
    cache.set("live", 2)
    time.sleep(0.2)
    monkeypatch.setattr(cache_module, "_last_purge", 0.0)
    cache.set("trigger", 3)
    kept = set(CacheEntry.objects.values_list("key", flat=True))
    assert kept == {cache.make_key("trigger"), cache.make_key("live")}


@pytest.fixture
def committed_key(committed_db: None) -> Iterator[str]:
    key = f"race-{uuid.uuid4().hex}"
    yield key
    _cache().delete(key)


def test_of_concurrent_adds_of_one_key_exactly_one_wins(committed_key: str) -> None:
    """allauth's rate-limit locks are `add`s: two processes must never both hold one."""

    def add(_: int) -> bool:
        try:
            return _cache().add(committed_key, "holder", timeout=30)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(add, range(16)))
    assert results.count(True) == 1


def test_incr_adds_and_keeps_the_expiry(db: None) -> None:
    cache = _cache()
    with pytest.raises(ValueError, match="not found"):
        cache.incr("missing")
    cache.set("count", 1, timeout=0.3)
    assert cache.incr("count") == 2
    assert cache.incr("count", 5) == 7
    assert cache.decr("count") == 6
    time.sleep(0.4)  # the increments did not push the expiry back
    assert cache.get("count") is None


def test_of_concurrent_increments_of_one_key_none_is_lost(committed_key: str) -> None:
    """Failed passwords are counted with `incr` from every process (protection/lockout.py)."""
    _cache().set(committed_key, 0, timeout=30)

    def increment(_: int) -> int:
        try:
            return int(_cache().incr(committed_key))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(increment, range(40)))
    assert sorted(results) == list(range(1, 41))
    assert _cache().get(committed_key) == 40
