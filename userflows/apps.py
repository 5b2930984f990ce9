from django.apps import AppConfig


class UserFlowsConfig(AppConfig):
    name = "userflows"
    verbose_name = "User flows"

    def ready(self) -> None:
        # What the sign-in path remembers of this room's settings is forgotten when they are
        # written (tenants/changes.py).
        from tenants.changes import settings_tables_watch
        from userflows.models import UserFlow, UserFlowAttribute

        settings_tables_watch(UserFlow, UserFlowAttribute)
