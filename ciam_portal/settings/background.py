"""Cache, Celery and email: Redis and SMTP when configured; otherwise the cache is PostgreSQL,
Celery runs in-process and email goes to files."""

from celery.schedules import crontab

from ciam_portal.environment import DATA_DIR, env_bool, env_int, env_str

REDIS_URL = env_str("REDIS_URL")

# Keys carry the tenant's schema, so rate limits and cached data never cross tenants.
_KEY_FUNCTION = "django_tenants.cache.make_key"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": _KEY_FUNCTION,
        }
    }
else:
    # Never a per-process cache: rate limits and failed-sign-in counters are security state that
    # every worker process must share (tenants/cache.py says why not Django's database cache).
    CACHES = {
        "default": {
            "BACKEND": "tenants.cache.PostgresCache",
            "KEY_FUNCTION": _KEY_FUNCTION,
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged once it has run, so a worker that stops part-way leaves it queued: on
# SIGTERM a worker finishes its running tasks and takes no new one (Celery's warm shutdown), and a
# worker process killed mid-task (out of memory, SIGKILL) has its task put back for another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message a worker took and never acknowledged (acks_late: it died) goes back to the
    # queue after this long. Longer than any countdown a task waits for (email retries back
    # off to 300 s: Redis counts a waiting task as unacknowledged), far shorter than kombu's
    # hour; the outbox relay republishes sooner still (CIAM_OUTBOX_VISIBILITY_SECONDS).
    "visibility_timeout": 900,
    # A broker that is down or unreachable fails a publish in about a second instead of
    # hanging the request that publishes (tenants/outbox.py keeps the message meanwhile).
    # Neither applies to a worker's wait for messages (kombu's event loop).
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
# A worker's lines are written as the web nodes' are (settings.LOGGING, CIAM_LOG_FORMAT), not in
# Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "purge-deleted-tenants": {
        "task": "tenants.tasks.tenants_purge_due",
        "schedule": crontab(minute=17),
    },
    "purge-deleted-customers": {
        "task": "accounts.tasks.customers_purge_due",
        "schedule": crontab(minute=37),
    },
    "clear-expired-sessions": {
        "task": "accounts.tasks.sessions_clear_expired",
        "schedule": crontab(minute=47),
    },
    "clear-expired-tokens": {
        "task": "apps.tasks.tokens_clear_expired",
        "schedule": crontab(minute=52),
    },
    "purge-sign-in-logs": {
        "task": "monitoring.tasks.sign_in_logs_purge",
        "schedule": crontab(minute=27),
    },
    "roll-up-usage-insights": {
        "task": "monitoring.tasks.usage_rollups_advance",
        "schedule": crontab(minute="*/5"),
    },
    # Imports whose worker died go on from their checkpoint (bulk/services.py).
    "resume-customer-imports": {
        "task": "bulk.tasks.customer_imports_resume",
        "schedule": crontab(minute="*"),
    },
    # Messages whose publish failed (the broker was down) or whose worker died go out again
    # (tenants/outbox.py); delivered ones are purged.
    "relay-outbox": {
        "task": "tenants.tasks.outbox_relay",
        "schedule": 5.0,
        # Runs queued while every worker was down are dropped, not run back to back.
        "options": {"expires": 10},
    },
    "purge-outbox": {
        "task": "tenants.tasks.outbox_purge",
        "schedule": crontab(minute=7),
    },
    "maintain-signing-keys": {
        "task": "apps.tasks.signing_keys_maintain",
        "schedule": crontab(hour=3, minute=7),
    },
}

# The outbox (tenants/outbox.py): a message published this long ago and still not delivered is
# published again by the relay (its worker died, or the broker lost it); a message still not
# delivered after this many days is dropped (the code it carried expired long before).
CIAM_OUTBOX_VISIBILITY_SECONDS = env_int("CIAM_OUTBOX_VISIBILITY_SECONDS", 300)
CIAM_OUTBOX_ABANDON_DAYS = 7

# Customer imports (bulk/services.py): rows per transaction, and a pause after each batch that
# leaves the database to sign-ins while a large import runs (0: none).
CIAM_BULK_IMPORT_BATCH_ROWS = env_int("CIAM_BULK_IMPORT_BATCH_ROWS", 1000)
CIAM_BULK_IMPORT_PAUSE_MS = env_int("CIAM_BULK_IMPORT_PAUSE_MS", 0)

_email_dir = env_str("CIAM_EMAIL_DIR")
_smtp_host = env_str("CIAM_SMTP_HOST")
if _email_dir:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = _email_dir
elif _smtp_host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp_host
    EMAIL_PORT = env_int("CIAM_SMTP_PORT", 587)
    EMAIL_HOST_USER = env_str("CIAM_SMTP_USER")
    EMAIL_HOST_PASSWORD = env_str("CIAM_SMTP_PASSWORD")
    EMAIL_USE_TLS = env_bool("CIAM_SMTP_STARTTLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("CIAM_FROM_EMAIL", "no-reply@ciam.localhost")
