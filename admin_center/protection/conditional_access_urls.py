from django.urls import URLPattern, path

from admin_center.protection import conditional_access as views

_POLICIES = "tenants/<uuid:tenant_id>/conditional-access/policies/"
_LOCATIONS = "tenants/<uuid:tenant_id>/conditional-access/named-locations/"

urlpatterns: list[URLPattern] = [
    path(_POLICIES, views.policy_list, name="conditional-access-policies"),
    path(f"{_POLICIES}add/", views.policy_add, name="conditional-access-policy-add"),
    path(f"{_POLICIES}<uuid:policy_id>/", views.policy_detail, name="conditional-access-policy"),
    path(
        f"{_POLICIES}<uuid:policy_id>/remove/",
        views.policy_remove,
        name="conditional-access-policy-remove",
    ),
    path(_LOCATIONS, views.location_list, name="named-locations"),
    path(f"{_LOCATIONS}add/", views.location_add, name="named-location-add"),
    path(f"{_LOCATIONS}<uuid:location_id>/", views.location_detail, name="named-location"),
    path(
        f"{_LOCATIONS}<uuid:location_id>/remove/",
        views.location_remove,
        name="named-location-remove",
    ),
]
