from django.urls import path

from admin_center.userflows import views

urlpatterns = [
    path("tenants/<uuid:tenant_id>/user-flows/", views.userflow_list_view, name="userflow-list"),
    path(
        "tenants/<uuid:tenant_id>/user-flows/<uuid:flow_id>/",
        views.userflow_detail,
        name="userflow-detail",
    ),
    path(
        "tenants/<uuid:tenant_id>/user-flows/<uuid:flow_id>/delete/",
        views.userflow_delete,
        name="userflow-delete",
    ),
    path(
        "tenants/<uuid:tenant_id>/custom-attributes/",
        views.custom_attribute_list,
        name="custom-attributes",
    ),
]
