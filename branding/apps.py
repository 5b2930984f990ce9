from django.apps import AppConfig


class BrandingConfig(AppConfig):
    name = "branding"
    verbose_name = "Company branding"

    def ready(self) -> None:
        # What the sign-in path remembers of this room's settings is forgotten when they are
        # written (tenants/changes.py).
        from branding.models import Branding, LanguageOverride
        from tenants.changes import settings_tables_watch

        settings_tables_watch(Branding, LanguageOverride)
