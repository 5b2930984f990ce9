"""A customer who resets or changes their own password ends every token issued before: an
attacker holding a refresh token must not keep refreshing (as after an admin's reset)."""

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.test import Client

from apps.models import Grant, RefreshToken
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import last_code
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld

Capture = Callable[..., Any]
NEW_PASSWORD = "A-Fresh-Passphrase-77"


def _authorize_url(world: FlowWorld) -> str:
    return (
        f"/{world.tenant.domain_name}/oauth2/v2.0/authorize?client_id={world.app.client_id}"
        f"&response_type=code&scope=openid+offline_access&redirect_uri={FLOW_APP_REDIRECT}"
    )


def _token_request(world: FlowWorld, client: Client, **params: str) -> Any:
    basic = base64.b64encode(f"{world.app.client_id}:{world.secret}".encode()).decode()
    return client.post(
        f"/{world.tenant.domain_name}/oauth2/v2.0/token",
        params,
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def signed_in_with_tokens(world: FlowWorld, email: str) -> tuple[Client, dict[str, Any]]:
    """A browser signed in through the app, and the tokens the app got for its code."""
    browser = Client()
    browser.get(_authorize_url(world))
    answer = browser.post(
        f"/{world.tenant.domain_name}/account/login/",
        {"login": email, "password": PASSWORD, "next": _authorize_url(world)},
    )
    assert answer["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), answer["Location"]
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    tokens = _token_request(
        world,
        browser,
        grant_type="authorization_code",
        code=code,
        redirect_uri=FLOW_APP_REDIRECT,
    ).json()
    assert "refresh_token" in tokens, tokens
    return browser, tokens


def refreshed(world: FlowWorld, refresh_token: str) -> Any:
    return _token_request(world, Client(), grant_type="refresh_token", refresh_token=refresh_token)


def test_a_password_reset_by_code_ends_the_refresh_tokens(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    tenant = flow_world.tenant.domain_name
    customer = make_customer(flow_world.tenant, "stolen@example.com")
    _browser, tokens = signed_in_with_tokens(flow_world, "stolen@example.com")
    # An unredeemed code of another sign-in, too.
    other_browser = Client()
    other_browser.get(_authorize_url(flow_world))
    other_browser.post(
        f"/{tenant}/account/login/",
        {"login": "stolen@example.com", "password": PASSWORD, "next": _authorize_url(flow_world)},
    )
    with in_tenant(flow_world.tenant):
        assert Grant.objects.filter(user=customer, used_at__isnull=True).exists()

    owner = Client()
    with django_capture_on_commit_callbacks(execute=True):
        sent = owner.post(f"/{tenant}/account/password/reset/", {"email": "stolen@example.com"})
    choose = owner.post(sent["Location"], {"code": last_code()})["Location"]
    reset = owner.post(choose, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert reset.status_code == 302

    answer = refreshed(flow_world, tokens["refresh_token"])
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    with in_tenant(flow_world.tenant):
        assert not RefreshToken.objects.filter(user=customer, revoked__isnull=True).exists()
        assert not Grant.objects.filter(user=customer).exists()


def test_a_password_change_ends_the_refresh_tokens(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant.domain_name
    customer = make_customer(flow_world.tenant, "changer@example.com")
    browser, tokens = signed_in_with_tokens(flow_world, "changer@example.com")
    # A token rotated once is still one of the customer's.
    rotated = refreshed(flow_world, tokens["refresh_token"]).json()["refresh_token"]
    changed = browser.post(
        f"/{tenant}/account/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302, changed.content[:300]

    answer = refreshed(flow_world, rotated)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    with in_tenant(flow_world.tenant):
        assert not RefreshToken.objects.filter(user=customer, revoked__isnull=True).exists()
    # The browser that changed the password stays signed in, and may get new tokens.
    again = browser.get(_authorize_url(flow_world))
    assert again["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), again["Location"]
