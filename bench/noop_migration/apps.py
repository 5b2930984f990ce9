from django.apps import AppConfig


class NoopMigrationConfig(AppConfig):
    name = "bench.noop_migration"
    label = "noop_migration"
    verbose_name = "Bench: one no-op migration"
