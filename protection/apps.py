from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "protection"
    verbose_name = "Sign-in protection"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What the sign-in path remembers of this room's settings is forgotten when they are
        # written (tenants/changes.py).
        from protection.models import (
            AuthenticationMethodsPolicy,
            ConditionalAccessPolicy,
            NamedLocation,
            SignInProtection,
        )
        from tenants.changes import settings_tables_watch

        settings_tables_watch(
            AuthenticationMethodsPolicy, SignInProtection, NamedLocation, ConditionalAccessPolicy
        )
