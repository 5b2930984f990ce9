"""Bad input from signed-in identities gets a clear 4xx or a form error, never a 500, and stores
nothing: operators (Global Administrator) in the admin center, customers on the hosted pages and
at /api/v1/me."""

import re

import pytest
from django.test import Client

from accounts.models import User
from tenants.models import AdminRole, Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_me_api import token_for
from tests.factories.accounts import PASSWORD, MakeOperator, make_customer, operator_client
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld
from tests.factories.urls import every_route

LONG = "x" * 10_000
BAD_VALUES = [LONG, "²", "١٢", "-1", "99999999999999999999999999", "<script>x</script>", "🙂"]
_FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"")
_ACTION = re.compile(r"<button\b[^>]*\bname=\"action\"[^>]*\bvalue=\"([^\"]+)\"")


@pytest.fixture
def me(flow_world: FlowWorld) -> tuple[FlowWorld, Client, str]:
    make_customer(flow_world.tenant, "me@example.com")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(flow_world, 'me@example.com')}")
    return flow_world, client, f"/{flow_world.tenant.domain_name}/api/v1/me"


def stored_profile(tenant: Tenant) -> tuple[str, str, dict[str, object]]:
    with in_tenant(tenant):
        user = User.objects.get(email="me@example.com")
        return user.given_name, user.city, dict(user.custom_attributes)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # PostgreSQL text and jsonb hold no NUL; a JSON escape brings one past the request guard.
        ('{"givenName": "Mia", "city": "a\\u0000b"}', "city"),
        (
            '{"givenName": "Mia", "customAttributes": {"LoyaltyNumber": "a\\u0000b"}}',
            "LoyaltyNumber",
        ),
        # A lone UTF-16 surrogate cannot be encoded as UTF-8 at all.
        ('{"givenName": "Mia", "surname": "\\ud83d"}', "surname"),
        ('{"givenName": "Mia", "customAttributes": {"Tier": "\\udfff"}}', "Tier"),
    ],
)
def test_me_refuses_text_the_database_cannot_hold_and_stores_nothing(
    me: tuple[FlowWorld, Client, str], body: str, field: str
) -> None:
    world, client, url = me
    response = client.patch(url, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] == "invalid_request"
    assert field in response.json()["fields"]
    assert stored_profile(world.tenant) == ("", "", {})


@pytest.mark.parametrize("age", ["1_000", "١٢", "12.0", " ", "0x1f", 12.5, True, [1]])
def test_me_takes_only_whole_numbers_in_ascii_digits_for_an_int(
    me: tuple[FlowWorld, Client, str], age: object
) -> None:
    """int() alone reads "1_000" and Arabic-Indic digits: an Int attribute does not."""
    world, client, url = me
    body = {"customAttributes": {"Age": age}}
    response = client.patch(url, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "Age" in response.json()["fields"]
    assert stored_profile(world.tenant) == ("", "", {})


def test_me_stores_text_as_it_was_checked(me: tuple[FlowWorld, Client, str]) -> None:
    world, client, url = me
    body = {"customAttributes": {"LoyaltyNumber": "  L-7  ", "Age": " -12 "}}
    response = client.patch(url, body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert stored_profile(world.tenant)[2] == {"LoyaltyNumber": "L-7", "Age": -12}


@pytest.mark.parametrize(
    "body",
    [
        b'{"givenName": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",  # RecursionError in json
        b'{"customAttributes": {"Age": ' + b"1" * 5_000 + b"}}",  # over Python's 4300 digits
        b"1" * 5_000,
    ],
)
def test_me_refuses_json_python_cannot_read(me: tuple[FlowWorld, Client, str], body: bytes) -> None:
    world, client, url = me
    response = client.patch(url, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] == "invalid_request"
    assert stored_profile(world.tenant) == ("", "", {})


@pytest.mark.parametrize("next_url", ["²", "a@b", "2024-01-01"])
def test_profile_completion_with_a_next_that_is_no_path_is_no_500(
    flow_world: FlowWorld, next_url: str
) -> None:
    make_customer(flow_world.tenant, "done@example.com")
    prefix = f"/{flow_world.tenant.domain_name}/"
    client = Client(raise_request_exception=False)
    client.get(
        f"{prefix}oauth2/v2.0/authorize?client_id={flow_world.app.client_id}"
        f"&response_type=code&scope=openid&redirect_uri={FLOW_APP_REDIRECT}"
    )
    signed_in = client.post(
        f"{prefix}account/login/", {"login": "done@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    response = client.get(f"{prefix}account/complete/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"].startswith(prefix)


def admin_center_urls(kwargs: dict[str, str]) -> list[str]:
    """Every admin-center URL, its path arguments filled in from `kwargs` by name."""
    return [
        "/" + re.sub(r"<\w+:(\w+)>", lambda m: kwargs[m.group(1)], route)
        for route in every_route()
        if route.startswith("admin-center/") and "sign-out" not in route
    ]


def test_global_administrator_bad_input_on_every_admin_center_url_is_no_500(
    flow_world: FlowWorld, operator_factory: MakeOperator, tenant_a: Tenant
) -> None:
    """A sweep: bad query parameters on every page, and every form posted with each field (and
    each `action` the page offers) set to one bad value. (Deleting the tenant asks for its domain
    name, which no bad value matches.)"""
    admin = operator_factory(tenant=tenant_a, roles=[AdminRole.GLOBAL_ADMINISTRATOR])
    other = operator_factory(tenant=tenant_a, roles=[AdminRole.REPORTS_READER])
    customer = make_customer(tenant_a, "victim@example.com")
    with in_tenant(tenant_a):
        secret = flow_world.app.secrets.get()
    urls = admin_center_urls(
        {
            "tenant_id": str(tenant_a.tenant_id),
            "app_id": str(flow_world.app.object_id),
            "flow_id": str(flow_world.flow.flow_id),
            "object_id": str(customer.object_id),
            "operator_id": str(other.pk),
            "credential_id": str(secret.secret_id),
        }
    )
    assert len(urls) >= 30
    client = operator_client(admin.email)
    client.raise_request_exception = False
    for url in urls:
        for value in BAD_VALUES:
            query = dict.fromkeys(("after", "q", "created_from", "blocked", "next"), value)
            response = client.get(url, query)
            assert response.status_code < 500, (url, value[:20])
        page = client.get(url)
        html = page.content.decode() if page.status_code == 200 else ""
        fields = set(_FIELD.findall(html)) - {"csrfmiddlewaretoken", "action"}
        for action in [None, *sorted(set(_ACTION.findall(html)))]:
            for value in BAD_VALUES:
                data = dict.fromkeys(fields, value)
                if action:
                    data["action"] = action
                response = client.post(url, data)
                assert response.status_code < 500, (url, action, value[:20])
