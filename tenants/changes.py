"""The change feed: how every process's memory of tenants' settings stays true.

A web worker remembers what the sign-in path reads on every request (a tenant's row, its apps
and secrets, its flows, signing keys, protection settings, branding: tenants/memory.py). Those
memories used to expire after a few seconds, so a worker serving 10,000 tenants at random found
almost none of them remembered and read each from the database again, on a backend that had to
load the tables' descriptions first (tenants/database/base.py): the per-request cost grew with
the number of tenants. Now an entry is kept until its tenant's settings change (or
CIAM_MEMORY_MAX_SECONDS pass), and every process learns of a change from this feed:

- **Recording.** The database backend watches every INSERT, UPDATE and DELETE it sends. One that
  writes a settings table (each room names its own, `settings_tables_watch`, from its
  AppConfig.ready) adds a row to `tenants_settingschange` naming the tenant's schema, in the same
  transaction: a change that commits is always recorded, one rolled back never is. A write to
  the tenant table itself (status, language) records `TENANT_ROWS`. Nothing written on a sign-in
  is a settings table, so sign-ins record nothing (a test holds it).
- **Reading.** Each process reads the rows of the last ten minutes once per window (the
  shortest of CIAM_TENANT_CACHE_SECONDS, CIAM_LOOKUP_SECONDS, CIAM_PROTECTION_CACHE_SECONDS and
  CIAM_BRANDING_CACHE_SECONDS, 5 s by default), when a memory is next read, and forgets every
  tenant named in a row it has not seen yet. So a change made anywhere reaches every node
  within the window, as before, while a worker's memories cost no query on the requests between.
  A row is looked for during `_LOOK_BACK_SECONDS` after it was written: a transaction that
  commits later than that after its write is still covered by the entries' maximum age.
- **Uncommitted writes are never remembered.** While a connection's transaction holds a settings
  write of a tenant, the memories read that tenant from the database but do not keep it
  (`may_remember`), so a value that is then rolled back never stays in a memory.
- **When the feed cannot be read** (the database is down), the process forgets everything.

The feed's table lives in the public schema; readers delete its rows older than an hour.
"""

import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.signals import setting_changed
from django.db import Error, connection, transaction
from django.db.models import Model

TENANT_ROWS = "*tenants"
WRITTEN_ATTRIBUTE = "ciam_settings_written"  # on an atomic block: the schemas it has written
TABLE = '"public"."tenants_settingschange"'
RECORD_SQL = f"INSERT INTO {TABLE} (schema_name, changed_at) VALUES (%s, statement_timestamp())"  # noqa: S608
_READ_SQL = (
    f"SELECT id, schema_name FROM {TABLE} "  # noqa: S608
    "WHERE changed_at > statement_timestamp() - make_interval(secs => %s::float8)"
)
_PURGE_SQL = f"DELETE FROM {TABLE} WHERE changed_at < statement_timestamp() - interval '1 hour'"  # noqa: S608
_LOOK_BACK_SECONDS = 600.0
_PURGE_EVERY_SECONDS = 600.0

# The tables whose writes are changes of a tenant's settings (db_table names).
_watched: set[str] = set()
_forgetters: list[Callable[[str], None]] = []
_lock = threading.Lock()
_last_read = time.monotonic()  # a new process remembers nothing older than itself
_last_purge = 0.0
_seen: dict[int, float] = {}  # change ID → when this process applied it (monotonic)
_window: float | None = None  # window_seconds(), worked out once per settings in force


def settings_tables_watch(*models: type[Model]) -> None:
    """Count writes to these models' tables (and their many-to-many tables) as changes of the
    tenant's settings. Each room calls it from its AppConfig.ready for what it remembers."""
    for model in models:
        _watched.add(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            _watched.add(field.remote_field.through._meta.db_table)  # type: ignore[union-attr]


def is_settings_table(table: str) -> bool:
    return table in _watched


def on_change(forget: Callable[[str], None]) -> Callable[[str], None]:
    """Register `forget(schema)`, called when the feed names a schema (or TENANT_ROWS)."""
    _forgetters.append(forget)
    return forget


def window_seconds() -> float:
    """How long a change may take to reach every process: the shortest memory window in force
    (0 when every memory is off, as in the tests). Every memory read asks it: it is worked out
    once, and again after a setting changes (override_settings in the tests)."""
    global _window
    if _window is None:
        _window = _window_in_force()
    return _window


def _forget_window(**_kwargs: object) -> None:
    global _window
    _window = None


setting_changed.connect(_forget_window)


def _window_in_force() -> float:
    windows = [
        float(seconds)
        for seconds in (
            settings.CIAM_TENANT_CACHE_SECONDS,
            settings.CIAM_LOOKUP_SECONDS,
            settings.CIAM_PROTECTION_CACHE_SECONDS,
            settings.CIAM_BRANDING_CACHE_SECONDS,
        )
        if seconds > 0
    ]
    return min(windows, default=0.0)


def forget(schemas: Iterable[str]) -> None:
    """Make every memory of this process forget these schemas (or TENANT_ROWS)."""
    for schema in schemas:
        for forgetter in _forgetters:
            forgetter(schema)


def forget_everything() -> None:
    for forgetter in _forgetters:
        forgetter("")  # "" means every schema


def changes_apply_if_due() -> None:
    """Read the feed if this process has not for a window; forget what it names. Cheap when not
    due (a clock read): every memory read calls it."""
    window = window_seconds()
    if window <= 0 or time.monotonic() - _last_read < window:
        return
    with _lock:
        if time.monotonic() - _last_read < window:
            return  # another thread read it meanwhile
        _read(window)


def _read(window: float) -> None:
    global _last_read, _last_purge
    now = time.monotonic()
    try:
        # In a savepoint when inside a transaction: a failure must not abort the caller's.
        with transaction.atomic(savepoint=connection.in_atomic_block), connection.cursor() as cur:
            cur.execute(_READ_SQL, [_LOOK_BACK_SECONDS + window])
            rows = cur.fetchall()
            if now - _last_purge > _PURGE_EVERY_SECONDS:
                cur.execute(_PURGE_SQL)
                _last_purge = now
    except Error:  # DatabaseError, or InterfaceError on a connection already closed
        _last_read = now
        _seen.clear()
        forget_everything()
        return
    fresh = {schema for change_id, schema in rows if change_id not in _seen}
    for change_id, _schema in rows:
        _seen.setdefault(change_id, now)
    forget(fresh)
    _last_read = now
    horizon = now - 2 * (_LOOK_BACK_SECONDS + window)
    for change_id in [key for key, seen in _seen.items() if seen < horizon]:
        _seen.pop(change_id, None)


def may_remember(schema: str) -> bool:
    """False while an atomic block of this connection holds an uncommitted settings write of
    the schema (tenants/database/base.py marks the block): what is read then may yet be rolled
    back. The mark leaves with the block."""
    return not any(
        schema in getattr(block, WRITTEN_ATTRIBUTE, ()) for block in connection.atomic_blocks
    )


def memory_seconds(window: float) -> float:
    """How long an entry is kept by a memory whose window is `window`: 0 (off) stays 0;
    otherwise until its tenant changes, and at most CIAM_MEMORY_MAX_SECONDS."""
    if window <= 0:
        return 0.0
    return max(float(window), float(settings.CIAM_MEMORY_MAX_SECONDS))
