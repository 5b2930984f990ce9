"""Company branding: the tenant's branding elements, per language and per app, with a live
preview (Organizational Branding Administrator or Global Administrator)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
