"""URLs of one tenant, below `/<tenant>/` (the middleware moved that segment into SCRIPT_NAME)."""

from django.urls import include, path, re_path

from accounts.api import MeView
from ciam_portal.health import health_ready
from journey import identities, provider_callbacks, views
from journey.mfa import self_service as mfa_self_service
from tenants import errors

urlpatterns = [
    path("", views.customer_home, name="customer-home"),
    path("healthz", health_ready, name="tenant-healthz"),
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
    # An identity provider's account offered for linking to an account here (journey/linking.py).
    path("account/link/", views.link_offer, name="account-link"),
    path("account/second-factor/", include("journey.mfa.urls")),
    # A signed-in customer's own second factors (allauth.mfa's pages, only the kinds the tenant
    # enables can be set up), each change confirmed by allauth's re-authentication pages.
    path("account/2fa/", include(mfa_self_service.urlpatterns)),
    # allauth's self-service pages that no user flow offers yet (managing email addresses,
    # setting a password, linked social accounts) are not served: a customer changes their
    # profile through the app (/api/v1/me) or an admin; allauth's own MFA sign-in step is the
    # journey's (journey/mfa/stages.py). Nor is a sign-in by a token the browser posts (Google
    # One Tap, Facebook's JavaScript SDK): every sign-in through a provider starts with its
    # "Continue with" button and comes back below.
    re_path(
        r"^account/(email|password/set|3rdparty|social/connections"
        r"|2fa/(authenticate|trust)(/.*)?"
        r"|(google|facebook)/login/token)/$",
        views.not_offered,
    ),
    # The customer's own page of their linked identities, where the app's user flow allows it.
    path("account/identities/", identities.linked_identities, name="customer-identities"),
    path(
        "account/identities/<int:identity_id>/remove/",
        identities.linked_identity_remove,
        name="customer-identity-remove",
    ),
    # Where the identity providers send the customer back: allauth's callback view with
    # adapters that verify every ID token and refuse malformed answers.
    path(
        "account/google/login/callback/",
        provider_callbacks.google_callback,
        name="google_callback",
    ),
    path(
        "account/facebook/login/callback/",
        provider_callbacks.facebook_callback,
        name="facebook_callback",
    ),
    path(
        "account/apple/login/callback/finish/",
        provider_callbacks.apple_finish_callback,
        name="apple_finish_callback",
    ),
    path(
        "account/oidc/<str:provider_id>/login/callback/",
        provider_callbacks.openid_connect_callback,
        name="openid_connect_callback",
    ),
    path("account/", include("allauth.urls")),
    path("api/v1/me", MeView.as_view(), name="api-me"),
    # The management API (management/): everything the admin center manages, for apps.
    path("api/v1/", include("management.urls")),
    path("", include("branding.urls")),
    path("", include("apps.oidc.urls")),
]

# Error pages that never need the session (tenants/errors.py); the other URLconf has the same.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
