from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Identity providers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What the sign-in path remembers of this room's settings is forgotten when they are
        # written (tenants/changes.py).
        from federation.models import IdentityProvider
        from tenants.changes import settings_tables_watch

        settings_tables_watch(IdentityProvider)
