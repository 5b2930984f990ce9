"""URLs of one tenant, below `/<tenant>/` (the middleware moved that segment into SCRIPT_NAME)."""

from django.urls import include, path

from accounts import views
from accounts.api import MeView
from ciam_portal.health import healthz

urlpatterns = [
    path("", views.customer_home, name="customer-home"),
    path("healthz", healthz, name="tenant-healthz"),
    # Ours come first: they take allauth's names and paths, and gate them per user flow.
    path("account/login/", views.CustomerLoginView.as_view(), name="account_login"),
    path(
        "account/login/code/",
        views.RequestLoginCodeView.as_view(),
        name="account_request_login_code",
    ),
    path(
        "account/password/reset/",
        views.PasswordResetView.as_view(),
        name="account_reset_password",
    ),
    path("account/complete/", views.profile_completion, name="account-complete"),
    path("account/", include("allauth.urls")),
    path("api/v1/me", MeView.as_view(), name="api-me"),
    path("", include("apps.oidc.urls")),
]
