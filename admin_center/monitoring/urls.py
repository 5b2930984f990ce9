"""Admin-center URLs of the sign-in log (Reports Reader or Global Administrator; its retention,
Global Administrator)."""

from django.urls import URLPattern, path

from admin_center.monitoring import views

_LOG = "tenants/<uuid:tenant_id>/sign-in-logs/"

urlpatterns: list[URLPattern] = [
    path(_LOG, views.sign_in_log, name="sign-in-log"),
    path(f"{_LOG}download/", views.sign_in_log_download, name="sign-in-log-download"),
    path(f"{_LOG}settings/", views.sign_in_log_settings, name="sign-in-log-settings"),
]
