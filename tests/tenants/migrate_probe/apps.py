from django.apps import AppConfig


class MigrateProbeConfig(AppConfig):
    name = "tests.tenants.migrate_probe"
    label = "migrate_probe"
