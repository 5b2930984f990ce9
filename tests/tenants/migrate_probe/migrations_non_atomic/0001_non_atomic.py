"""A migration that cannot run in a transaction (as CREATE INDEX CONCURRENTLY would need)."""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False
    dependencies: list[tuple[str, str]] = []

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
