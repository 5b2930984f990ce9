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
# django-tenants switches the search path per request: its backend wraps Django's PostgreSQL one.
_database["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES = {"default": _database}
