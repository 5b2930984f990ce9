"""URLs of one tenant, below `/<tenant>/` (the middleware moved that segment into SCRIPT_NAME)."""

from django.urls import include, path, re_path

from accounts.api import MeView
from ciam_portal.health import healthz
from journey import views
from journey.mfa import self_service as mfa_self_service
from tenants import errors

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
        "account/login/code/confirm/",
        views.ConfirmLoginCodeView.as_view(),
        name="account_confirm_login_code",
    ),
    path(
        "account/password/reset/",
        views.PasswordResetView.as_view(),
        name="account_reset_password",
    ),
    path("account/signup/", views.CustomerSignupView.as_view(), name="account_signup"),
    path(
        "account/password/change/",
        views.PasswordChangeView.as_view(),
        name="account_change_password",
    ),
    # The pages of the login stages (journey/stages.py, journey/mfa/stages.py).
    path("account/complete/", views.profile_completion, name="account-complete"),
    path("account/second-factor/", include("journey.mfa.urls")),
    # A signed-in customer's own second factors (allauth.mfa's pages, only the kinds the tenant
    # enables can be set up), each change confirmed by allauth's re-authentication pages.
    path("account/2fa/", include(mfa_self_service.urlpatterns)),
    # allauth's self-service pages that no user flow offers yet (managing email addresses,
    # setting a password, linked social accounts) are not served: a customer changes their
    # profile through the app (/api/v1/me) or an admin; allauth's own MFA sign-in step is the
    # journey's (journey/mfa/stages.py).
    re_path(
        r"^account/(email|password/set|3rdparty|social/connections"
        r"|2fa/(authenticate|trust)(/.*)?)/$",
        views.not_offered,
    ),
    path("account/", include("allauth.urls")),
    path("api/v1/me", MeView.as_view(), name="api-me"),
    path("", include("branding.urls")),
    path("", include("apps.oidc.urls")),
]

# Error pages that never need the session (tenants/errors.py); the other URLconf has the same.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
