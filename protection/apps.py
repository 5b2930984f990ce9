from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "protection"
    verbose_name = "Sign-in protection"
    default_auto_field = "django.db.models.BigAutoField"
