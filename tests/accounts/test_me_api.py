"""/api/v1/me: customers read and update only themselves, with an access token."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from accounts.models import User
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld
from tests.factories.urls import every_route


def token_for(world: FlowWorld, email: str) -> str:
    client = Client()
    authorize = (
        f"/{world.tenant.domain_name}/oauth2/v2.0/authorize?client_id="
        f"{world.app.client_id}&response_type=code&scope=openid"
        f"&redirect_uri={FLOW_APP_REDIRECT}"
    )
    client.get(authorize)
    client.post(
        f"/{world.tenant.domain_name}/account/login/",
        {"login": email, "password": "Correct-Horse-42"},
    )
    code = parse_qs(urlsplit(client.get(authorize)["Location"]).query)["code"][0]
    basic = base64.b64encode(f"{world.app.client_id}:{world.secret}".encode()).decode()
    response = client.post(
        f"/{world.tenant.domain_name}/oauth2/v2.0/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": FLOW_APP_REDIRECT},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    return str(response.json()["access_token"])


@pytest.fixture
def me(flow_world: FlowWorld) -> tuple[FlowWorld, str, str]:
    make_customer(flow_world.tenant, "me@example.com")
    make_customer(flow_world.tenant, "other@example.com")
    with in_tenant(flow_world.tenant):
        User.objects.filter(email="other@example.com").update(
            given_name="Xyzzyra", custom_attributes={"LoyaltyNumber": "OTHER-1"}
        )
    url = f"/{flow_world.tenant.domain_name}/api/v1/me"
    return flow_world, url, token_for(flow_world, "me@example.com")


def test_get_and_patch_own_profile(me: tuple[FlowWorld, str, str]) -> None:
    _world, url, token = me
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    profile = client.get(url).json()
    assert profile["mail"] == "me@example.com"
    response = client.patch(
        url,
        json.dumps(
            {"givenName": "Mia", "city": "Oslo", "customAttributes": {"Age": "41", "Tier": "gold"}}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["givenName"] == "Mia"
    assert response.json()["customAttributes"] == {"Age": 41, "Tier": "gold"}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        ({"mail": "evil@example.com"}, "application/json", 400, "mail"),
        ({"givenName": "x" * 65}, "application/json", 400, "givenName"),
        ({"givenName": 5}, "application/json", 400, "givenName"),
        ({"customAttributes": {"Age": "old"}}, "application/json", 400, "Age"),
        ({"customAttributes": {"Unknown": "1"}}, "application/json", 400, "Unknown"),
        ({"customAttributes": {"Newsletter": "maybe"}}, "application/json", 400, "Newsletter"),
        ({"customAttributes": "x"}, "application/json", 400, None),
        ("[1, 2]", "application/json", 400, None),
        ("not json", "application/json", 400, None),
        ("givenName=Mia", "application/x-www-form-urlencoded", 415, None),
    ],
)
def test_bad_patches_are_refused_and_store_nothing(
    me: tuple[FlowWorld, str, str],
    body: object,
    content_type: str,
    status: int,
    field: str | None,
) -> None:
    world, url, token = me
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    payload = (
        body
        if isinstance(body, str)
        else json.dumps(
            {"givenName": "Partial", **body}
            if isinstance(body, dict) and "givenName" not in body
            else body
        )
    )
    response = client.patch(url, payload, content_type=content_type)
    assert response.status_code == status, response.content
    assert "error" in response.json()
    if field:
        assert field in response.json()["fields"]
    with in_tenant(world.tenant):
        user = User.objects.get(email="me@example.com")
        assert user.given_name == ""
        assert user.email == "me@example.com"


def test_without_a_customer_token_there_is_no_profile(me: tuple[FlowWorld, str, str]) -> None:
    _world, url, token = me
    assert Client().get(url).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get(url).status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Basic {token}").get(url).status_code == 401
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(url)
    assert response.status_code in (403, 405)


def test_a_customer_token_reaches_no_other_customer_anywhere(
    me: tuple[FlowWorld, str, str],
) -> None:
    """Every tenant URL, every method, the other customer's IDs wherever a path takes an ID:
    nothing answers with the other customer's data."""
    import re

    world, _url, token = me
    with in_tenant(world.tenant):
        other = User.objects.get(email="other@example.com")
    ids = [str(other.object_id), str(other.pk), other.email]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    checked = 0
    for route in every_route("ciam_portal.urls_tenant"):
        for value in ids:
            path = re.sub(r"<(?:\w+:)?\w+>", value, route)
            path = re.sub(r"[\^\$\\]|\(\?P<\w+>[^)]*\)", value, path)
            url = f"/{world.tenant.domain_name}/{path}"
            for method in ("get", "post", "patch"):
                response = getattr(client, method)(url, {"user": value, "email": other.email})
                body = response.content.decode(errors="replace")
                # The other customer's data (not the email, which the request itself typed).
                assert "OTHER-1" not in body, url
                assert "Xyzzyra" not in body, url
                assert str(other.object_id) not in body.replace(path, ""), url
                checked += 1
    assert checked > 100
