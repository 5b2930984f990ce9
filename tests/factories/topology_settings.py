"""Settings of the two-node topology's processes (tests/factories/topology.py): the test
settings (their cheap hasher, their cache database) with what a deployment has and the test
settings switch off: tasks go to the broker, for the Celery worker, and each node remembers
tenants, lookups, branding and protection settings for 5 seconds, as in production."""

from ciam_portal.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CIAM_TENANT_CACHE_SECONDS = 5
CIAM_LOOKUP_SECONDS = 5
CIAM_BRANDING_CACHE_SECONDS = 5
CIAM_PROTECTION_CACHE_SECONDS = 5
