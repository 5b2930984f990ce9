"""Admin-center URLs of bulk operations on customers (User Administrator or Global
Administrator)."""

from django.urls import URLPattern, path

from admin_center.bulk import views

_BULK = "tenants/<uuid:tenant_id>/customers/bulk/"
_IMPORT = f"{_BULK}imports/<uuid:import_id>/"

urlpatterns: list[URLPattern] = [
    path(_BULK, views.bulk_operations, name="bulk-operations"),
    path(f"{_BULK}imports/", views.customer_import_upload, name="customer-import-upload"),
    path(f"{_BULK}template/", views.customer_import_template, name="customer-import-template"),
    path(f"{_BULK}export/", views.customer_export, name="customer-export"),
    path(_IMPORT, views.customer_import_detail, name="customer-import-detail"),
    path(f"{_IMPORT}progress/", views.customer_import_progress, name="customer-import-progress"),
    path(f"{_IMPORT}errors/", views.customer_import_errors, name="customer-import-errors"),
    path(f"{_IMPORT}cancel/", views.customer_import_cancel, name="customer-import-cancel"),
]
