from django.apps import AppConfig


class UserFlowsConfig(AppConfig):
    name = "userflows"
    verbose_name = "User flows"
