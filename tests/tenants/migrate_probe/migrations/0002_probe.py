"""A table, then a failure in one schema: the table must not survive there, nor 0001's row."""

import os

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FAIL_SCHEMA_ENV = "CIAM_TEST_PROBE_FAIL_SCHEMA"


def fail_in_one_schema(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema = schema_editor.connection.schema_name  # type: ignore[attr-defined]
    if schema == os.environ.get(FAIL_SCHEMA_ENV):
        raise RuntimeError(f"probe migration fails in {schema}")


class Migration(migrations.Migration):
    dependencies = [("migrate_probe", "0001_noop")]

    operations = [
        migrations.CreateModel(
            name="Probe",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.RunPython(fail_in_one_schema, migrations.RunPython.noop),
    ]
