from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "bulk"
    verbose_name = "Bulk import and export of customers"
    default_auto_field = "django.db.models.BigAutoField"
