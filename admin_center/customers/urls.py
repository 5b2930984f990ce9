"""Admin-center URLs for customers (User Administrator or Global Administrator)."""

from django.urls import URLPattern, path

from admin_center.customers import views

_CUSTOMERS = "tenants/<uuid:tenant_id>/customers/"
_CUSTOMER = f"{_CUSTOMERS}<uuid:object_id>/"

urlpatterns: list[URLPattern] = [
    path(_CUSTOMERS, views.customer_list, name="customer-list"),
    path(f"{_CUSTOMERS}new/", views.customer_create, name="customer-create"),
    path(_CUSTOMER, views.customer_detail, name="customer-detail"),
    path(f"{_CUSTOMER}block/", views.customer_block, name="customer-block"),
    path(f"{_CUSTOMER}unblock/", views.customer_unblock, name="customer-unblock"),
    path(
        f"{_CUSTOMER}reset-password/",
        views.customer_password_reset,
        name="customer-reset-password",
    ),
    path(
        f"{_CUSTOMER}revoke-sessions/",
        views.customer_sessions_revoke,
        name="customer-revoke-sessions",
    ),
    path(
        f"{_CUSTOMER}identities/<int:identity_id>/remove/",
        views.customer_identity_remove,
        name="customer-identity-remove",
    ),
    path(
        f"{_CUSTOMER}clear-lockout/",
        views.customer_lockout_clear,
        name="customer-clear-lockout",
    ),
    path(f"{_CUSTOMER}reset-mfa/", views.customer_mfa_reset_view, name="customer-reset-mfa"),
    path(f"{_CUSTOMER}delete/", views.customer_delete, name="customer-delete"),
    path(f"{_CUSTOMER}restore/", views.customer_restore, name="customer-restore"),
]
