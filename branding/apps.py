from django.apps import AppConfig


class BrandingConfig(AppConfig):
    name = "branding"
    verbose_name = "Company branding"
