"""The management API's routes, below `/<tenant>/api/v1/` (ciam_portal/urls_tenant.py)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from management import application_api, application_credentials, applications, users
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
    re_path(r"^(?P<rest>.*)$", unknown_path),
]
