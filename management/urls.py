"""The management API's routes, below `/<tenant>/api/v1/` (ciam_portal/urls_tenant.py)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from management import (
    app_role_assignments,
    application_api,
    application_credentials,
    applications,
    audit_logs,
    authentication_methods,
    branding,
    conditional_access,
    configuration,
    extensions,
    groups,
    identity_providers,
    signing_keys,
    token_lifetimes,
    user_imports,
    userflow_attributes,
    userflows,
    users,
)
from management.openapi import OpenApiPage, openapi_document
from management.problems import problem_json

app_name = "management"


@csrf_exempt
def unknown_path(request: HttpRequest, rest: str) -> JsonResponse:
    """Any other path under /api/v1/: a problem, not the tenant's HTML error page."""
    return problem_json(request, 404, "No such resource.")


urlpatterns = [
    path("openapi.json", openapi_document, name="openapi"),
    path("docs", OpenApiPage.as_view(), name="docs"),
    path("users", users.UsersView.as_view(), name="users"),
    path("users/imports", user_imports.UserImportsView.as_view(), name="user-imports"),
    path(
        "users/imports/<uuid:import_id>",
        user_imports.UserImportView.as_view(),
        name="user-import",
    ),
    path(
        "users/imports/<uuid:import_id>/errors",
        user_imports.UserImportErrorsView.as_view(),
        name="user-import-errors",
    ),
    path("users/export", user_imports.UserExportView.as_view(), name="user-export"),
    path("users/<uuid:user_id>", users.UserView.as_view(), name="user"),
    path("users/<uuid:user_id>/restore", users.UserRestoreView.as_view(), name="user-restore"),
    path(
        "users/<uuid:user_id>/resetPassword",
        users.UserPasswordResetView.as_view(),
        name="user-reset-password",
    ),
    path(
        "users/<uuid:user_id>/revokeSignInSessions",
        users.UserSessionsRevokeView.as_view(),
        name="user-revoke-sessions",
    ),
    path("applications", applications.ApplicationsView.as_view(), name="applications"),
    path("applications/<uuid:app_id>", applications.ApplicationView.as_view(), name="application"),
    path(
        "applications/<uuid:app_id>/addPassword",
        application_credentials.ApplicationAddPasswordView.as_view(),
        name="application-add-password",
    ),
    path(
        "applications/<uuid:app_id>/removePassword",
        application_credentials.ApplicationRemovePasswordView.as_view(),
        name="application-remove-password",
    ),
    path(
        "applications/<uuid:app_id>/addKey",
        application_credentials.ApplicationAddKeyView.as_view(),
        name="application-add-key",
    ),
    path(
        "applications/<uuid:app_id>/removeKey",
        application_credentials.ApplicationRemoveKeyView.as_view(),
        name="application-remove-key",
    ),
    path(
        "applications/<uuid:app_id>/grantAdminConsent",
        application_api.ApplicationAdminConsentView.as_view(),
        name="application-grant-consent",
    ),
    path(
        "applications/<uuid:app_id>/revokeAdminConsent",
        application_api.ApplicationRevokeAdminConsentView.as_view(),
        name="application-revoke-consent",
    ),
    path(
        "applications/<uuid:app_id>/api/oauth2PermissionScopes",
        application_api.ApplicationScopesView.as_view(),
        name="application-scopes",
    ),
    path(
        "applications/<uuid:app_id>/appRoles",
        application_api.ApplicationAppRolesView.as_view(),
        name="application-app-roles",
    ),
    path("auditLogs/signIns", audit_logs.SignInsView.as_view(), name="sign-ins"),
    path("auditLogs/signIns/<int:sign_in_id>", audit_logs.SignInView.as_view(), name="sign-in"),
    path(
        "auditLogs/directoryAudits",
        audit_logs.DirectoryAuditsView.as_view(),
        name="directory-audits",
    ),
    path(
        "auditLogs/directoryAudits/<int:entry_id>",
        audit_logs.DirectoryAuditView.as_view(),
        name="directory-audit",
    ),
    path(
        "policies/authenticationMethodsPolicy",
        authentication_methods.AuthenticationMethodsPolicyView.as_view(),
        name="authentication-methods-policy",
    ),
    path(
        "policies/authenticationMethodsPolicy/passwordProtection",
        authentication_methods.PasswordProtectionView.as_view(),
        name="password-protection",
    ),
    path(
        "policies/tokenLifetimePolicy",
        token_lifetimes.TokenLifetimePolicyView.as_view(),
        name="token-lifetime-policy",
    ),
    path(
        "identity/conditionalAccess/policies",
        conditional_access.PoliciesView.as_view(),
        name="conditional-access-policies",
    ),
    path(
        "identity/conditionalAccess/policies/<uuid:policy_id>",
        conditional_access.PolicyView.as_view(),
        name="conditional-access-policy",
    ),
    path(
        "identity/conditionalAccess/namedLocations",
        conditional_access.NamedLocationsView.as_view(),
        name="named-locations",
    ),
    path(
        "identity/conditionalAccess/namedLocations/<uuid:location_id>",
        conditional_access.NamedLocationView.as_view(),
        name="named-location",
    ),
    path(
        "identity/customAuthenticationExtensions",
        extensions.ExtensionsView.as_view(),
        name="custom-authentication-extensions",
    ),
    path(
        "identity/customAuthenticationExtensions/<uuid:extension_id>",
        extensions.ExtensionView.as_view(),
        name="custom-authentication-extension",
    ),
    path(
        "identity/authenticationEventListeners",
        extensions.ListenersView.as_view(),
        name="authentication-event-listeners",
    ),
    path(
        "identity/authenticationEventListeners/<uuid:listener_id>",
        extensions.ListenerView.as_view(),
        name="authentication-event-listener",
    ),
    path("signingKeys", signing_keys.SigningKeysView.as_view(), name="signing-keys"),
    path(
        "signingKeys/rotate",
        signing_keys.SigningKeyRotateView.as_view(),
        name="signing-keys-rotate",
    ),
    path("configuration", configuration.ConfigurationView.as_view(), name="configuration"),
    path(
        "configuration/apply",
        configuration.ConfigurationApplyView.as_view(),
        name="configuration-apply",
    ),
    path("users/<uuid:user_id>/memberOf", groups.UserMemberOfView.as_view(), name="user-member-of"),
    path("groups", groups.GroupsView.as_view(), name="groups"),
    path("groups/<uuid:group_id>", groups.GroupView.as_view(), name="group"),
    path("groups/<uuid:group_id>/members", groups.GroupMembersView.as_view(), name="members"),
    path(
        "groups/<uuid:group_id>/members/<uuid:user_id>",
        groups.GroupMemberView.as_view(),
        name="member",
    ),
    path(
        "applications/<uuid:app_id>/appRoleAssignedTo",
        app_role_assignments.AppRoleAssignedToView.as_view(),
        name="app-role-assigned-to",
    ),
    path(
        "applications/<uuid:app_id>/appRoleAssignedTo/<uuid:assignment_id>",
        app_role_assignments.AppRoleAssignmentView.as_view(),
        name="app-role-assignment",
    ),
    # User flows and their sections; custom attributes (management/userflows.py and
    # management/userflow_attributes.py).
    path("identity/userFlows", userflows.UserFlowsView.as_view(), name="userflows"),
    path("identity/userFlows/<uuid:flow_id>", userflows.UserFlowView.as_view(), name="userflow"),
    path(
        "identity/userFlows/<uuid:flow_id>/attributes",
        userflows.FlowAttributesView.as_view(),
        name="userflow-attributes",
    ),
    path(
        "identity/userFlows/<uuid:flow_id>/attributes/order",
        userflows.FlowAttributeOrderView.as_view(),
        name="userflow-attributes-order",
    ),
    path(
        "identity/userFlows/<uuid:flow_id>/attributes/<str:attribute_id>",
        userflows.FlowAttributeView.as_view(),
        name="userflow-attribute",
    ),
    path(
        "identity/userFlows/<uuid:flow_id>/identityProviders",
        userflows.FlowIdentityProvidersView.as_view(),
        name="userflow-identity-providers",
    ),
    path(
        "identity/userFlows/<uuid:flow_id>/applications",
        userflows.FlowApplicationsView.as_view(),
        name="userflow-applications",
    ),
    path(
        "identity/userFlowAttributes",
        userflow_attributes.CustomAttributesView.as_view(),
        name="userflow-attributes-custom",
    ),
    path(
        "identity/userFlowAttributes/<str:attribute_id>",
        userflow_attributes.CustomAttributeView.as_view(),
        name="userflow-attribute-custom",
    ),
    # Identity providers (management/identity_providers.py).
    path(
        "identity/identityProviders",
        identity_providers.IdentityProvidersView.as_view(),
        name="identity-providers",
    ),
    path(
        "identity/identityProviders/<str:provider_id>",
        identity_providers.IdentityProviderView.as_view(),
        name="identity-provider",
    ),
    # Company branding, its language layers and images, the languages (management/branding.py).
    path("organization/branding", branding.BrandingView.as_view(), name="branding"),
    path(
        "organization/branding/localizations",
        branding.LocalizationsView.as_view(),
        name="branding-localizations",
    ),
    path(
        "organization/branding/localizations/<str:locale>",
        branding.LocalizationView.as_view(),
        name="branding-localization",
    ),
    path(
        "organization/branding/localizations/<str:locale>/<str:kind>",
        branding.LocalizedBrandingImageView.as_view(),
        name="branding-localization-image",
    ),
    path(
        "organization/branding/applications/<uuid:app_id>",
        branding.AppBrandingView.as_view(),
        name="branding-app",
    ),
    path(
        "organization/branding/applications/<uuid:app_id>/localizations/<str:locale>",
        branding.AppLocalizationView.as_view(),
        name="branding-app-localization",
    ),
    path(
        "organization/branding/languages",
        branding.LanguagesView.as_view(),
        name="branding-languages",
    ),
    path(
        "organization/branding/languages/<str:locale>/overrides",
        branding.LanguageOverridesView.as_view(),
        name="branding-language-overrides",
    ),
    path(
        "organization/branding/<str:kind>",
        branding.BrandingImageView.as_view(),
        name="branding-image",
    ),
    re_path(r"^(?P<rest>.*)$", unknown_path),
]
