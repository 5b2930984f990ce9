"""Language customizations: per-language JSON overrides of the hosted pages' strings, keyed by
Entra's string IDs, from Company branding and from a user flow's Languages page."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
