from django.urls import path

from admin_center.tenants import audit_log, views

urlpatterns = [
    path("", views.home, name="home"),
    path("tenants/new/", views.tenant_create, name="tenant-create"),
    path("tenants/search/", views.tenant_search, name="tenant-search"),
    path("tenants/<uuid:tenant_id>/", views.tenant_overview, name="tenant-overview"),
    path("tenants/<uuid:tenant_id>/admins/", views.tenant_admins, name="tenant-admins"),
    path(
        "tenants/<uuid:tenant_id>/admins/<int:operator_id>/",
        views.tenant_admin_roles,
        name="tenant-admin-roles",
    ),
    path(
        "tenants/<uuid:tenant_id>/admins/<int:operator_id>/remove/",
        views.tenant_admin_remove,
        name="tenant-admin-remove",
    ),
    path(
        "tenants/<uuid:tenant_id>/audit-log/", audit_log.tenant_audit_log, name="tenant-audit-log"
    ),
    path(
        "tenants/<uuid:tenant_id>/audit-log/download/",
        audit_log.tenant_audit_log_download,
        name="tenant-audit-log-download",
    ),
    path("tenants/<uuid:tenant_id>/delete/", views.tenant_delete, name="tenant-delete"),
]
