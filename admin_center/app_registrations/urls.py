from django.urls import URLPattern, path

from admin_center.app_registrations import (
    authentication,
    credentials,
    custom_claims,
    expose_api,
    permissions,
    registrations,
    tokens,
    users_groups,
)

_APPS = "tenants/<uuid:tenant_id>/apps/"
_APP = f"{_APPS}<uuid:app_id>/"

urlpatterns: list[URLPattern] = [
    path(_APPS, registrations.app_list, name="app-list"),
    path(f"{_APPS}new/", registrations.app_register, name="app-register"),
    path(_APP, registrations.app_overview, name="app-overview"),
    path(f"{_APP}authentication/", authentication.app_authentication, name="app-authentication"),
    path(
        f"{_APP}authentication/platforms/new/",
        authentication.app_platform_add,
        name="app-platform-add",
    ),
    path(
        f"{_APP}authentication/platforms/<str:platform>/",
        authentication.app_platform_update,
        name="app-platform-update",
    ),
    path(
        f"{_APP}authentication/platforms/<str:platform>/remove/",
        authentication.app_platform_remove,
        name="app-platform-remove",
    ),
    path(f"{_APP}claims/", registrations.app_claims, name="app-claims"),
    path(f"{_APP}claims/custom/", custom_claims.app_custom_claims, name="app-custom-claims"),
    path(f"{_APP}delete/", registrations.app_delete, name="app-delete"),
    # Certificates & secrets
    path(f"{_APP}credentials/", credentials.app_credentials, name="app-credentials"),
    path(f"{_APP}credentials/secrets/new/", credentials.app_secret_add, name="app-secret-add"),
    path(
        f"{_APP}credentials/secrets/<uuid:secret_id>/remove/",
        credentials.app_secret_remove,
        name="app-secret-remove",
    ),
    path(
        f"{_APP}credentials/certificates/new/",
        credentials.app_certificate_add,
        name="app-certificate-add",
    ),
    path(
        f"{_APP}credentials/certificates/<int:certificate_id>/remove/",
        credentials.app_certificate_remove,
        name="app-certificate-remove",
    ),
    # Expose an API
    path(f"{_APP}expose-api/", expose_api.app_expose_api, name="app-expose-api"),
    path(f"{_APP}expose-api/app-id-uri/", expose_api.app_id_uri_set, name="app-id-uri-set"),
    path(f"{_APP}expose-api/scopes/new/", expose_api.app_scope_add, name="app-scope-add"),
    path(f"{_APP}expose-api/roles/new/", expose_api.app_role_add, name="app-role-add"),
    path(
        f"{_APP}expose-api/roles/<uuid:role_id>/member-types/",
        expose_api.app_role_member_types,
        name="app-role-member-types",
    ),
    # Users and groups (app role assignments) and Token configuration (the groups claim)
    path(f"{_APP}users-groups/", users_groups.app_users_groups, name="app-users-groups"),
    path(
        f"{_APP}users-groups/new/",
        users_groups.app_role_assignment_add,
        name="app-role-assignment-add",
    ),
    path(
        f"{_APP}users-groups/<uuid:assignment_id>/remove/",
        users_groups.app_role_assignment_remove,
        name="app-role-assignment-remove",
    ),
    path(
        f"{_APP}token-configuration/",
        users_groups.app_token_configuration,
        name="app-token-config",
    ),
    path(
        f"{_APP}token-configuration/groups-claim/",
        users_groups.app_groups_claim_set,
        name="app-groups-claim-set",
    ),
    # API permissions
    path(f"{_APP}permissions/", permissions.app_permissions, name="app-permissions"),
    path(f"{_APP}permissions/new/", permissions.app_permission_add, name="app-permission-add"),
    path(
        f"{_APP}permissions/<int:permission_id>/remove/",
        permissions.app_permission_remove,
        name="app-permission-remove",
    ),
    path(
        f"{_APP}permissions/consent/grant/",
        permissions.app_consent_grant,
        name="app-consent-grant",
    ),
    path(
        f"{_APP}permissions/consent/revoke/",
        permissions.app_consent_revoke,
        name="app-consent-revoke",
    ),
    # The tenant's tokens (the URL keeps its first name; the page is "Token lifetimes")
    path(
        "tenants/<uuid:tenant_id>/token-configuration/",
        tokens.token_lifetimes,
        name="token-configuration",
    ),
    path("tenants/<uuid:tenant_id>/signing-keys/", tokens.signing_keys, name="signing-keys"),
    path(
        "tenants/<uuid:tenant_id>/signing-keys/rotate/",
        tokens.signing_key_rotate_now,
        name="signing-key-rotate",
    ),
]
