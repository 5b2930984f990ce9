"""One RunPython that does nothing: what `ciam_migrate` times is the per-schema cost of a
plan (search path, plan, transaction, state row), not any DDL."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
