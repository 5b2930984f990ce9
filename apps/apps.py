from django.apps import AppConfig

from accounts.signals import customer_credentials_revoked
from tenants.signals import tenant_provisioned


class AppRegistrationsConfig(AppConfig):
    name = "apps"
    label = "apps"
    verbose_name = "App registrations"

    def ready(self) -> None:
        # What the sign-in path remembers of this room's settings is forgotten when they are
        # written (tenants/changes.py).
        from apps.models import (
            ApiPermission,
            ApiScope,
            AppCertificate,
            AppClaim,
            AppCustomClaim,
            AppRedirectUri,
            AppRegistration,
            AppRole,
            ClientSecret,
            SigningKey,
            TokenSettings,
        )
        from tenants.changes import settings_tables_watch

        settings_tables_watch(
            AppRegistration,
            AppRedirectUri,
            ClientSecret,
            AppCertificate,
            ApiScope,
            AppRole,
            ApiPermission,
            AppClaim,
            AppCustomClaim,
            SigningKey,
            TokenSettings,
        )
        # Imported once the app registry is ready: the receivers' modules import models.
        from apps.provisioning import tenant_protocol_provision
        from apps.revocation import on_customer_credentials_revoked

        tenant_provisioned.connect(
            tenant_protocol_provision, dispatch_uid="apps.protocol-provision"
        )
        # accounts may not import apps: it tells, and the tokens this app issued end here.
        customer_credentials_revoked.connect(
            on_customer_credentials_revoked, dispatch_uid="apps.customer-tokens"
        )
