"""The one table of endpoints (tenants/endpoints.py): paths by reverse() on the tenant URL names,
read by discovery, the admin center and tenant routing."""

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client, override_settings
from django.urls import resolve

from apps.models import AppRegistration
from tenants.endpoints import ENDPOINTS, METADATA, TOKEN, Endpoint
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_endpoint_url, tenant_endpoints


def test_every_path_is_its_url_names_path_in_the_tenant_urlconf() -> None:
    for endpoint in ENDPOINTS:
        match = resolve(endpoint.path, urlconf=settings.TENANT_URLCONF)
        assert match.view_name == endpoint.url_name


def test_the_paths_are_entras() -> None:
    """Apps configure these addresses: they are the product's contract (DESIGN.md decision 3)."""
    assert [endpoint.path for endpoint in ENDPOINTS] == [
        "/v2.0/.well-known/openid-configuration",
        "/oauth2/v2.0/authorize",
        "/oauth2/v2.0/token",
        "/oauth2/v2.0/userinfo",
        "/oauth2/v2.0/logout",
        "/oauth2/v2.0/revoke",
        "/oauth2/v2.0/introspect",
        "/discovery/v2.0/keys",
    ]


def test_the_admin_centers_list_and_discovery_give_the_same_addresses(tenant_a: Tenant) -> None:
    base = f"{settings.CIAM_BASE_URL}/{tenant_a.domain_name}"
    listed = dict(tenant_endpoints(tenant_a))
    assert listed["OAuth 2.0 token endpoint (v2)"] == f"{base}/oauth2/v2.0/token"
    assert listed["Signing keys (JWKS)"] == f"{base}/discovery/v2.0/keys"
    document = Client().get(f"/{tenant_a.domain_name}/v2.0/.well-known/openid-configuration")
    published = document.json()
    for endpoint in ENDPOINTS:
        if endpoint.metadata_key:
            assert published[endpoint.metadata_key] == tenant_endpoint_url(tenant_a, endpoint)
            assert listed[endpoint.label] == published[endpoint.metadata_key]


def a_token_view(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"answered_by": "the configured token view", "path": request.path_info})


@pytest.mark.django_db
@override_settings(CIAM_TOKEN_ENDPOINT_VIEW=f"{__name__}.a_token_view")
def test_tenant_routing_calls_the_token_view_the_setting_names(tenant_a: Tenant) -> None:
    """The kernel imports no token view: the setting names it, and only the token endpoint's
    path reaches it, ahead of the session middleware."""
    client = Client()
    answer = client.post(f"/{tenant_a.domain_name}{TOKEN.path}", {"grant_type": "x"})
    assert answer.json() == {"answered_by": "the configured token view", "path": TOKEN.path}
    assert not answer.cookies
    other = client.get(f"/{tenant_a.domain_name}/v2.0/.well-known/openid-configuration")
    assert "answered_by" not in other.json()


@pytest.mark.parametrize(("platform", "endpoint"), [("web", METADATA), ("daemon", TOKEN)])
def test_the_quick_starts_name_the_tables_addresses(
    admin_client: Client, tenant_a: Tenant, platform: str, endpoint: Endpoint
) -> None:
    pages = f"/admin-center/tenants/{tenant_a.tenant_id}/apps"
    redirect_uri = "" if platform == "daemon" else "https://app.example/cb"
    registered = admin_client.post(
        f"{pages}/new/", {"name": "Quick", "platform": platform, "redirect_uri": redirect_uri}
    )
    assert registered.status_code == 302
    with in_tenant(tenant_a):
        app = AppRegistration.objects.get(name="Quick")
    overview = admin_client.get(f"{pages}/{app.object_id}/")
    assert f'"{tenant_endpoint_url(tenant_a, endpoint)}"' in overview.text


def test_the_overview_names_the_management_api_where_it_answers(
    admin_client: Client, tenant_a: Tenant
) -> None:
    page = admin_client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/").text
    api = f"{settings.CIAM_BASE_URL}/{tenant_a.domain_name}/api/v1"
    for url in (f"{api}/", f"{api}/openapi.json", f"{api}/docs"):
        assert f">{url}<" in page
    document = Client().get(f"/{tenant_a.domain_name}/api/v1/openapi.json")
    assert document.json()["servers"] == [{"url": api}]
