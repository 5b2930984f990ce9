"""URLs of one tenant, below `/<tenant>/` (the middleware moved that segment into SCRIPT_NAME)."""

from django.urls import include, path

from accounts.views import customer_home
from ciam_portal.health import healthz

urlpatterns = [
    path("", customer_home, name="customer-home"),
    path("healthz", healthz, name="tenant-healthz"),
    path("account/", include("allauth.urls")),
    path("", include("apps.oidc.urls")),
]
