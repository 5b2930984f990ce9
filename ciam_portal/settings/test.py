"""Test settings: the real stack, with a cheap password hasher to keep the suite fast."""

from ciam_portal.environment import env_bool, env_int, env_str
from ciam_portal.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    # Imported hashes verify in tests as in production (their tests switch the first hasher
    # back to argon2id, with PRODUCTION_PASSWORD_HASHERS, to see the upgrade).
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    *PASSWORD_IMPORT_HASHERS,  # noqa: F405
]
# A server started for the bulk import's browser test hashes as production does, so the
# imported hashes its sign-ins upgrade end as argon2id; it still reads the cheap hashes the
# tests made.
if env_bool("CIAM_TEST_PRODUCTION_HASHERS", False):
    PASSWORD_HASHERS = [
        *PRODUCTION_PASSWORD_HASHERS,  # noqa: F405
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
CIAM_TENANT_CACHE_SECONDS = 0
CIAM_LOOKUP_SECONDS = 0
CIAM_BRANDING_CACHE_SECONDS = 0
CIAM_PROTECTION_CACHE_SECONDS = 0
# The suite sends many requests a second from 127.0.0.1 to one tenant: a tenant that never saved
# its sign-in protection is limited far above Entra's figures here. The tests of the limits save
# the tenant's own (protection/limits.py reads a saved row first, as in production).
CIAM_REQUEST_LIMITS_UNSAVED = (10_000, 100_000)
# Tasks run in the calling thread unless a test starts a real worker (tests marked `redis`).
CELERY_TASK_ALWAYS_EAGER = True
# A server or worker a test starts on a broker of its own (the outbox's fault tests stop and
# restart that Redis), its cache left on PostgreSQL so that only the broker goes down.
_test_broker = env_str("CIAM_TEST_BROKER_URL")
if _test_broker:
    CELERY_BROKER_URL = _test_broker
    CELERY_TASK_ALWAYS_EAGER = False

# The cache gets its own Redis database, so that clearing it between tests (rate limits) never
# touches Celery's queues on the broker's database (CIAM_TEST_CACHE_DB: several suites at once on
# one Redis each take their own).
if REDIS_URL:  # noqa: F405
    _cache_db = env_int("CIAM_TEST_CACHE_DB", 1)
    CACHES["default"]["LOCATION"] = REDIS_URL.rsplit("/", 1)[0] + f"/{_cache_db}"  # noqa: F405
