from django.apps import AppConfig


class AppRegistrationsConfig(AppConfig):
    name = "apps"
    label = "apps"
    verbose_name = "App registrations"

    def ready(self) -> None:
        from accounts.signals import customer_credentials_revoked
        from apps.revocation import on_customer_credentials_revoked

        # accounts may not import apps: it tells, and the tokens this app issued end here.
        customer_credentials_revoked.connect(
            on_customer_credentials_revoked, dispatch_uid="apps.customer-tokens"
        )
