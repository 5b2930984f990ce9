"""URLs outside any tenant: the admin center and health checks (public schema)."""

from django.urls import include, path
from django.views.generic import RedirectView

from ciam_portal.health import healthz
from tenants import errors

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin_center:home"), name="root"),
    path("healthz", healthz, name="healthz"),
    path("admin-center/", include("admin_center.urls")),
]

# Error pages that never need the session (tenants/errors.py); the other URLconf has the same.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
