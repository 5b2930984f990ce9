from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring: sign-in logs and usage insights"
    default_auto_field = "django.db.models.BigAutoField"
