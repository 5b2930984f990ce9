"""The cache on PostgreSQL, shared by every web process when no Redis is configured.

Rate limits, failed-sign-in counters and the locks allauth takes around them are security
state: kept in each process's memory (Django's local-memory cache), every worker process
counted for itself, so two workers let twice the guesses through, and a flood of unrelated
entries evicted the counter being raised. This backend keeps them in one table that every
process and node reads (`tenants.models.CacheEntry`, in the public schema).

Why not Django's own database cache: it evicts live entries once it holds MAX_ENTRIES (a
third of them, whichever they are), so a flood could still wipe a counter; it counts the whole
table on every write; and it names its table without a schema, while a tenant's requests run
with only the tenant's schema on the search path. Here:

- every operation is one statement; `add` is one INSERT … ON CONFLICT, so of two processes
  adding one key at once exactly one succeeds (allauth's locks rely on it);
- nothing is evicted before it expires; expired rows are deleted in small batches, at most
  once a minute per process, by a process that writes anyway;
- expiry is decided by the database's clock, one clock for every node;
- values are pickled, as Django's own cache backends store them.

`incr` is atomic too (the row is locked between its read and its write): smart lockout counts
failed passwords with it (protection/lockout.py), from every process at once, and loses none.
"""

import pickle
import time
from collections.abc import Iterable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.utils import CursorWrapper
from django_tenants.utils import get_public_schema_name

from tenants.models import CacheEntry

_PURGE_EVERY_SECONDS = 60.0
_PURGE_BATCH = 1_000
_NOW = "statement_timestamp()"
_LIVE = f"(expires_at IS NULL OR expires_at > {_NOW})"
_MISSING = object()
_last_purge = 0.0  # per process: when this process last deleted expired rows (monotonic)


class PostgresCache(BaseCache):
    """A Django cache backend on `tenants.models.CacheEntry` (see the module's docstring)."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        ops = connections[DEFAULT_DB_ALIAS].ops
        # Schema-qualified: a tenant's requests have only the tenant's schema on the path.
        schema, name = get_public_schema_name(), CacheEntry._meta.db_table
        table = f"{ops.quote_name(schema)}.{ops.quote_name(name)}"
        # The statements, built once; only quoted identifiers go in, every value is a parameter
        # (the expiry is in seconds: NULL means never).
        expires = f"{_NOW} + make_interval(secs => %s::float8)"
        upsert = (
            f"INSERT INTO {table} AS entry (key, value, expires_at) "  # noqa: S608
            f"VALUES (%s, %s, {expires}) "
            "ON CONFLICT (key) DO UPDATE "
            "SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at"
        )
        self._get = f"SELECT value FROM {table} WHERE key = %s AND {_LIVE}"  # noqa: S608
        self._get_many = f"SELECT key, value FROM {table} WHERE key = ANY(%s) AND {_LIVE}"  # noqa: S608
        self._set = upsert
        self._add = f"{upsert} WHERE entry.expires_at <= {_NOW} RETURNING 1"
        self._touch = (
            f"UPDATE {table} SET expires_at = {expires} "  # noqa: S608
            f"WHERE key = %s AND {_LIVE}"
        )
        self._delete = f"DELETE FROM {table} WHERE key = %s"  # noqa: S608
        self._get_for_update = f"{self._get} FOR UPDATE"
        self._replace_value = f"UPDATE {table} SET value = %s WHERE key = %s"  # noqa: S608
        self._clear = f"DELETE FROM {table}"  # noqa: S608
        self._purge = (
            f"DELETE FROM {table} WHERE key IN ("  # noqa: S608
            f"SELECT key FROM {table} WHERE expires_at <= {_NOW} "
            f"LIMIT {_PURGE_BATCH} FOR UPDATE SKIP LOCKED)"
        )

    def _seconds(self, timeout: object) -> float | None:
        """The entry's lifetime in seconds (None: forever), from a cache API timeout."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        return None if timeout is None else float(timeout)  # type: ignore[arg-type]

    def _execute(self, statement: str, params: list[Any]) -> CursorWrapper:
        cursor = connections[DEFAULT_DB_ALIAS].cursor()
        cursor.execute(statement, params)
        return cursor

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        with self._execute(self._get, [key]) as cursor:
            row = cursor.fetchone()
        # Pickles written by this backend only, into a table only the product writes.
        return default if row is None else pickle.loads(bytes(row[0]))  # noqa: S301

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        """The live entries among `keys`, in one statement (BaseCache's makes one `get` per
        key; smart lockout and spray detection read several at every sign-in)."""
        made = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not made:
            return {}
        with self._execute(self._get_many, [list(made)]) as cursor:
            rows = cursor.fetchall()
        return {made[stored]: pickle.loads(bytes(value)) for stored, value in rows}  # noqa: S301

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self.get(key, _MISSING, version=version) is not _MISSING

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        seconds = self._seconds(timeout)
        if seconds is not None and seconds <= 0:  # Django's meaning: do not keep it
            self.delete(key, version=version)
            return
        key = self.make_and_validate_key(key, version=version)
        value = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        self._execute(self._set, [key, value, seconds]).close()
        self._purge_now_and_then()

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """Store the value only if the key holds no live entry; True if it was stored.

        Atomic: the conflicting row is locked and its expiry checked after the lock, so of
        concurrent adds of one key exactly one returns True.
        """
        seconds = self._seconds(timeout)
        if seconds is not None and seconds <= 0:
            return False
        key = self.make_and_validate_key(key, version=version)
        value = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        with self._execute(self._add, [key, value, seconds]) as cursor:
            added = cursor.fetchone() is not None
        self._purge_now_and_then()
        return added

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        """Add `delta` to the number stored under `key` and return the sum; ValueError when no
        live entry holds it (as Django's backends). Atomic: the row stays locked from the read
        to the write, so of concurrent increments none is lost. The entry keeps its expiry."""
        key = self.make_and_validate_key(key, version=version)
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            with self._execute(self._get_for_update, [key]) as cursor:
                row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            value = pickle.loads(bytes(row[0])) + delta  # noqa: S301 - as in `get`
            stored = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            self._execute(self._replace_value, [stored, key]).close()
        return value

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        seconds = self._seconds(timeout)
        if seconds is not None and seconds <= 0:
            return self.delete(key, version=version)
        key = self.make_and_validate_key(key, version=version)
        with self._execute(self._touch, [seconds, key]) as cursor:
            return bool(cursor.rowcount)

    def delete(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._execute(self._delete, [key]) as cursor:
            return bool(cursor.rowcount)

    def clear(self) -> None:
        self._execute(self._clear, []).close()

    def _purge_now_and_then(self) -> None:
        """Delete a batch of expired rows, at most once a minute per process; rows another
        purge holds are skipped, so purging processes never wait for each other."""
        global _last_purge
        now = time.monotonic()
        if now - _last_purge < _PURGE_EVERY_SECONDS:
            return
        _last_purge = now
        self._execute(self._purge, []).close()
