"""An app that asks for a fresh sign-in (`prompt=login`, `select_account`, an exceeded
`max_age`: OIDC Core §3.1.2.1) gets one, but asking signs nobody out: any site can send the
browser to such a URL. The session is replaced only when the fresh sign-in succeeds."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from apps.models import Grant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld

FRESH = ["prompt=login", "prompt=select_account", "max_age=0"]


def signed_in_client(world: FlowWorld, email: str) -> Client:
    make_customer(world.tenant, email)
    client = Client()
    client.get(authorize_url(world))
    first = client.post(
        f"/{world.tenant.domain_name}/account/login/",
        {"login": email, "password": PASSWORD, "next": authorize_url(world)},
    )
    assert first["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")
    return client


def session_cookie(client: Client, world: FlowWorld) -> str:
    return client.cookies[f"{settings.SESSION_COOKIE_NAME}_{world.tenant.domain_name}"].value


def signed_in_as(client: Client, world: FlowWorld) -> str | None:
    home = client.get(f"/{world.tenant.domain_name}/")
    if home.status_code != 200:
        return None
    return home.context["user"].email  # type: ignore[no-any-return]


def with_cookie(world: FlowWorld, value: str) -> Client:
    """Another browser holding a copy of a session cookie."""
    client = Client()
    client.cookies[f"{settings.SESSION_COOKIE_NAME}_{world.tenant.domain_name}"] = value
    return client


@pytest.mark.parametrize("fresh", FRESH)
def test_asking_for_a_fresh_sign_in_signs_nobody_out(flow_world: FlowWorld, fresh: str) -> None:
    """A cross-site top-level GET that asks for a fresh sign-in: the sign-in page is shown, and
    a customer who walks away is still signed in, here and for the app."""
    client = signed_in_client(flow_world, "stays@example.com")
    asked = client.get(f"{authorize_url(flow_world)}&{fresh}", HTTP_SEC_FETCH_SITE="cross-site")
    assert asked.status_code == 200
    assert f'action="/{flow_world.tenant.domain_name}/account/login/"' in asked.text
    assert signed_in_as(client, flow_world) == "stays@example.com"
    silent = client.get(authorize_url(flow_world) + "&prompt=none")
    assert silent["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), silent["Location"]


@pytest.mark.parametrize("fresh", FRESH)
def test_the_fresh_sign_in_replaces_the_session(flow_world: FlowWorld, fresh: str) -> None:
    client = signed_in_client(flow_world, "again@example.com")
    old = session_cookie(client, flow_world)
    url = f"{authorize_url(flow_world)}&{fresh}"
    page = client.get(url)
    # The pages of the fresh sign-in see no one signed in (the form, not a way round it).
    assert client.get(f"/{flow_world.tenant.domain_name}/account/login/").status_code == 200
    posted = client.post(
        f"/{flow_world.tenant.domain_name}/account/login/",
        {
            "login": "again@example.com",
            "password": PASSWORD,
            "next": page.context["redirect_field_value"],
        },
    )
    assert posted["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), posted["Location"]
    assert session_cookie(client, flow_world) != old
    assert signed_in_as(client, flow_world) == "again@example.com"
    assert signed_in_as(with_cookie(flow_world, old), flow_world) is None


def test_select_account_signs_in_another_customer(flow_world: FlowWorld) -> None:
    """`select_account`: the customer signs in as someone else; the code is theirs, and the
    first account's session is gone."""
    client = signed_in_client(flow_world, "first@example.com")
    other = make_customer(flow_world.tenant, "second@example.com")
    old = session_cookie(client, flow_world)
    page = client.get(f"{authorize_url(flow_world)}&prompt=select_account")
    posted = client.post(
        f"/{flow_world.tenant.domain_name}/account/login/",
        {
            "login": "second@example.com",
            "password": PASSWORD,
            "next": page.context["redirect_field_value"],
        },
    )
    assert posted["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), posted["Location"]
    code = parse_qs(urlsplit(posted["Location"]).query)["code"][0]
    with in_tenant(flow_world.tenant):
        assert Grant.objects.get(code=code).user_id == other.pk
    assert signed_in_as(client, flow_world) == "second@example.com"
    assert signed_in_as(with_cookie(flow_world, old), flow_world) is None


def test_sign_up_is_open_during_a_fresh_sign_in(flow_world: FlowWorld) -> None:
    """The hosted pages of the fresh sign-in treat the browser as signed out: sign-up is the
    sign-up page, not a way back to the app as the account still signed in."""
    client = signed_in_client(flow_world, "someone@example.com")
    client.get(f"{authorize_url(flow_world)}&prompt=login")
    signup = client.get(f"/{flow_world.tenant.domain_name}/account/signup/")
    assert signup.status_code == 200
    assert 'name="email"' in signup.text
    assert signed_in_as(client, flow_world) == "someone@example.com"
