"""Admin-center URLs for groups of customers (User Administrator or Global Administrator)."""

from django.urls import URLPattern, path

from admin_center.groups import views

_GROUPS = "tenants/<uuid:tenant_id>/groups/"
_GROUP = f"{_GROUPS}<uuid:group_id>/"

urlpatterns: list[URLPattern] = [
    path(_GROUPS, views.group_list, name="group-list"),
    path(f"{_GROUPS}new/", views.group_create, name="group-create"),
    path(_GROUP, views.group_detail, name="group-detail"),
    path(f"{_GROUP}delete/", views.group_delete, name="group-delete"),
    path(f"{_GROUP}members/add/", views.group_member_add, name="group-member-add"),
    path(
        f"{_GROUP}members/<uuid:member_id>/remove/",
        views.group_member_remove,
        name="group-member-remove",
    ),
]
