"""Bad input to every protocol endpoint gets the RFC's error, never a 500."""

import base64
import itertools
import json

import pytest
import requests

from tests.factories.oidc import WEB_REDIRECT, OidcWorld, browser_sign_in

pytestmark = pytest.mark.usefixtures("committed_db")

LONG = "x" * 10_000
BAD_AUTH_HEADERS = [
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
    "Basic",
    "Bearer",
    "Bearer " + LONG,
    "Digest username=x",
    "Basic " + base64.b64encode(b"a" * 5000 + b":" + b"b" * 5000).decode(),
    # NUL in the client ID or the secret, raw or form-encoded (PostgreSQL text cannot hold NUL)
    "Basic " + base64.b64encode(b"a\x00b:secret").decode(),
    "Basic " + base64.b64encode(b"client:se\x00cret").decode(),
    "Basic " + base64.b64encode(b"a%00b:secret").decode(),
]
BAD_BODIES: list[tuple[bytes | str, str]] = [
    (
        b"grant_type=client_credentials&grant_type=authorization_code",
        "application/x-www-form-urlencoded",
    ),
    (b"grant_type=%ff%fe&scope=%00", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\xfd", "application/x-www-form-urlencoded"),
    ('{"grant_type": "client_credentials"}', "application/json"),
    (b"grant_type=" + LONG.encode(), "application/x-www-form-urlencoded"),
    (b"token=" + LONG.encode(), "application/x-www-form-urlencoded"),
    (
        b"code=abc&redirect_uri=" + LONG.encode() + b"&grant_type=authorization_code",
        "application/x-www-form-urlencoded",
    ),
    (b"grant_type=refresh_token&refresh_token=", "application/x-www-form-urlencoded"),
    (
        b"grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=not.a.jwt",
        "application/x-www-form-urlencoded",
    ),
    (b"", "multipart/form-data; boundary=zzz"),
]


def web_authorization(world: OidcWorld) -> dict[str, str]:
    """A valid authorization request of the world's web app, to spoil one parameter at a time."""
    return {
        "client_id": world.web.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": WEB_REDIRECT,
        "code_challenge": "a" * 43,
        "code_challenge_method": "S256",
    }


def unsigned_jwt(header: dict[str, object]) -> str:
    def encode(part: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")

    return f"{encode(header)}.{encode({'sub': 'x'})}.c2ln"


def assert_oauth_error(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400 and "json" in response.headers.get("Content-Type", ""):
        assert "error" in response.json()


@pytest.mark.parametrize("name", ["token", "revoke", "introspect"])
def test_post_endpoints_reject_garbage_bodies(oidc_world: OidcWorld, name: str) -> None:
    url = oidc_world.endpoint(name)
    for body, content_type in BAD_BODIES:
        response = requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=10)
        assert_oauth_error(response)
    for header in BAD_AUTH_HEADERS:
        response = requests.post(
            url,
            data={
                "grant_type": "client_credentials",
                "token": "x",
                "scope": oidc_world.default_scope,
            },
            headers={"Authorization": header},
            timeout=10,
        )
        assert_oauth_error(response)
        if response.status_code == 431:
            continue  # the web server refuses a header over 8 KB before Django sees it
        if name == "token":
            assert response.status_code in (400, 401)
            assert response.json()["error"] in ("invalid_client", "invalid_request")


def test_token_endpoint_errors_follow_rfc_6749_section_5_2(oidc_world: OidcWorld) -> None:
    url = oidc_world.endpoint("token")
    auth = (oidc_world.daemon.client_id, oidc_world.daemon_secret)
    cases = [
        ({}, 400, "invalid_request"),
        (
            {"grant_type": "password", "username": "a", "password": "b"},
            400,
            "unsupported_grant_type",
        ),
        ({"grant_type": "implicit"}, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, 400, "invalid_scope"),
        (
            {"grant_type": "authorization_code", "code": "nope", "redirect_uri": WEB_REDIRECT},
            400,
            None,
        ),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, 400, None),
    ]
    for data, status, error in cases:
        response = requests.post(url, data=data, auth=auth, timeout=10)
        assert response.status_code == status, (data, response.text)
        assert response.headers["Cache-Control"] == "no-store"
        body = response.json()
        assert "error" in body
        if error:
            assert body["error"] == error, (data, body)
    assert requests.get(url, timeout=10).status_code == 405


def test_authorize_rejects_garbage_without_crashing(oidc_world: OidcWorld) -> None:
    url = oidc_world.endpoint("authorize")
    base = web_authorization(oidc_world)
    variants: list[object] = [
        {},
        {**base, "client_id": LONG},
        {**base, "client_id": "\x00"},
        {**base, "redirect_uri": LONG},
        {**base, "response_type": "token"},
        {**base, "response_type": "code id_token"},
        {**base, "scope": LONG},
        {**base, "prompt": "none login"},
        {**base, "max_age": "-1"},
        {**base, "max_age": LONG},
        {**base, "ui_locales": LONG},
        {**base, "code_challenge_method": "plain"},
        {**base, "request": "eyJhbGciOiJub25lIn0.e30."},
        [*base.items(), ("client_id", "other")],
        [*base.items(), ("redirect_uri", "https://evil.example")],
    ]
    for params in variants:
        response = requests.get(url, params=params, allow_redirects=False, timeout=10)  # type: ignore[arg-type]
        assert response.status_code < 500, (
            params if isinstance(params, list) else {k: str(v)[:40] for k, v in params.items()}
        )
        if response.status_code == 302:
            location = response.headers["Location"]
            assert location.startswith((WEB_REDIRECT, f"/{oidc_world.tenant.domain_name}/")), (
                location
            )
    raw = requests.get(
        url + "?client_id=%ff%fe&redirect_uri=%c0%af", allow_redirects=False, timeout=10
    )
    assert raw.status_code < 500


def test_userinfo_logout_discovery_and_jwks_survive_garbage(oidc_world: OidcWorld) -> None:
    userinfo = oidc_world.endpoint("userinfo")
    for header in BAD_AUTH_HEADERS:
        for method in (requests.get, requests.post):
            response = method(userinfo, headers={"Authorization": header}, timeout=10)
            assert response.status_code in (400, 401, 403, 431), (header[:30], response.status_code)
    logout = oidc_world.endpoint("logout")
    for params in (
        {"id_token_hint": LONG},
        {"id_token_hint": "a.b.c"},
        {"client_id": LONG},
        {"post_logout_redirect_uri": "javascript:alert(1)"},
        {"id_token_hint": "e30.e30.e30", "client_id": "\x00"},
        # a kid with NUL (the key lookup reached PostgreSQL) or that is no string
        {"id_token_hint": unsigned_jwt({"alg": "RS256", "kid": "\x00"})},
        {"id_token_hint": unsigned_jwt({"alg": "RS256", "kid": 5})},
    ):
        response = requests.get(logout, params=params, allow_redirects=False, timeout=10)
        assert response.status_code < 500, params
        assert "javascript:" not in response.headers.get("Location", "")
    tenant = f"{oidc_world.base_url}/{oidc_world.tenant.domain_name}"
    for path, method in itertools.product(
        ["/v2.0/.well-known/openid-configuration", "/discovery/v2.0/keys"],
        ["POST", "PUT", "DELETE"],
    ):
        assert requests.request(method, tenant + path, timeout=10).status_code == 405


def test_max_age_that_is_no_number_of_seconds_when_signed_in(oidc_world: OidcWorld) -> None:
    """A signed-in customer's max_age is compared with their last sign-in; "²" passes isdigit()
    and int() refuses it, as it does 5,000 digits."""
    url = oidc_world.endpoint("authorize")
    base = web_authorization(oidc_world)
    browser = requests.Session()
    signed_in = browser_sign_in(
        browser, oidc_world, requests.Request("GET", url, params=base).prepare().url or ""
    )
    assert signed_in.headers["Location"].startswith(WEB_REDIRECT)
    for max_age in ("²", "9" * 5_000, "٣"):
        response = browser.get(
            url, params={**base, "max_age": max_age}, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, max_age[:10]
