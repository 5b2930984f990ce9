"""The tenant's management API app and its roles (apps/management_api.py), for tenants made
before it existed. Written with the historical models, as a data migration must be."""

from django.db import migrations

from apps.management_api import (
    MANAGEMENT_API_CLIENT_ID,
    MANAGEMENT_API_NAME,
    MANAGEMENT_API_URI,
    MANAGEMENT_ROLES,
)


def provision(apps, schema_editor):
    AppRegistration = apps.get_model("apps", "AppRegistration")
    AppRole = apps.get_model("apps", "AppRole")
    app, _ = AppRegistration.objects.get_or_create(
        client_id=MANAGEMENT_API_CLIENT_ID,
        defaults={
            "name": MANAGEMENT_API_NAME,
            "platform": "daemon",
            "app_id_uri": MANAGEMENT_API_URI,
            "client_type": "confidential",
            "authorization_grant_type": "client-credentials",
            "skip_authorization": True,
        },
    )
    existing = set(AppRole.objects.filter(app=app).values_list("value", flat=True))
    for role in MANAGEMENT_ROLES:
        if role.value not in existing:
            AppRole.objects.create(
                app=app,
                value=role.value,
                display_name=role.display_name,
                description=role.description,
            )


class Migration(migrations.Migration):
    dependencies = [("apps", "0008_app_custom_claims")]

    operations = [migrations.RunPython(provision, migrations.RunPython.noop)]
