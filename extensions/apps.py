from django.apps import AppConfig


class ExtensionsConfig(AppConfig):
    name = "extensions"
    verbose_name = "Custom authentication extensions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What the sign-in path remembers of this room's settings is forgotten when they are
        # written (tenants/changes.py).
        from extensions.models import CustomAuthenticationExtension, ExtensionListener
        from tenants.changes import settings_tables_watch

        settings_tables_watch(CustomAuthenticationExtension, ExtensionListener)
