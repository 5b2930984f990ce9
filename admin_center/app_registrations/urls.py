from django.urls import path

from admin_center.app_registrations import views

_APP = "tenants/<uuid:tenant_id>/apps/<uuid:app_id>/"

urlpatterns = [
    path("tenants/<uuid:tenant_id>/apps/", views.app_list, name="app-list"),
    path("tenants/<uuid:tenant_id>/apps/new/", views.app_register, name="app-register"),
    path(_APP, views.app_overview, name="app-overview"),
    path(f"{_APP}authentication/", views.app_authentication, name="app-authentication"),
    path(f"{_APP}credentials/", views.app_credentials, name="app-credentials"),
    path(
        f"{_APP}credentials/<str:credential_id>/remove/",
        views.app_credential_remove,
        name="app-credential-remove",
    ),
    path(f"{_APP}expose-api/", views.app_expose_api, name="app-expose-api"),
    path(f"{_APP}permissions/", views.app_permissions, name="app-permissions"),
    path(f"{_APP}claims/", views.app_claims, name="app-claims"),
    path(f"{_APP}delete/", views.app_delete, name="app-delete"),
    path(
        "tenants/<uuid:tenant_id>/token-configuration/",
        views.token_configuration,
        name="token-configuration",
    ),
    path("tenants/<uuid:tenant_id>/signing-keys/", views.signing_keys, name="signing-keys"),
]
