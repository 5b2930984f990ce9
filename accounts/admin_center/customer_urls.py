"""Admin-center URLs for customers (User Administrator or Global Administrator)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
