"""Admin-center URLs of the Password protection page (smart lockout and request limits)."""

from django.urls import URLPattern, path

from admin_center.protection import lockout

urlpatterns: list[URLPattern] = [
    path(
        "tenants/<uuid:tenant_id>/authentication-methods/password-protection/",
        lockout.password_protection,
        name="password-protection",
    ),
]
