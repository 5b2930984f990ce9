"""The database: `DATABASE_URL` when set, otherwise the embedded PostgreSQL in the data folder."""

import dj_database_url

from ciam_portal.embedded_database import embedded_database_url
from ciam_portal.environment import env_int, env_str

DATABASE_URL = env_str("DATABASE_URL") or embedded_database_url()

_database = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=env_int("CIAM_DB_CONN_MAX_AGE", 60),
    conn_health_checks=True,
)
# A server that does not accept a connection within these seconds (a restart, a failover, a
# network partition) fails the request at once, answered 503 with Retry-After
# (tenants/errors.py), rather than holding a worker (libpq's default is to wait for ever). A
# `connect_timeout` in DATABASE_URL wins. Readiness checks are bounded by it too.
_database.setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env_int("CIAM_DB_CONNECT_TIMEOUT", 2)
)
# django-tenants switches the search path per request: its backend wraps Django's PostgreSQL one,
# and ours wraps it to count the schemas a connection worked in (tenants/database/base.py).
_database["ENGINE"] = "tenants.database"
DATABASES = {"default": _database}

# A connection that has worked in more tenants' schemas than this is closed at the end of its
# request or task: PostgreSQL's per-backend cache of the relations it opened grows with each
# tenant served (tenants/database/base.py, bench/scale.py).
CIAM_DB_SCHEMAS_PER_CONNECTION = env_int("CIAM_DB_SCHEMAS_PER_CONNECTION", 100)
