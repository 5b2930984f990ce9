from django.test import Client
from django.urls import get_script_prefix, reverse

from tenants import services
from tenants.models import Tenant
from tests.factories.accounts import MakeCustomer, operator_client


def test_tenant_by_domain_name_is_served_in_its_schema(tenant_a: Tenant) -> None:
    response = Client().get(f"/{tenant_a.domain_name}/account/login/")
    assert response.status_code == 200
    # allauth's own reverse() came out prefixed with the tenant's segment.
    assert f'action="/{tenant_a.domain_name}/account/login/"' in response.text


def test_tenant_id_redirects_safe_requests_to_the_canonical_address(tenant_a: Tenant) -> None:
    response = Client().get(f"/{tenant_a.tenant_id}/account/login/?ui_locales=fr")
    assert response.status_code == 301
    assert response["Location"] == f"/{tenant_a.domain_name}/account/login/?ui_locales=fr"


def test_tenant_id_answers_other_methods_as_the_canonical_address(
    tenant_a: Tenant, customer_factory: MakeCustomer
) -> None:
    customer_factory(tenant_a, "ann@example.com")
    client = Client()
    response = client.post(
        f"/{tenant_a.tenant_id}/account/login/",
        {"login": "ann@example.com", "password": "Correct-Horse-42"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/{tenant_a.domain_name}/"
    assert client.get(f"/{tenant_a.domain_name}/").status_code == 200


def test_unknown_tenants_get_one_uniform_404(tenant_a: Tenant) -> None:
    # Each answer names its request (X-Request-ID): the same one, so the answers can be alike.
    client = Client(headers={"X-Request-ID": "one-request"})
    by_name = client.get("/no-such-tenant/account/login/")
    by_id = client.get("/0b7e4d9c-2f7a-4d53-9a3e-6a1f1c2b3d4e/account/login/")
    by_other_path = client.get("/another-unknown/v2.0/.well-known/openid-configuration")
    assert by_name.status_code == by_id.status_code == by_other_path.status_code == 404
    assert by_name.content == by_id.content == by_other_path.content
    assert sorted(by_name.headers.items()) == sorted(by_id.headers.items())
    # A NUL byte in the segment reached PostgreSQL (a 500); it names no tenant either.
    with_nul = Client(raise_request_exception=False).get("/no-such%00tenant/account/login/")
    assert with_nul.status_code == 404
    assert with_nul.content == by_name.content


def test_suspended_tenant_answers_the_uniform_404_at_once(tenant_a: Tenant) -> None:
    client = Client()
    unknown = client.get("/no-such-tenant/")
    assert client.get(f"/{tenant_a.domain_name}/account/login/").status_code == 200
    services.tenant_delete(tenant=tenant_a, actor=None)
    for segment in (tenant_a.domain_name, str(tenant_a.tenant_id)):
        response = client.get(f"/{segment}/account/login/")
        assert response.status_code == 404
        assert response.content == unknown.content


def test_script_prefix_and_schema_are_restored_after_a_tenant_request(tenant_a: Tenant) -> None:
    from django.db import connection

    Client().get(f"/{tenant_a.domain_name}/account/login/")
    assert get_script_prefix() == "/"
    assert connection.schema_name == "public"
    assert reverse("admin_center:home") == "/admin-center/"


def test_public_pages_are_not_routed_to_a_tenant(global_admin: object) -> None:
    client = operator_client("global@admins.example")
    assert client.get("/admin-center/").status_code == 200
    assert Client().get("/healthz").json()["status"] == "ready"
