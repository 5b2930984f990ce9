"""The second factor's pages (journey/mfa/views.py), under account/second-factor/. Their names
begin with `account-`, so they are pages of the journey (journey/pages.py)."""

from django.urls import URLPattern, path

from journey.mfa import views

urlpatterns: list[URLPattern] = [
    path("", views.second_factor, name="account-second-factor"),
    path("email/", views.second_factor_email, name="account-second-factor-email"),
    path(
        "set-up/authenticator-app/",
        views.totp_set_up,
        name="account-second-factor-authenticator-app",
    ),
    path("set-up/passkey/", views.passkey_set_up, name="account-second-factor-passkey"),
    path("recovery-codes/", views.recovery_codes, name="account-second-factor-recovery-codes"),
]
