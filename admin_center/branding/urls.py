from django.urls import URLPattern

from admin_center.branding import company, languages

urlpatterns: list[URLPattern] = [*company.urlpatterns, *languages.urlpatterns]
