from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0021_outbox'),
    ]

    operations = [
        migrations.CreateModel(
            name='SettingsChange',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('schema_name', models.CharField(max_length=63)),
                ('changed_at', models.DateTimeField()),
            ],
            options={
                'indexes': [models.Index(fields=['changed_at'], name='settings_change_at')],
            },
        ),
    ]
