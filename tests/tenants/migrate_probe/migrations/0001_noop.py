from django.db import migrations


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
