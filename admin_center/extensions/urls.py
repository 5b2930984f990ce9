from django.urls import URLPattern, path

from admin_center.extensions import console, registrations

_EXTENSIONS = "tenants/<uuid:tenant_id>/extensions/"
_ONE = f"{_EXTENSIONS}<uuid:extension_id>/"

urlpatterns: list[URLPattern] = [
    path(_EXTENSIONS, registrations.extension_list_view, name="extension-list"),
    path(f"{_EXTENSIONS}add/", registrations.extension_add, name="extension-add"),
    path(_ONE, registrations.extension_detail, name="extension"),
    path(f"{_ONE}remove/", registrations.extension_remove, name="extension-remove"),
    path(f"{_ONE}calls/", console.extension_console, name="extension-console"),
    path(f"{_ONE}calls/test/", console.extension_test_send, name="extension-test"),
    path(f"{_ONE}calls/<int:call_id>/", console.extension_call_detail, name="extension-call"),
    path(
        f"{_ONE}calls/<int:call_id>/replay/",
        console.extension_call_replay,
        name="extension-call-replay",
    ),
]
