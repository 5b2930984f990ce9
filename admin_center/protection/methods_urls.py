"""Admin-center URLs of Authentication methods (admin_center/protection/methods.py)."""

from django.urls import URLPattern, path

from admin_center.protection import methods

urlpatterns: list[URLPattern] = [
    path(
        "tenants/<uuid:tenant_id>/authentication-methods/",
        methods.authentication_methods,
        name="authentication-methods",
    ),
    path(
        "tenants/<uuid:tenant_id>/authentication-methods/otp-send/",
        methods.otp_send_listener,
        name="authentication-methods-otp-send",
    ),
]
