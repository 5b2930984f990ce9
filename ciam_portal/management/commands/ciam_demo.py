"""Create, idempotently, the demo tenant and its admin; print what exists (DESIGN.md contract)."""

import json
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import operator_create
from ciam_portal.demo import (
    DemoApps,
    demo_apps_ensure,
    demo_branding_ensure,
    demo_federation_ensure,
)
from federation.exceptions import IdentityProviderInvalid
from tenants import services
from tenants.models import AdminRole, RoleAssignment, Tenant
from tenants.schemas import in_tenant, use_public_schema
from tenants.selectors import tenant_issuer

DEMO_ADMIN_EMAIL = "admin@{tenant}.example"
DEMO_ADMIN_PASSWORD = os.environ.get("CIAM_DEMO_ADMIN_PASSWORD", "Demo-Admin-Passw0rd!")


class Command(BaseCommand):
    help = "Create the demo tenant (contoso by default) and its admin, if missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", default="contoso", help="domain name of the demo tenant")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--federate-with",
            default="",
            metavar="PROVIDER_TENANT",
            help="also make this demo tenant (created if missing) an OpenID Provider of --tenant",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        domain_name: str = options["tenant"]
        provider_name: str = options["federate_with"]
        for name, option in ((domain_name, "--tenant"), (provider_name, "--federate-with")):
            if option == "--federate-with" and not name:
                continue
            try:
                services.domain_name_check(name)
            except Exception as error:
                raise CommandError(f"{option} {name!r}: {error}") from error
        if provider_name == domain_name:
            raise CommandError("--federate-with names another tenant than --tenant.")
        tenant, admin, demo_apps = self._demo_tenant_ensure(domain_name)
        summary: dict[str, Any] = {
            "issuer": tenant_issuer(tenant),
            "tenant": tenant.domain_name,
            "tenant_id": str(tenant.tenant_id),
            **demo_apps,
            "admin": {"email": admin.email, "password": DEMO_ADMIN_PASSWORD},
        }
        if provider_name:
            provider_tenant, _admin, _apps = self._demo_tenant_ensure(provider_name)
            try:
                summary["federation"] = demo_federation_ensure(
                    tenant=tenant, provider_tenant=provider_tenant
                )
            except IdentityProviderInvalid as error:
                raise CommandError(f"--federate-with {provider_name!r}: {error.errors}") from error
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"Demo tenant {tenant.domain_name} ({tenant.tenant_id}); "
                f"admin {admin.email} / {DEMO_ADMIN_PASSWORD}"
            )
            if provider_name:
                self.stdout.write(
                    f"{tenant.domain_name} signs customers in through {provider_name} "
                    f"(issuer {summary['federation']['issuer']})"
                )

    @staticmethod
    def _demo_tenant_ensure(domain_name: str) -> tuple[Tenant, User, DemoApps]:
        """The demo tenant, its admin and its demo apps, each created if missing."""
        use_public_schema()
        email = DEMO_ADMIN_EMAIL.format(tenant=domain_name)
        admin = User.objects.filter(email__iexact=email).first()
        if admin is None:
            admin = operator_create(
                email=email, password=DEMO_ADMIN_PASSWORD, display_name="Demo admin"
            )
        tenant = Tenant.objects.filter(domain_name=domain_name).first()
        if tenant is None:
            tenant = services.tenant_create(
                display_name=f"{domain_name.capitalize()} (demo)",
                domain_name=domain_name,
                country="US",
                creator=admin,
            )
        RoleAssignment.objects.get_or_create(
            tenant=tenant, operator=admin, role=AdminRole.GLOBAL_ADMINISTRATOR
        )
        with in_tenant(tenant):
            demo_apps = demo_apps_ensure(tenant_name=tenant.domain_name)
            demo_branding_ensure(company_name=domain_name.capitalize())
        return tenant, admin, demo_apps
