from django.urls import URLPattern, path

from admin_center.userflows import applications, custom_attributes, extensions, flows, layout

_FLOWS = "tenants/<uuid:tenant_id>/user-flows/"
_FLOW = f"{_FLOWS}<uuid:flow_id>/"

urlpatterns: list[URLPattern] = [
    path(_FLOWS, flows.userflow_list_view, name="userflow-list"),
    # A flow's sections (pages), then the operations their forms post to.
    path(_FLOW, flows.userflow_detail, name="userflow-detail"),
    path(
        f"{_FLOW}identity-providers/",
        flows.userflow_identity_providers,
        name="userflow-identity-providers",
    ),
    path(
        f"{_FLOW}user-attributes/",
        layout.userflow_user_attributes,
        name="userflow-user-attributes",
    ),
    path(f"{_FLOW}page-layouts/", layout.userflow_page_layouts, name="userflow-page-layouts"),
    path(
        f"{_FLOW}applications/",
        applications.userflow_applications,
        name="userflow-applications",
    ),
    path(f"{_FLOW}extensions/", extensions.userflow_extensions, name="userflow-extensions"),
    path(f"{_FLOW}properties/", flows.userflow_properties, name="userflow-properties"),
    path(
        f"{_FLOW}identity-providers/federation/",
        flows.userflow_federation_set,
        name="userflow-federation-set",
    ),
    path(f"{_FLOW}delete/", flows.userflow_delete, name="userflow-delete"),
    path(
        f"{_FLOW}attributes/<int:item_id>/move/",
        layout.userflow_attribute_move,
        name="userflow-attribute-move",
    ),
    path(
        f"{_FLOW}extensions/set/",
        extensions.userflow_extensions_set,
        name="userflow-extensions-set",
    ),
    path(f"{_FLOW}apps/", applications.userflow_apps_assign, name="userflow-apps-assign"),
    path(f"{_FLOW}run/<uuid:app_id>/", applications.userflow_run, name="userflow-run"),
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
