from django.apps import AppConfig


class AppRegistrationsConfig(AppConfig):
    name = "apps"
    label = "apps"
    verbose_name = "App registrations"
