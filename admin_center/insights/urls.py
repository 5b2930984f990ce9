"""Admin-center URLs for usage insights (Reports Reader or Global Administrator)."""

from django.urls import URLPattern, path

from admin_center.insights import views

urlpatterns: list[URLPattern] = [
    path(
        "tenants/<uuid:tenant_id>/insights/",
        views.usage_insights_page,
        name="usage-insights",
    ),
]
