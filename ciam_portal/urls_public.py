"""URLs outside any tenant: the admin center and health checks (public schema)."""

from django.urls import include, path
from django.views.generic import RedirectView

from accounts.admin_center.customer_urls import urlpatterns as customer_pages
from accounts.admin_center.urls import urlpatterns as account_pages
from apps.admin_center.urls import urlpatterns as app_pages
from ciam_portal.health import healthz
from tenants import errors
from tenants.admin_center.urls import urlpatterns as tenant_pages
from userflows.admin_center.urls import urlpatterns as userflow_pages

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin_center:home"), name="root"),
    path("healthz", healthz, name="healthz"),
    path(
        "admin-center/",
        include(
            (
                [*account_pages, *tenant_pages, *app_pages, *userflow_pages, *customer_pages],
                "admin_center",
            )
        ),
    ),
]

# Error pages that never need the session (tenants/errors.py); the other URLconf has the same.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
