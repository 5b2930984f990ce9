"""bench/scale.py's settings for timing `ciam_migrate`: the product's own, plus one tenant app
holding a single no-op migration (bench/noop_migration), which every tenant schema then lacks.

    DJANGO_SETTINGS_MODULE=bench.scale_settings manage.py ciam_migrate --processes 2

The app has no models and no URLs: adding it to TENANT_APPS and INSTALLED_APPS is all it takes.
Its migration is also recorded in the public and base schemas (as every app's is).
"""

from ciam_portal.settings import *  # noqa: F403

TENANT_APPS = [*TENANT_APPS, "bench.noop_migration"]  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "bench.noop_migration"]  # noqa: F405
