# The admin center's tenant list at 10,000 tenants (issue 16). Numbered 0023 by plan (0021 and
# 0022 come from sibling branches); it follows main's newest, 0024, so tenants keeps one leaf.

import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0024_schema_template'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PlatformAdministrator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('granted_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddIndex(
            model_name='roleassignment',
            index=models.Index(fields=['operator', 'tenant'], name='role_operator_tenant'),
        ),
        migrations.AddIndex(
            model_name='tenant',
            index=models.Index(fields=['created_at', 'id'], name='tenant_created_keyset'),
        ),
        migrations.AddIndex(
            model_name='tenant',
            index=models.Index(django.contrib.postgres.indexes.OpClass(models.F('domain_name'), name='varchar_pattern_ops'), name='tenant_domain_prefix'),
        ),
        migrations.AddIndex(
            model_name='tenant',
            index=models.Index(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Lower('display_name'), name='text_pattern_ops'), name='tenant_name_prefix'),
        ),
        migrations.AddField(
            model_name='platformadministrator',
            name='operator',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='platform_administrator', to=settings.AUTH_USER_MODEL),
        ),
    ]
