from django.urls import URLPattern, path

from admin_center.userflows import custom_attributes, flows, layout

_FLOWS = "tenants/<uuid:tenant_id>/user-flows/"
_FLOW = f"{_FLOWS}<uuid:flow_id>/"
_ITEM = f"{_FLOW}attributes/<int:item_id>/"

urlpatterns: list[URLPattern] = [
    path(_FLOWS, flows.userflow_list_view, name="userflow-list"),
    path(_FLOW, flows.userflow_detail, name="userflow-detail"),
    path(f"{_FLOW}properties/", flows.userflow_properties, name="userflow-properties"),
    path(f"{_FLOW}apps/", flows.userflow_apps_assign, name="userflow-apps-assign"),
    path(f"{_FLOW}run/<uuid:app_id>/", flows.userflow_run, name="userflow-run"),
    path(f"{_FLOW}delete/", flows.userflow_delete, name="userflow-delete"),
    # Page layout
    path(f"{_FLOW}attributes/", layout.userflow_attribute_add, name="userflow-attribute-add"),
    path(f"{_ITEM}", layout.userflow_attribute_update, name="userflow-attribute-update"),
    path(f"{_ITEM}remove/", layout.userflow_attribute_remove, name="userflow-attribute-remove"),
    path(f"{_ITEM}move/", layout.userflow_attribute_move, name="userflow-attribute-move"),
    # Custom user attributes
    path(
        "tenants/<uuid:tenant_id>/custom-attributes/",
        custom_attributes.custom_attribute_list,
        name="custom-attributes",
    ),
    path(
        "tenants/<uuid:tenant_id>/custom-attributes/new/",
        custom_attributes.custom_attribute_add,
        name="custom-attribute-add",
    ),
    path(
        "tenants/<uuid:tenant_id>/custom-attributes/<int:attribute_id>/",
        custom_attributes.custom_attribute_change,
        name="custom-attribute-change",
    ),
]
