"""URLs outside any tenant: the admin center, its operators' mount of the management API, health
checks and the metrics scrape (public schema)."""

from django.urls import include, path
from django.views.generic import RedirectView

from ciam_portal.health import health_live, health_ready
from ciam_portal.metrics import metrics
from management.operators import operator_urlpatterns
from tenants import errors

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin_center:home"), name="root"),
    # The WSGI entry answers these before Django (ciam_portal/health.py); through Django, too.
    path("health/live", health_live, name="health-live"),
    path("health/ready", health_ready, name="health-ready"),
    path("healthz", health_ready, name="healthz"),
    # The Prometheus scrape (ciam_portal/metrics.py: closed unless configured open).
    path("metrics", metrics, name="metrics"),
    # The management API for the admin center's signed-in operators (delegated access).
    path(
        "admin-center/tenants/<uuid:tenant_id>/api/v1/",
        include((operator_urlpatterns(), "management"), namespace="operator-api"),
    ),
    path("admin-center/", include("admin_center.urls")),
]

# Error pages that never need the session (tenants/errors.py); the other URLconf has the same.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
