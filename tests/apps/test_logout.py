"""RP-Initiated Logout 1.0 ends what belongs to the browser session being ended, and nothing
when there is no session: an `id_token_hint` alone (which a link on any site can carry) used
to revoke every token the customer held, in every app and on every device."""

import html
import re

import pytest
import requests

from tests.apps.test_oidc_flows import authorize_request, code_flow, web_client
from tests.factories.oidc import WEB_LOGOUT, OidcWorld, query_of

pytestmark = pytest.mark.usefixtures("committed_db")

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def refresh(world: OidcWorld, refresh_token: str) -> requests.Response:
    return requests.post(
        world.endpoint("token"),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(world.web.client_id, world.web_secret),
        timeout=10,
    )


def still_signed_in(world: OidcWorld, browser: requests.Session) -> bool:
    return "code" in query_of(authorize_request(browser, world, prompt="none"))


def test_a_logout_without_a_session_asks_and_ends_nothing(oidc_world: OidcWorld) -> None:
    browser = requests.Session()
    tokens, _, _ = code_flow(oidc_world, web_client(oidc_world), browser)
    stranger = requests.Session()  # no session at this provider: a link followed elsewhere
    page = stranger.get(
        oidc_world.endpoint("logout"),
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": WEB_LOGOUT,
            "state": "s9",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert page.status_code == 200  # a question, not a sign-out
    assert "Sign out of Web?" in page.text
    assert still_signed_in(oidc_world, browser)
    token = _CSRF.search(page.text)
    assert token
    form = {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}
    confirmed = stranger.post(
        oidc_world.endpoint("logout"),
        data={**form, "csrfmiddlewaretoken": token.group(1), "allow": "Logout"},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    # Confirmed: back to the app, with nothing to end.
    assert confirmed.status_code == 302, confirmed.text[:300]
    assert confirmed.headers["Location"] == f"{WEB_LOGOUT}?state=s9"
    assert refresh(oidc_world, str(tokens["refresh_token"])).status_code == 200
    assert still_signed_in(oidc_world, browser)


def test_a_logout_ends_only_the_tokens_of_its_own_session(oidc_world: OidcWorld) -> None:
    laptop, phone = requests.Session(), requests.Session()
    laptop_tokens, _, _ = code_flow(oidc_world, web_client(oidc_world), laptop)
    phone_tokens, _, _ = code_flow(oidc_world, web_client(oidc_world), phone)
    # Refreshed once: the new refresh token belongs to the laptop's session all the same.
    rotated = refresh(oidc_world, str(laptop_tokens["refresh_token"])).json()["refresh_token"]

    ended = laptop.get(
        oidc_world.endpoint("logout"),
        params={"id_token_hint": laptop_tokens["id_token"], "post_logout_redirect_uri": WEB_LOGOUT},
        allow_redirects=False,
        timeout=10,
    )
    assert ended.status_code in (200, 302)
    assert not still_signed_in(oidc_world, laptop)
    answer = refresh(oidc_world, rotated)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    # The phone's session and tokens are untouched.
    assert still_signed_in(oidc_world, phone)
    assert refresh(oidc_world, str(phone_tokens["refresh_token"])).status_code == 200
