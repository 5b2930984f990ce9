"""The database backend: django-tenants' PostgreSQL backend, counting the schemas a connection
has worked in, and recording every write to a tenant's settings in the change feed.

PostgreSQL keeps, in every backend process, a cache of each relation it has opened (its
columns, indexes, constraints): a connection that serves a thousand tenants holds about 360
relations of each, and its backend's memory grows with every tenant it has served, never
shrinking while it lives (bench/scale.py measures it). `tenants.schemas.connection_recycle_if_wide`
closes a connection at the end of a request or task once it has worked in more schemas than
CIAM_DB_SCHEMAS_PER_CONNECTION, so the next one starts on a fresh backend: a web worker's
database memory stays bounded however many tenants it serves.

Every statement also passes `_watch_settings_writes`: an INSERT, UPDATE or DELETE of a settings
table (tenants/changes.py) adds a row to the change feed, on the same connection and so in the
same transaction, whichever code sent it (a service, a queryset's `update`, a migration).
"""

import re
from typing import Any

from django_tenants.postgresql_backend import base
from django_tenants.utils import get_public_schema_name

from tenants import changes

# The table a write statement names first, as Django writes them (quoted or not, no schema).
_WRITE = re.compile(r'\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_TENANT_TABLE = "tenants_tenant"
_feed_exists = False  # per process: seen once, the table stays


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schemas_touched: set[str] = set()
        self.execute_wrappers.append(self._watch_settings_writes)

    def close(self) -> None:
        super().close()
        self.schemas_touched = set()

    def _handle_search_path(self, cursor: Any = None) -> None:
        super()._handle_search_path(cursor)
        if self.search_path_set_schemas:
            self.schemas_touched.update(self.search_path_set_schemas)

    def _watch_settings_writes(
        self, execute: Any, sql: Any, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        result = execute(sql, params, many, context)
        written = _WRITE.match(sql) if isinstance(sql, str) else None  # fails at a SELECT's S
        if written is not None:
            self._settings_write_record(written.group(1)[:1].upper(), written.group(2))
        return result

    def _settings_write_record(self, verb: str, table: str) -> None:
        schema = self.schema_name
        if schema == get_public_schema_name():
            # A new tenant makes no remembered row stale (only usable tenants are remembered).
            if table != _TENANT_TABLE or verb == "I":
                return
            schema = changes.TENANT_ROWS
        elif not changes.is_settings_table(table):
            return
        global _feed_exists
        # The raw connection: the same transaction, without passing these wrappers again.
        with self.connection.cursor() as cursor:
            if not _feed_exists:  # before tenants' migration 0025 (a fresh install migrating)
                cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (changes.TABLE,))
                row = cursor.fetchone()
                if not (row and row[0]):
                    return
                _feed_exists = True
            cursor.execute(changes.RECORD_SQL, (schema,))
        # Uncommitted until the outermost atomic block the code opened ends (a test case's own
        # blocks stand for the autocommit the code would otherwise run in): until then the
        # memories do not keep what they read of this schema (changes.may_remember).
        for block in self.atomic_blocks:
            if not getattr(block, "_from_testcase", False):
                written = block.__dict__.setdefault(changes.WRITTEN_ATTRIBUTE, set())
                written.add(schema)
                break
