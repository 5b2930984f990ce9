"""Tenant isolation: accounts, sessions, admin-center roles and the admin center's sign-in."""

import re
import uuid

import pytest
from django.test import Client

from accounts.models import User
from tenants.models import AdminRole, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import PASSWORD, MakeCustomer, MakeOperator, operator_client
from tests.factories.urls import every_route


def sign_in_customer(client: Client, tenant: Tenant, email: str, password: str = PASSWORD) -> None:
    response = client.post(
        f"/{tenant.domain_name}/account/login/", {"login": email, "password": password}
    )
    assert response.status_code == 302, response.content[:300]


def signed_in_email(client: Client, tenant: Tenant) -> str | None:
    response = client.get(f"/{tenant.domain_name}/")
    if response.status_code == 302:
        return None
    assert response.status_code == 200
    return response.context["user"].email  # type: ignore[no-any-return]


def test_same_email_is_two_accounts_in_two_tenants(
    tenant_a: Tenant, tenant_b: Tenant, customer_factory: MakeCustomer
) -> None:
    in_a = customer_factory(tenant_a, "Same@Example.com", password="Password-in-A-1")
    in_b = customer_factory(tenant_b, "same@example.com", password="Password-in-B-2")
    assert in_a.object_id != in_b.object_id
    with in_tenant(tenant_a):
        assert User.objects.get().check_password("Password-in-A-1")
    with in_tenant(tenant_b):
        assert User.objects.get().check_password("Password-in-B-2")

    client = Client()
    # A's password does not open B's account.
    response = client.post(
        f"/{tenant_b.domain_name}/account/login/",
        {"login": "same@example.com", "password": "Password-in-A-1"},
    )
    assert response.status_code == 200
    assert signed_in_email(client, tenant_b) is None


def test_session_of_a_is_anonymous_at_b_and_both_live_side_by_side(
    tenant_a: Tenant, tenant_b: Tenant, customer_factory: MakeCustomer
) -> None:
    customer_factory(tenant_a, "alice@example.com")
    customer_factory(tenant_b, "bob@example.com")
    client = Client()

    sign_in_customer(client, tenant_a, "alice@example.com")
    assert signed_in_email(client, tenant_a) == "alice@example.com"
    assert signed_in_email(client, tenant_b) is None

    sign_in_customer(client, tenant_b, "bob@example.com")
    assert signed_in_email(client, tenant_a) == "alice@example.com"
    assert signed_in_email(client, tenant_b) == "bob@example.com"
    cookie_a = client.cookies[f"ciam_session_{tenant_a.domain_name}"]
    assert cookie_a["path"] == f"/{tenant_a.domain_name}/"
    assert cookie_a["httponly"]

    # Signing out of A leaves B signed in.
    response = client.post(f"/{tenant_a.domain_name}/account/logout/")
    assert response.status_code == 302
    assert signed_in_email(client, tenant_a) is None
    assert signed_in_email(client, tenant_b) == "bob@example.com"


def test_a_session_key_of_a_is_worthless_at_b(
    tenant_a: Tenant, tenant_b: Tenant, customer_factory: MakeCustomer
) -> None:
    customer_factory(tenant_a, "alice@example.com")
    client = Client()
    sign_in_customer(client, tenant_a, "alice@example.com")
    stolen = client.cookies[f"ciam_session_{tenant_a.domain_name}"].value
    attacker = Client()
    attacker.cookies[f"ciam_session_{tenant_b.domain_name}"] = stolen
    attacker.cookies["ciam_session_admin"] = stolen
    assert signed_in_email(attacker, tenant_b) is None
    assert attacker.get("/admin-center/").status_code == 302


def test_customers_cannot_sign_in_to_the_admin_center(
    tenant_a: Tenant, customer_factory: MakeCustomer
) -> None:
    customer_factory(tenant_a, "customer@example.com")
    client = Client()
    sign_in_customer(client, tenant_a, "customer@example.com")
    # Their tenant session is not an admin-center session...
    assert client.get("/admin-center/").status_code == 302
    # ...and their credentials open nothing there.
    response = client.post(
        "/admin-center/sign-in/", {"username": "customer@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "do not match an admin account" in response.text
    assert client.get("/admin-center/").status_code == 302


def test_operators_cannot_sign_in_as_customers(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    operator_factory("ops@admins.example", tenant=tenant_a, roles=[AdminRole.GLOBAL_ADMINISTRATOR])
    client = Client()
    response = client.post(
        f"/{tenant_a.domain_name}/account/login/",
        {"login": "ops@admins.example", "password": PASSWORD},
    )
    assert response.status_code == 200
    assert signed_in_email(client, tenant_a) is None


def admin_center_tenant_urls(tenant_id: uuid.UUID) -> list[str]:
    """Every admin-center URL pattern that names a tenant, filled in for this tenant."""
    urls: list[str] = []
    for route in every_route():
        if "<uuid:tenant_id>" in route:
            filled = route.replace("<uuid:tenant_id>", str(tenant_id))
            filled = re.sub(r"<uuid:\w+>", lambda _m: str(uuid.uuid4()), filled)
            filled = re.sub(r"<int:\w+>", "1", filled)
            filled = re.sub(r"<(?:str|slug|path):\w+>", "x", filled)
            urls.append("/" + filled)
    assert all("<" not in url for url in urls), urls
    return urls


def test_operator_without_a_role_gets_403_on_every_admin_center_url_of_the_tenant(
    tenant_a: Tenant, tenant_b: Tenant, operator_factory: MakeOperator
) -> None:
    operator_factory("a-only@admins.example", tenant=tenant_a, roles=list(AdminRole))
    b_admin = operator_factory(
        "b@admins.example", tenant=tenant_b, roles=[AdminRole.GLOBAL_ADMINISTRATOR]
    )
    client = operator_client("a-only@admins.example")
    urls = admin_center_tenant_urls(tenant_b.tenant_id)
    assert len(urls) >= 6
    for url in urls:
        url = url.replace("/admins/1/", f"/admins/{b_admin.pk}/")
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 403, (method, url, response.status_code)
        # The same URLs open for the operator who holds the role.
    owner = operator_client("b@admins.example")
    assert owner.get(f"/admin-center/tenants/{tenant_b.tenant_id}/").status_code == 200


def test_unknown_tenant_ids_in_the_admin_center_are_403_too(admin_client: Client) -> None:
    response = admin_client.get(f"/admin-center/tenants/{uuid.uuid4()}/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("role", "allowed", "forbidden"),
    [
        (AdminRole.REPORTS_READER, ["", "audit-log/"], ["admins/", "delete/"]),
        (AdminRole.APPLICATION_ADMINISTRATOR, [""], ["admins/", "audit-log/", "delete/"]),
        (AdminRole.GLOBAL_ADMINISTRATOR, ["", "admins/", "audit-log/", "delete/"], []),
    ],
)
def test_each_role_opens_exactly_its_pages_and_sees_only_them_in_navigation(
    tenant_a: Tenant,
    operator_factory: MakeOperator,
    role: AdminRole,
    allowed: list[str],
    forbidden: list[str],
) -> None:
    operator_factory("role@admins.example", tenant=tenant_a, roles=[role])
    client = operator_client("role@admins.example")
    base = f"/admin-center/tenants/{tenant_a.tenant_id}/"
    overview = client.get(base)
    for suffix in allowed:
        assert client.get(base + suffix).status_code == 200, suffix
        assert f'href="{base}{suffix}"' in overview.text
    for suffix in forbidden:
        assert client.get(base + suffix).status_code == 403, suffix
        assert f'href="{base}{suffix}"' not in overview.text
