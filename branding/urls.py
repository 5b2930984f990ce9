"""Branding's files below a tenant's address (mounted by ciam_portal/urls_tenant.py)."""

from django.urls import path

from branding import views
from branding.selectors import ASSETS_PATH, THEME_PATH

urlpatterns = [
    path(f"{THEME_PATH}<str:version>.css", views.theme_stylesheet, name="branding-theme"),
    path(f"{ASSETS_PATH}<str:filename>", views.branding_asset, name="branding-asset"),
]
