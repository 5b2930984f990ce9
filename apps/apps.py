from django.apps import AppConfig

from tenants.signals import tenant_provisioned


class AppRegistrationsConfig(AppConfig):
    name = "apps"
    label = "apps"
    verbose_name = "App registrations"

    def ready(self) -> None:
        # Imported once the app registry is ready: the receiver's module imports models.
        from apps.provisioning import tenant_protocol_provision

        tenant_provisioned.connect(
            tenant_protocol_provision, dispatch_uid="apps.protocol-provision"
        )
