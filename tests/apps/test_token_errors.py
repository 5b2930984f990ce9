"""Every error of the token endpoint, as RFC 6749 §5.2 names it (with RFC 7636 §4.6 for PKCE and
RFC 9700 §2.1.1 for a PKCE downgrade): status, `error`, and a 401 with a Basic challenge for a
client that failed to authenticate.

One table, each row a request that a real client could send after a real sign-in, so a row that
stops matching says exactly which answer moved.
"""

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps import services as app_services
from apps.models import AppRegistration, Grant, Platform
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_issuer
from tests.factories.accounts import PASSWORD, make_customer

REDIRECT = "https://web.example/callback"
OTHER_REDIRECT = "https://web.example/other-callback"
SPA_REDIRECT = "http://localhost:5173/"
VERIFIER = "v" * 43 + "-verifier"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode()
CHALLENGE = CHALLENGE.rstrip("=")


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@dataclass
class TokenWorld:
    tenant: Tenant
    web: AppRegistration
    web_secret: str
    other_web: AppRegistration
    other_secret: str
    spa: AppRegistration
    daemon: AppRegistration
    daemon_secret: str
    default_scope: str
    browser: Client

    @property
    def token_url(self) -> str:
        return f"/{self.tenant.domain_name}/oauth2/v2.0/token"

    def web_auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": basic(self.web.client_id, self.web_secret)}

    def code(
        self,
        app: AppRegistration | None = None,
        *,
        scope: str = "openid offline_access",
        pkce: bool = True,
        redirect_uri: str = REDIRECT,
    ) -> str:
        """A fresh authorization code of a signed-in customer, from the authorization endpoint."""
        app = app or self.web
        query = {
            "client_id": app.client_id,
            "response_type": "code",
            "scope": scope,
            "redirect_uri": redirect_uri,
        }
        if pkce:
            query |= {"code_challenge": CHALLENGE, "code_challenge_method": "S256"}
        url = f"/{self.tenant.domain_name}/oauth2/v2.0/authorize?{urlencode(query)}"
        response = self.browser.get(url)
        assert response.status_code == 302, response.content[:500]
        return parse_qs(urlsplit(response["Location"]).query)["code"][0]

    def redeem(self, code: str, **extra: str) -> dict[str, str]:
        response = self.browser.post(
            self.token_url,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": VERIFIER,
            },
            **self.web_auth(),
        )
        assert response.status_code == 200, response.content
        tokens: dict[str, str] = response.json()
        return tokens


@pytest.fixture
def world(tenant_a: Tenant) -> TokenWorld:
    with in_tenant(tenant_a):
        api = app_services.app_register(name="API", platform=Platform.WEB)
        role = app_services.app_role_add(app=api, value="Read.All", display_name="Read")
        web = app_services.app_register(
            name="Web", platform=Platform.WEB, redirect_uris=[REDIRECT, OTHER_REDIRECT]
        )
        _s, web_secret = app_services.client_secret_add(app=web, description="t", lifetime_days=90)
        other = app_services.app_register(
            name="Other", platform=Platform.WEB, redirect_uris=[REDIRECT]
        )
        _s, other_secret = app_services.client_secret_add(
            app=other, description="t", lifetime_days=90
        )
        spa = app_services.app_register(
            name="SPA", platform=Platform.SPA, redirect_uris=[SPA_REDIRECT]
        )
        daemon = app_services.app_register(name="Daemon", platform=Platform.DAEMON)
        app_services.api_permission_add(client=daemon, app_role=role)
        app_services.admin_consent_grant(client=daemon)
        _s, daemon_secret = app_services.client_secret_add(
            app=daemon, description="t", lifetime_days=90
        )
    make_customer(tenant_a, "token-errors@example.com")
    browser = Client()
    login = f"/{tenant_a.domain_name}/account/login/"
    signed_in = browser.post(login, {"login": "token-errors@example.com", "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.content[:500]
    return TokenWorld(
        tenant=tenant_a,
        web=web,
        web_secret=web_secret,
        other_web=other,
        other_secret=other_secret,
        spa=spa,
        daemon=daemon,
        daemon_secret=daemon_secret,
        default_scope=f"{api.effective_app_id_uri}/.default",
        browser=browser,
    )


# A row: (what it shows, a builder of (body, headers) for the world, status, error).
Request = tuple[dict[str, str] | bytes, dict[str, str]]
Row = tuple[str, Callable[[TokenWorld], Request], int, str]


def _code_request(world: TokenWorld, **changes: str | None) -> Request:
    body: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": world.code(),
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
        **changes,
    }
    return {k: v for k, v in body.items() if v is not None}, world.web_auth()


def _expired_code(world: TokenWorld) -> Request:
    code = world.code()
    with in_tenant(world.tenant):
        Grant.objects.filter(code=code).update(expires=timezone.now() - timedelta(seconds=1))
    return _code_request(world, code=code)


def _replayed_code(world: TokenWorld) -> Request:
    code = world.code()
    world.redeem(code)
    return _code_request(world, code=code)


def _other_clients_code(world: TokenWorld) -> Request:
    body, _headers = _code_request(world)
    return body, {"HTTP_AUTHORIZATION": basic(world.other_web.client_id, world.other_secret)}


def _code_without_pkce_then_verifier(world: TokenWorld) -> Request:
    return _code_request(world, code=world.code(pkce=False))


def _refresh(world: TokenWorld, refresh_token: str, **extra: str) -> Request:
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return body, world.web_auth()


def _revoked_refresh(world: TokenWorld) -> Request:
    refresh_token = world.redeem(world.code())["refresh_token"]
    revoked = world.browser.post(
        f"/{world.tenant.domain_name}/oauth2/v2.0/revoke",
        {"token": refresh_token, "token_type_hint": "refresh_token"},
        **world.web_auth(),
    )
    assert revoked.status_code == 200, revoked.content
    return _refresh(world, refresh_token)


def _other_clients_refresh(world: TokenWorld) -> Request:
    refresh_token = world.redeem(world.code())["refresh_token"]
    body, _headers = _refresh(world, refresh_token)
    return body, {"HTTP_AUTHORIZATION": basic(world.other_web.client_id, world.other_secret)}


def _refresh_beyond_grant(world: TokenWorld) -> Request:
    refresh_token = world.redeem(world.code())["refresh_token"]
    return _refresh(world, refresh_token, scope="openid offline_access profile email")


def _client_credentials(world: TokenWorld, **changes: str) -> Request:
    body = {"grant_type": "client_credentials", "scope": world.default_scope, **changes}
    return body, {"HTTP_AUTHORIZATION": basic(world.daemon.client_id, world.daemon_secret)}


ROWS: list[Row] = [
    # invalid_request: a required parameter missing, repeated, or two ways of authenticating
    ("no grant_type", lambda w: ({"code": "x"}, w.web_auth()), 400, "invalid_request"),
    (
        "no code",
        lambda w: ({"grant_type": "authorization_code", "redirect_uri": REDIRECT}, w.web_auth()),
        400,
        "invalid_request",
    ),
    (
        "repeated parameter",
        lambda w: (
            f"grant_type=client_credentials&scope={w.default_scope}&scope=x".encode(),
            {"HTTP_AUTHORIZATION": basic(w.daemon.client_id, w.daemon_secret)},
        ),
        400,
        "invalid_request",
    ),
    (
        "Basic and a body secret at once",
        lambda w: (
            {**_client_credentials(w)[0], "client_secret": w.daemon_secret},
            _client_credentials(w)[1],
        ),
        400,
        "invalid_request",
    ),
    (
        "no code_verifier for a code issued with a challenge",
        lambda w: _code_request(w, code_verifier=None),
        400,
        "invalid_request",
    ),
    (
        "no redirect_uri for a code issued to another of the app's redirect URIs",
        lambda w: _code_request(w, code=w.code(redirect_uri=OTHER_REDIRECT), redirect_uri=None),
        400,
        "invalid_request",
    ),
    (
        "repeated grant_type",
        lambda w: (b"grant_type=authorization_code&grant_type=refresh_token", w.web_auth()),
        400,
        "invalid_request",
    ),
    (
        "a Bearer header and a body secret at once",
        lambda w: (
            {**_client_credentials(w)[0], "client_id": w.daemon.client_id, "client_secret": "x"},
            {"HTTP_AUTHORIZATION": "Bearer abc"},
        ),
        400,
        "invalid_request",
    ),
    (
        "no refresh_token",
        lambda w: ({"grant_type": "refresh_token"}, w.web_auth()),
        400,
        "invalid_request",
    ),
    # invalid_client: authentication failed (401; a Basic challenge when Basic was used)
    (
        "wrong secret by Basic",
        lambda w: (
            _client_credentials(w)[0],
            {"HTTP_AUTHORIZATION": basic(w.daemon.client_id, "no")},
        ),
        401,
        "invalid_client",
    ),
    (
        "wrong secret in the body",
        lambda w: (
            {
                **_client_credentials(w)[0],
                "client_id": w.daemon.client_id,
                "client_secret": "no",
            },
            {},
        ),
        401,
        "invalid_client",
    ),
    (
        "unknown client",
        lambda w: ({**_client_credentials(w)[0]}, {"HTTP_AUTHORIZATION": basic("nobody", "no")}),
        401,
        "invalid_client",
    ),
    (
        "no client authentication at all",
        lambda w: (_code_request(w)[0], {}),
        401,
        "invalid_client",
    ),
    (
        "a public client asking for client credentials",
        lambda w: ({**_client_credentials(w)[0], "client_id": w.spa.client_id}, {}),
        401,
        "invalid_client",
    ),
    # invalid_grant: the code or refresh token is not good for this client and request
    ("unknown code", lambda w: _code_request(w, code="no-such-code"), 400, "invalid_grant"),
    ("expired code", _expired_code, 400, "invalid_grant"),
    ("replayed code", _replayed_code, 400, "invalid_grant"),
    ("another client's code", _other_clients_code, 400, "invalid_grant"),
    (
        "another redirect URI than the authorization request's",
        lambda w: _code_request(w, redirect_uri=OTHER_REDIRECT),
        400,
        "invalid_grant",
    ),
    (
        "wrong code_verifier",
        lambda w: _code_request(w, code_verifier="w" * 50),
        400,
        "invalid_grant",
    ),
    (
        "a code_verifier for a code issued without a challenge",
        _code_without_pkce_then_verifier,
        400,
        "invalid_grant",
    ),
    ("unknown refresh token", lambda w: _refresh(w, "no-such-token"), 400, "invalid_grant"),
    ("revoked refresh token", _revoked_refresh, 400, "invalid_grant"),
    ("another client's refresh token", _other_clients_refresh, 400, "invalid_grant"),
    # invalid_scope
    ("refresh beyond the grant", _refresh_beyond_grant, 400, "invalid_scope"),
    (
        "client credentials for an API not consented",
        lambda w: _client_credentials(w, scope="api://unknown/.default"),
        400,
        "invalid_scope",
    ),
    # unauthorized_client: authenticated, but this grant is not the app's
    (
        "a daemon redeeming a code",
        lambda w: (
            {"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT},
            {"HTTP_AUTHORIZATION": basic(w.daemon.client_id, w.daemon_secret)},
        ),
        400,
        "unauthorized_client",
    ),
    # unsupported_grant_type
    (
        "the password grant",
        lambda w: ({"grant_type": "password", "username": "a", "password": "b"}, w.web_auth()),
        400,
        "unsupported_grant_type",
    ),
    (
        "the implicit grant",
        lambda w: ({"grant_type": "implicit"}, w.web_auth()),
        400,
        "unsupported_grant_type",
    ),
    (
        "an unknown grant",
        lambda w: ({"grant_type": "urn:example:nothing"}, w.web_auth()),
        400,
        "unsupported_grant_type",
    ),
]


@pytest.mark.parametrize(("name", "build", "status", "error"), ROWS, ids=[row[0] for row in ROWS])
def test_token_endpoint_errors_follow_rfc_6749_section_5_2(
    world: TokenWorld,
    name: str,
    build: Callable[[TokenWorld], Request],
    status: int,
    error: str,
) -> None:
    body, headers = build(world)
    if isinstance(body, bytes):
        response = Client().post(
            world.token_url, body, content_type="application/x-www-form-urlencoded", **headers
        )
    else:
        response = Client().post(world.token_url, body, **headers)
    assert (response.status_code, response.json()["error"]) == (status, error), response.content
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    if status == 401:
        # RFC 6749 §5.2 asks for the scheme a Basic client used; HTTP asks for a challenge on
        # every 401 (RFC 9110 §15.5.2): Basic, the token endpoint's, never RFC 6750's Bearer.
        issuer = tenant_issuer(world.tenant)
        assert response["WWW-Authenticate"] == f'Basic realm="{issuer}", error="invalid_client"'
    else:
        assert "WWW-Authenticate" not in response


@pytest.mark.parametrize("endpoint", ["revoke", "introspect"])
def test_two_ways_of_authenticating_are_invalid_request_at_revocation_and_introspection(
    world: TokenWorld, endpoint: str
) -> None:
    """The same rule (RFC 6749 §2.3) where the client authenticates as at the token endpoint
    (RFC 7009 §2.1, RFC 7662 §2.1)."""
    response = Client().post(
        f"/{world.tenant.domain_name}/oauth2/v2.0/{endpoint}",
        {"token": "x", "client_id": world.web.client_id, "client_secret": world.web_secret},
        HTTP_AUTHORIZATION=basic(world.web.client_id, world.web_secret),
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(lambda w: ({"client_id": "nobody"}, {}), id="a public client's body"),
        pytest.param(lambda w: ({}, {"HTTP_AUTHORIZATION": basic("nobody", "no")}), id="Basic"),
    ],
)
def test_a_code_exchanged_by_a_client_no_app_has_reads_no_code(
    world: TokenWorld, credentials: Callable[[TokenWorld], Request]
) -> None:
    """oauthlib asks for the code's scopes before it authenticates the client: a flood of
    codes from a client that does not exist is answered invalid_client without looking any
    code up (a real code of another client included)."""
    body, headers = credentials(world)
    code = world.code()
    with CaptureQueriesContext(connection) as captured:
        response = Client().post(
            world.token_url,
            {**body, "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
            **headers,
        )
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert not [query for query in captured.captured_queries if "apps_grant" in query["sql"]]
    # The code is untouched: its own client still redeems it.
    assert "access_token" in world.redeem(code)
