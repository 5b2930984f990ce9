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
from tests.factories.admin_center import RouteValues, admin_center_routes, route_url
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld

LONG = "x" * 10_000
BAD_VALUES = [LONG, "²", "١٢", "-1", "99999999999999999999999999", "<script>x</script>", "🙂"]
_FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"")
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL)
_FORM_ACTION = re.compile(r"\baction=\"([^\"]+)\"")
# Every page's query parameters: the customer list's, and the sign-in log's (its list, pane,
# download).
QUERY_PARAMETERS = (
    *("after", "q", "created_from", "blocked", "next"),
    *("range", "since", "until", "customer", "app", "status", "reason", "ip", "method", "kind"),
    *("entry", "format"),
)
_CHOICE = re.compile(r"<button\b[^>]*\bname=\"([^\"]+)\"[^>]*\bvalue=\"([^\"]+)\"")


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


def page_forms(html: str, url: str) -> list[tuple[str, set[str], list[tuple[str, str]]]]:
    """The page's POST forms, one of each kind (a form repeated per row, its path and field
    names differing only in the row's ID, is taken once): where it posts, its fields, and the
    (name, value) of each button that names a choice (the four moves of a page-layout row)."""
    forms = []
    kinds = set()
    for attributes, body in _FORM.findall(html):
        if 'method="post"' not in attributes:
            continue
        action = _FORM_ACTION.search(attributes)
        target = action.group(1) if action else url
        fields = set(_FIELD.findall(body)) - {"csrfmiddlewaretoken"}
        kind = re.sub(r"\d+", "#", target + " ".join(sorted(fields)))
        if kind not in kinds:
            kinds.add(kind)
            forms.append((target, fields, _CHOICE.findall(body)))
    return forms


def test_global_administrator_bad_input_on_every_admin_center_url_is_no_500(
    admin_center_route_values: RouteValues, operator_factory: MakeOperator, tenant_a: Tenant
) -> None:
    """A sweep: bad query parameters on every page, every route posted to, and every kind of
    form of every page posted where it posts, with each field set to one bad value, and each
    choice its buttons offer. (Deleting the tenant or an app asks for its name, which no bad
    value matches; signing out is left out.)"""
    admin = operator_factory(tenant=tenant_a, roles=[AdminRole.GLOBAL_ADMINISTRATOR])
    urls = [
        route_url(route, admin_center_route_values)
        for route in admin_center_routes()
        if "sign-out" not in route
    ]
    assert len(urls) >= 30
    client = operator_client(admin.email)
    client.raise_request_exception = False
    for url in urls:
        for value in BAD_VALUES:
            query = dict.fromkeys(QUERY_PARAMETERS, value)
            response = client.get(url, query)
            assert response.status_code < 500, (url, value[:20])
        assert client.post(url).status_code < 500, url
        page = client.get(url)
        html = page.content.decode() if page.status_code == 200 and not page.streaming else ""
        for action, fields, choices in page_forms(html, url):
            if "sign-out" in action:
                continue
            for value in BAD_VALUES:
                response = client.post(action, dict.fromkeys(fields, value))
                assert response.status_code < 500, (url, action, value[:20])
            for name, choice in choices:
                response = client.post(action, {**dict.fromkeys(fields, LONG), name: choice})
                assert response.status_code < 500, (url, action, choice)
