"""Settings for `ciam_migrate` run by tests/tenants/test_ciam_migrate.py in a process of its
own: the test settings plus a test-only tenant app, whose migrations come from the module
CIAM_TEST_PROBE_MIGRATIONS names (default: tests/tenants/migrate_probe/migrations)."""

import os

from ciam_portal.settings.test import *  # noqa: F403

TENANT_APPS = [*TENANT_APPS, "tests.tenants.migrate_probe"]  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "tests.tenants.migrate_probe"]  # noqa: F405
MIGRATION_MODULES = {
    "migrate_probe": os.environ.get(
        "CIAM_TEST_PROBE_MIGRATIONS", "tests.tenants.migrate_probe.migrations"
    )
}
