"""A Django app holding one no-op migration, for timing `ciam_migrate` over every tenant schema
(bench/scale.py's `migrate` phase, under bench/scale_settings.py). No models: it adds nothing
to a schema but the row in `django_migrations` that says its migration ran."""
