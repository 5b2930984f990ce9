"""A test-only tenant app for `ciam_migrate` (tests/tenants/test_ciam_migrate.py), installed
only by tests/tenants/migrate_settings.py in the command's own process: a no-op migration, then
one that creates a table and fails in the schema named by CIAM_TEST_PROBE_FAIL_SCHEMA."""
