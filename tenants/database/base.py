"""The database backend: django-tenants' PostgreSQL backend, counting the schemas a connection
has worked in.

PostgreSQL keeps, in every backend process, a cache of each relation it has opened (its
columns, indexes, constraints): a connection that serves a thousand tenants holds about 360
relations of each, and its backend's memory grows with every tenant it has served, never
shrinking while it lives (bench/scale.py measures it). `tenants.schemas.connection_recycle_if_wide`
closes a connection at the end of a request or task once it has worked in more schemas than
CIAM_DB_SCHEMAS_PER_CONNECTION, so the next one starts on a fresh backend: a web worker's
database memory stays bounded however many tenants it serves.
"""

from typing import Any

from django_tenants.postgresql_backend import base


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schemas_touched: set[str] = set()

    def close(self) -> None:
        super().close()
        self.schemas_touched = set()

    def _handle_search_path(self, cursor: Any = None) -> None:
        super()._handle_search_path(cursor)
        if self.search_path_set_schemas:
            self.schemas_touched.update(self.search_path_set_schemas)
