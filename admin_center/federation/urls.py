from django.urls import URLPattern, path

from admin_center.federation import providers
from federation.models import ProviderKind

_PROVIDERS = "tenants/<uuid:tenant_id>/identity-providers/"

urlpatterns: list[URLPattern] = [
    path(_PROVIDERS, providers.identity_provider_list_view, name="identity-provider-list"),
    # One page to add each kind: /add/google/, /add/openid-connect/ …
    *(
        path(
            f"{_PROVIDERS}add/{kind.value.replace('_', '-')}/",
            providers.identity_provider_add,
            {"kind": kind.value},
            name=f"identity-provider-add-{kind.value.replace('_', '-')}",
        )
        for kind in ProviderKind
    ),
    path(f"{_PROVIDERS}<slug:slug>/", providers.identity_provider_detail, name="identity-provider"),
    path(
        f"{_PROVIDERS}<slug:slug>/remove/",
        providers.identity_provider_remove,
        name="identity-provider-remove",
    ),
]
