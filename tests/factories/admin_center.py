"""A tenant where every admin-center route names a row that exists, for the sweeps that open
every route (roles, bad input)."""

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.services import group_create, group_member_add
from apps import services as app_services
from apps.assignments import app_role_assign
from apps.models import ApiPermission
from bulk.models import CustomerImport
from extensions.client import envelope, extension_call
from extensions.models import CustomAuthenticationExtension, ExtensionEvent
from federation.services import identity_provider_create
from monitoring.models import SignInEvent, SignInKind
from protection.conditional_access import (
    PolicySettings,
    conditional_access_policy_create,
    named_location_create,
)
from tenants.models import AdminRole
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, make_customer
from tests.factories.flows import FlowWorld
from tests.factories.urls import every_route

RouteValues = dict[str, str]


def public_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def admin_center_route_values(flow_world: FlowWorld, operator_factory: MakeOperator) -> RouteValues:
    """A value for each path argument of the admin center's routes, by name, each naming a row
    of `flow_world`'s tenant (tenant A): an app with a secret, a certificate and a permission, a
    user flow with attributes, a custom attribute, a customer with a linked identity, a second
    admin, an identity provider (Google), a named location and a conditional access policy
    excluding it, a custom authentication extension with a recorded call, a sign-in in the
    log (its pages list it, and open it in their pane), a group with the customer as member
    holding an app role of the app, and a queued customer import."""
    tenant = flow_world.tenant
    other_admin = operator_factory(tenant=tenant, roles=[AdminRole.REPORTS_READER])
    customer = make_customer(tenant, "swept@example.com")
    with in_tenant(tenant):
        app = flow_world.app
        secret = app.secrets.get()
        certificate = app_services.certificate_add(app=app, pem=public_key_pem())
        permission = ApiPermission.objects.filter(client=app).first()
        assert permission is not None
        item = flow_world.flow.attributes.filter(custom_attribute__isnull=False).first()
        assert item is not None
        assert item.custom_attribute is not None
        provider = identity_provider_create(
            kind="google", display_name="Google", client_id="swept.apps", secret="swept"
        )
        identity = SocialAccount.objects.create(user=customer, provider="google", uid="swept")
        location = named_location_create(name="Swept office", ip_ranges=["203.0.113.0/24"])
        SignInEvent.objects.create(
            kind=SignInKind.INTERACTIVE,
            status="failure",
            error_code=50126,
            reason="wrong_password",
            customer_object_id=customer.object_id,
            customer_email=customer.email,
            client_id=app.client_id,
            app_name=app.name,
            ip_address="192.0.2.1",
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            methods=["pwd"],
            policies=[{"name": "Swept policy", "grant": "mfa", "report_only": True}],
        )
        # An extension nothing listens on (port 9, discard: refused at once), with a call.
        extension = CustomAuthenticationExtension.objects.create(
            name="Swept extension",
            event=ExtensionEvent.TOKEN_ISSUANCE_START,
            target_url="http://127.0.0.1:9/swept",
            max_retries=0,
            api_app=app,
        )
        call = extension_call(
            extension=extension,
            listener=None,
            payload=envelope(
                extension=extension,
                listener=None,
                tenant_id=str(tenant.tenant_id),
                source="/tenants/swept",
                authentication_context={"correlationId": "swept"},
                data={},
            ),
        ).call
        customer_import = CustomerImport.objects.create(
            file_format="csv", file_name="swept.csv", created_by="swept@admins.example"
        )
        group = group_create(display_name="Swept group")
        group_member_add(group=group, user=customer)
        role = app_services.app_role_add(
            app=app, value="Swept.Role", display_name="Swept", allowed_member_types="both"
        )
        assignment = app_role_assign(role=role, group=group)
        policy = conditional_access_policy_create(
            settings=PolicySettings(
                name="Swept policy",
                state="report_only",
                grant="mfa",
                excluded_location_ids=[location.location_id],
            )
        )
    return {
        "tenant_id": str(tenant.tenant_id),
        "app_id": str(app.object_id),
        "secret_id": str(secret.secret_id),
        "certificate_id": str(certificate.pk),
        "permission_id": str(permission.pk),
        "flow_id": str(flow_world.flow.flow_id),
        "item_id": str(item.pk),
        "attribute_id": str(item.custom_attribute.pk),
        "object_id": str(customer.object_id),
        "identity_id": str(identity.pk),
        "operator_id": str(other_admin.pk),
        "locale": "fr",
        "slug": provider.slug,
        "policy_id": str(policy.policy_id),
        "location_id": str(location.location_id),
        "extension_id": str(extension.extension_id),
        "call_id": str(call.pk),
        "import_id": str(customer_import.object_id),
        "platform": "spa",
        "group_id": str(group.object_id),
        "member_id": str(customer.object_id),
        "role_id": str(role.role_id),
        "assignment_id": str(assignment.assignment_id),
    }


def route_url(route: str, values: RouteValues) -> str:
    """The route with each path argument replaced by the value of its name."""
    return "/" + re.sub(r"<\w+:(\w+)>", lambda match: values[match.group(1)], route)


# Under a tenant's admin-center routes, the management API mounted for operators
# (management/operators.py): no pages, but the API's routes, guarded by the API's roles.
OPERATOR_API_MOUNT = "admin-center/tenants/<uuid:tenant_id>/api/v1/"


def admin_center_routes() -> list[str]:
    """Every route of the admin center (the public URLconf's other routes are no pages of it,
    nor is the management API's mount)."""
    return [
        route
        for route in every_route()
        if route.startswith("admin-center/") and not route.startswith(OPERATOR_API_MOUNT)
    ]


__all__ = ["admin_center_route_values", "admin_center_routes", "route_url"]
