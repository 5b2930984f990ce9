"""The tenant's management API as a resource app, as Microsoft Graph is in Entra.

Every tenant has one built-in app registration for the management API (`/<tenant>/api/v1/`):
its application ID URI is `api://management`, and its app roles are the API's permissions
(`User.Read.All`, `Application.ReadWrite.All`, …, Graph's names). A daemon app requests some of
them under API permissions, an admin consents, and its client-credentials token for
`api://management/.default` carries them in `roles` (apps/oidc/client_credentials.py): nothing
here is new protocol. The app is the platform's, not the tenant's: it is neither listed with the
tenant's app registrations nor editable, and it has no credentials, so nobody signs in as it.
"""

from dataclasses import dataclass

from django.db import transaction

from apps.models import AppRegistration, AppRole, Platform

# A fixed application (client) ID in every tenant, as Graph's is in every Entra tenant.
MANAGEMENT_API_CLIENT_ID = "6d616e61-6765-4d00-8000-617069000001"
MANAGEMENT_API_URI = "api://management"
MANAGEMENT_API_NAME = "Management API"


@dataclass(frozen=True)
class ManagementRole:
    value: str
    display_name: str
    description: str


# Graph's permission names where Graph has one for the same thing. A ReadWrite role implies its
# Read role (management/permissions.py).
MANAGEMENT_ROLES: tuple[ManagementRole, ...] = (
    ManagementRole(
        "User.Read.All", "Read all customers", "Read customers' profiles and their groups."
    ),
    ManagementRole(
        "User.ReadWrite.All",
        "Read and write all customers",
        "Create, update, block, reset, delete and restore customers; import and export them.",
    ),
    ManagementRole("Group.Read.All", "Read all groups", "Read groups and their members."),
    ManagementRole(
        "Group.ReadWrite.All", "Read and write all groups", "Create groups and manage members."
    ),
    ManagementRole("Application.Read.All", "Read all applications", "Read app registrations."),
    ManagementRole(
        "Application.ReadWrite.All",
        "Read and write all applications",
        "Register apps and manage their platforms, credentials, APIs, permissions and claims.",
    ),
    ManagementRole(
        "AppRoleAssignment.ReadWrite.All",
        "Manage app role assignments",
        "Assign apps' roles to customers and groups, and grant admin consent.",
    ),
    ManagementRole(
        "IdentityUserFlow.Read.All", "Read user flows", "Read user flows and custom attributes."
    ),
    ManagementRole(
        "IdentityUserFlow.ReadWrite.All",
        "Read and write user flows",
        "Manage user flows, their sections, and custom attributes.",
    ),
    ManagementRole(
        "IdentityProvider.Read.All", "Read identity providers", "Read identity providers."
    ),
    ManagementRole(
        "IdentityProvider.ReadWrite.All",
        "Read and write identity providers",
        "Manage Google, Facebook, Apple and OpenID Connect identity providers.",
    ),
    ManagementRole(
        "OrganizationalBranding.Read.All", "Read branding", "Read company branding and languages."
    ),
    ManagementRole(
        "OrganizationalBranding.ReadWrite.All",
        "Read and write branding",
        "Manage company branding and language overrides.",
    ),
    ManagementRole(
        "Policy.Read.All",
        "Read policies",
        "Read authentication methods, conditional access, lockout and token lifetimes.",
    ),
    ManagementRole(
        "Policy.ReadWrite.AuthenticationMethod",
        "Manage authentication methods",
        "Manage authentication methods, password protection and smart lockout.",
    ),
    ManagementRole(
        "Policy.ReadWrite.ConditionalAccess",
        "Manage conditional access",
        "Manage conditional access policies and named locations.",
    ),
    ManagementRole(
        "Policy.ReadWrite.ApplicationConfiguration",
        "Manage token lifetimes",
        "Manage the tenant's token lifetimes.",
    ),
    ManagementRole(
        "CustomAuthenticationExtension.Read.All",
        "Read custom authentication extensions",
        "Read custom authentication extensions and their listeners.",
    ),
    ManagementRole(
        "CustomAuthenticationExtension.ReadWrite.All",
        "Manage custom authentication extensions",
        "Manage custom authentication extensions and their listeners.",
    ),
    ManagementRole(
        "TrustFrameworkKeySet.Read.All", "Read signing keys", "Read the tenant's signing keys."
    ),
    ManagementRole(
        "TrustFrameworkKeySet.ReadWrite.All",
        "Manage signing keys",
        "Rotate the tenant's signing keys.",
    ),
    ManagementRole(
        "AuditLog.Read.All", "Read sign-in and audit logs", "Read the sign-in log and audit log."
    ),
)
MANAGEMENT_ROLE_VALUES = frozenset(role.value for role in MANAGEMENT_ROLES)


@transaction.atomic
def management_api_provision() -> AppRegistration:
    """Make (or bring up to date) the tenant's management API app and its roles, in the current
    tenant's schema. Idempotent: provisioning and the data migration both call it, and a role
    added to the table reaches existing tenants on the next `ciam_migrate` or start."""
    app: AppRegistration
    app, _ = AppRegistration.objects.get_or_create(
        client_id=MANAGEMENT_API_CLIENT_ID,
        defaults={
            "name": MANAGEMENT_API_NAME,
            "platform": Platform.DAEMON,
            "app_id_uri": MANAGEMENT_API_URI,
            "client_type": AppRegistration.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": AppRegistration.GRANT_CLIENT_CREDENTIALS,
            "skip_authorization": True,
        },
    )
    existing = set(AppRole.objects.filter(app=app).values_list("value", flat=True))
    AppRole.objects.bulk_create(
        AppRole(
            app=app,
            value=role.value,
            display_name=role.display_name,
            description=role.description,
        )
        for role in MANAGEMENT_ROLES
        if role.value not in existing
    )
    return app


def is_management_api(app: AppRegistration) -> bool:
    return bool(app.client_id == MANAGEMENT_API_CLIENT_ID)
