"""Every admin-center URL, under the `admin_center` namespace (mounted at /admin-center/)."""

from django.urls import URLPattern

from admin_center.app_registrations.urls import urlpatterns as app_pages
from admin_center.branding.urls import urlpatterns as branding_pages
from admin_center.customers.urls import urlpatterns as customer_pages
from admin_center.extensions.urls import urlpatterns as extension_pages
from admin_center.federation.urls import urlpatterns as federation_pages
from admin_center.groups.urls import urlpatterns as group_pages
from admin_center.insights.urls import urlpatterns as insights_pages
from admin_center.monitoring.urls import urlpatterns as sign_in_log_pages
from admin_center.operators.urls import urlpatterns as operator_pages
from admin_center.protection.conditional_access_urls import urlpatterns as conditional_access_pages
from admin_center.protection.methods_urls import urlpatterns as authentication_methods_pages
from admin_center.protection.urls_lockout import urlpatterns as password_protection_pages
from admin_center.tenants.urls import urlpatterns as tenant_pages
from admin_center.userflows.urls import urlpatterns as userflow_pages

app_name = "admin_center"

urlpatterns: list[URLPattern] = [
    *operator_pages,
    *tenant_pages,
    *app_pages,
    *extension_pages,
    *userflow_pages,
    *customer_pages,
    *group_pages,
    *branding_pages,
    *federation_pages,
    *conditional_access_pages,
    *password_protection_pages,
    *authentication_methods_pages,
    *insights_pages,
    *sign_in_log_pages,
]
