"""The tenant as an OpenID Provider, driven over real HTTP by Authlib's client and JOSE code."""

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.models import User
from apps import services as app_services
from apps.models import Grant
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer
from tests.factories.oidc import (
    SPA_REDIRECT,
    WEB_LOGOUT,
    WEB_REDIRECT,
    OidcWorld,
    browser_sign_in,
    decode_unverified,
    is_sign_in_page,
    query_of,
    submit_sign_in,
)

pytestmark = pytest.mark.usefixtures("committed_db")


def jwks(world: OidcWorld) -> object:
    return JsonWebKey.import_key_set(requests.get(world.jwks_url, timeout=5).json())


def verify(world: OidcWorld, token: str, **expected: object) -> dict[str, object]:
    """Verify signature and standard claims as a relying party would (Authlib's JOSE)."""
    claims = jwt.decode(
        token,
        jwks(world),
        claims_options={
            "iss": {"essential": True, "value": world.issuer},
            **{name: {"essential": True, "value": value} for name, value in expected.items()},
        },
    )
    claims.validate(leeway=5)
    return dict(claims)


def authorize_request(client: Any, world: OidcWorld, **params: str) -> requests.Response:
    """One authorization request of the web app (openid, its registered redirect URI), with
    `params` added; redirects are not followed."""
    query = {
        "client_id": world.web.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": WEB_REDIRECT,
        **params,
    }
    response: requests.Response = client.get(
        world.endpoint("authorize"), allow_redirects=False, timeout=5, params=query
    )
    return response


def web_client(world: OidcWorld, **kwargs: object) -> OAuth2Session:
    options: dict[str, object] = {
        "scope": "openid profile email offline_access",
        "redirect_uri": WEB_REDIRECT,
        "code_challenge_method": "S256",
        **kwargs,
    }
    return OAuth2Session(world.web.client_id, world.web_secret, **options)


def code_flow(
    world: OidcWorld, client: OAuth2Session, browser: requests.Session | None = None, **params: str
) -> tuple[dict[str, object], str, str]:
    """Run authorize → sign in → token; return the token response, the nonce and the verifier."""
    from authlib.common.security import generate_token

    verifier = generate_token(48)
    nonce = generate_token(16)
    url, state = client.create_authorization_url(
        world.endpoint("authorize"), code_verifier=verifier, nonce=nonce, **params
    )
    redirect = browser_sign_in(browser or requests.Session(), world, url)
    assert redirect.status_code == 302, redirect.text[:500]
    query = query_of(redirect)
    assert query["state"] == state
    assert query["iss"] == world.issuer  # RFC 9207
    token = client.fetch_token(
        world.endpoint("token"),
        authorization_response=redirect.headers["Location"],
        code_verifier=verifier,
    )
    return dict(token), nonce, verifier


def test_discovery_document_is_complete_and_true(oidc_world: OidcWorld) -> None:
    tenant_url = f"{oidc_world.base_url}/{oidc_world.tenant.domain_name}"
    url = f"{tenant_url}/v2.0/.well-known/openid-configuration"
    doc = requests.get(url, timeout=5).json()
    assert doc["issuer"] == oidc_world.issuer
    assert doc["response_types_supported"] == ["code"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    }
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "end_session_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "jwks_uri",
    ):
        assert doc[key].startswith(f"{oidc_world.base_url}/{oidc_world.tenant.domain_name}/")
    assert requests.get(doc["jwks_uri"], timeout=5).status_code == 200
    assert {"tid", "oid", "sub", "email", "idp", "amr", "acr"} <= set(doc["claims_supported"])
    # One factor or two (apps/oidc/acr.py), asked with acr_values or an essential acr claim.
    assert doc["acr_values_supported"] == ["urn:ciam:sfa", "urn:ciam:mfa"]
    assert doc["claims_parameter_supported"] is True


def test_jwks_publishes_next_active_and_retiring_with_cache_headers(
    oidc_world: OidcWorld, other_world: OidcWorld
) -> None:
    response = requests.get(oidc_world.jwks_url, timeout=5)
    assert "max-age=" in response.headers["Cache-Control"]
    kids = {key["kid"] for key in response.json()["keys"]}
    assert len(kids) == 2  # active and next
    for key in response.json()["keys"]:
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        assert "d" not in key
    other = {key["kid"] for key in requests.get(other_world.jwks_url, timeout=5).json()["keys"]}
    assert not kids & other


def test_web_app_code_flow_with_pkce(oidc_world: OidcWorld) -> None:
    token, nonce, _ = code_flow(oidc_world, web_client(oidc_world))
    assert token["token_type"] == "Bearer"
    id_claims = verify(
        oidc_world, str(token["id_token"]), aud=oidc_world.web.client_id, nonce=nonce
    )
    assert id_claims["tid"] == str(oidc_world.tenant.tenant_id)
    assert id_claims["ver"] == "2.0"
    assert id_claims["email"] == oidc_world.customer_email
    for claim in ("sub", "oid", "exp", "iat", "nbf", "auth_time"):
        assert claim in id_claims, claim
    access = verify(oidc_world, str(token["access_token"]))
    header = json.loads(
        __import__("base64").urlsafe_b64decode(str(token["access_token"]).split(".")[0] + "==")
    )
    assert header["typ"] == "at+jwt"
    assert access["oid"] == id_claims["oid"]
    assert access["client_id"] == oidc_world.web.client_id
    assert access["exp"] - access["iat"] == 3600  # Entra's default: 60 minutes
    assert "jti" in access
    assert "scp" in access
    assert "refresh_token" in token


def test_sub_is_pairwise_per_app_and_oid_is_stable(oidc_world: OidcWorld) -> None:
    browser = requests.Session()
    web_token, _, _ = code_flow(oidc_world, web_client(oidc_world), browser)
    spa = OAuth2Session(
        oidc_world.spa.client_id,
        scope="openid",
        redirect_uri=SPA_REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    spa_token, _, _ = code_flow(oidc_world, spa, browser)
    web_claims = decode_unverified(str(web_token["id_token"]))
    spa_claims = decode_unverified(str(spa_token["id_token"]))
    assert web_claims["oid"] == spa_claims["oid"]
    assert web_claims["sub"] != spa_claims["sub"]


def test_delegated_api_scope_goes_to_the_api_audience(oidc_world: OidcWorld) -> None:
    client = web_client(oidc_world, scope=f"openid {oidc_world.api_scope}")
    token, _, _ = code_flow(oidc_world, client)
    access = verify(oidc_world, str(token["access_token"]), aud=oidc_world.api.client_id)
    assert access["scp"] == "Files.Read"


def test_single_page_app_code_flow_and_cors(oidc_world: OidcWorld) -> None:
    spa = OAuth2Session(
        oidc_world.spa.client_id,
        scope="openid offline_access",
        redirect_uri=SPA_REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    spa.headers["Origin"] = "http://localhost:3000"
    token, nonce, _ = code_flow(oidc_world, spa)
    verify(oidc_world, str(token["id_token"]), aud=oidc_world.spa.client_id, nonce=nonce)
    response = requests.post(
        oidc_world.endpoint("token"),
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": oidc_world.spa.client_id,
        },
        headers={"Origin": "http://localhost:3000"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    foreign = requests.post(
        oidc_world.endpoint("token"),
        data={
            "grant_type": "refresh_token",
            "refresh_token": response.json()["refresh_token"],
            "client_id": oidc_world.spa.client_id,
        },
        headers={"Origin": "https://evil.example"},
        timeout=5,
    )
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_refresh_rotates_and_a_replay_revokes_the_family(oidc_world: OidcWorld) -> None:
    client = web_client(oidc_world)
    token, _, _ = code_flow(oidc_world, client)
    first_refresh = str(token["refresh_token"])
    rotated = client.refresh_token(oidc_world.endpoint("token"), refresh_token=first_refresh)
    assert rotated["refresh_token"] != first_refresh
    verify(oidc_world, rotated["access_token"])
    replay = requests.post(
        oidc_world.endpoint("token"),
        data={"grant_type": "refresh_token", "refresh_token": first_refresh},
        auth=(oidc_world.web.client_id, oidc_world.web_secret),
        timeout=5,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # The whole family is revoked: the newest refresh token is dead too.
    newest = requests.post(
        oidc_world.endpoint("token"),
        data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
        auth=(oidc_world.web.client_id, oidc_world.web_secret),
        timeout=5,
    )
    assert newest.status_code == 400


def test_code_is_single_use_and_a_replay_revokes_what_it_issued(oidc_world: OidcWorld) -> None:
    from authlib.common.security import generate_token

    client = web_client(oidc_world)
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(
        oidc_world.endpoint("authorize"), code_verifier=verifier
    )
    redirect = browser_sign_in(requests.Session(), oidc_world, url)
    code = query_of(redirect)["code"]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": WEB_REDIRECT,
        "code_verifier": verifier,
    }
    auth = (oidc_world.web.client_id, oidc_world.web_secret)
    first = requests.post(oidc_world.endpoint("token"), data=data, auth=auth, timeout=5)
    assert first.status_code == 200
    second = requests.post(oidc_world.endpoint("token"), data=data, auth=auth, timeout=5)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    userinfo = requests.get(
        oidc_world.endpoint("userinfo"),
        timeout=5,
        headers={"Authorization": f"Bearer {first.json()['access_token']}"},
    )
    assert userinfo.status_code == 401
    refresh = requests.post(
        oidc_world.endpoint("token"),
        auth=auth,
        timeout=5,
        data={"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]},
    )
    assert refresh.status_code == 400


def test_two_redemptions_racing_with_one_code_store_one_set_of_tokens(
    oidc_world: OidcWorld,
) -> None:
    """The code is spent in the transaction that stores its tokens: of two token requests sent
    at once with one code, one gets tokens and the other invalid_grant, and the loser leaves no
    tokens behind (if it came second, the replay revokes the winner's too, RFC 6749 §4.1.2)."""
    from authlib.common.security import generate_token

    from apps.models import AccessToken, RefreshToken

    client = web_client(oidc_world)
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(
        oidc_world.endpoint("authorize"), code_verifier=verifier
    )
    code = query_of(browser_sign_in(requests.Session(), oidc_world, url))["code"]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": WEB_REDIRECT,
        "code_verifier": verifier,
    }
    auth = (oidc_world.web.client_id, oidc_world.web_secret)
    barrier = threading.Barrier(2)

    def redeem() -> requests.Response:
        barrier.wait()
        return requests.post(oidc_world.endpoint("token"), data=data, auth=auth, timeout=10)

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(lambda _: redeem(), range(2)))
    assert sorted(response.status_code for response in responses) == [200, 400]
    loser = next(response for response in responses if response.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
    with in_tenant(oidc_world.tenant):
        grant = Grant.objects.get(code=code)
        assert grant.used_at is not None
        issued = AccessToken.objects.filter(
            application=oidc_world.web, user=grant.user, created__gte=grant.created
        )
        assert issued.count() <= 1
        assert (
            RefreshToken.objects.filter(access_token__in=issued, revoked__isnull=True).count() <= 1
        )


def test_client_credentials_token_carries_roles(oidc_world: OidcWorld) -> None:
    client = OAuth2Session(oidc_world.daemon.client_id, oidc_world.daemon_secret)
    token = client.fetch_token(
        oidc_world.endpoint("token"),
        grant_type="client_credentials",
        scope=oidc_world.default_scope,
    )
    claims = verify(oidc_world, token["access_token"], aud=oidc_world.api.client_id)
    assert claims["roles"] == ["Files.Read.All"]
    assert claims["idtyp"] == "app"
    assert "refresh_token" not in token


def test_client_secret_post_is_accepted(oidc_world: OidcWorld) -> None:
    response = requests.post(
        oidc_world.endpoint("token"),
        timeout=5,
        data={
            "grant_type": "client_credentials",
            "scope": oidc_world.default_scope,
            "client_id": oidc_world.daemon.client_id,
            "client_secret": oidc_world.daemon_secret,
        },
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


class TenMinuteAssertions(PrivateKeyJWT):  # type: ignore[misc]
    """Authlib's private_key_jwt with assertions that expire in ten minutes, as MSAL's do:
    the server refuses one that expires further ahead (Authlib's default is an hour)."""

    def sign(self, auth: Any, token_endpoint: str) -> Any:
        return private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            claims=self.claims,
            header=self.headers,
            alg=self.alg,
            expires_in=600,
        )


def test_private_key_jwt(oidc_world: OidcWorld, django_db_blocker: pytest.FixtureRequest) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with in_tenant(oidc_world.tenant):
        app_services.certificate_add(app=oidc_world.daemon, pem=public_pem, description="ci")
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    client = OAuth2Session(
        oidc_world.daemon.client_id,
        private_pem,
        token_endpoint_auth_method=TenMinuteAssertions(oidc_world.endpoint("token")),
    )
    token = client.fetch_token(
        oidc_world.endpoint("token"),
        grant_type="client_credentials",
        scope=oidc_world.default_scope,
    )
    verify(oidc_world, token["access_token"], aud=oidc_world.api.client_id)
    # A key the app never uploaded is refused.
    stranger = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    bad = OAuth2Session(
        oidc_world.daemon.client_id,
        stranger,
        token_endpoint_auth_method=TenMinuteAssertions(oidc_world.endpoint("token")),
    )
    with pytest.raises(Exception, match="invalid_client"):
        bad.fetch_token(
            oidc_world.endpoint("token"),
            grant_type="client_credentials",
            scope=oidc_world.default_scope,
        )


def test_userinfo_revocation_and_introspection(oidc_world: OidcWorld) -> None:
    token, _, _ = code_flow(oidc_world, web_client(oidc_world))
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    info = requests.get(oidc_world.endpoint("userinfo"), headers=bearer, timeout=5)
    assert info.status_code == 200
    assert info.json()["email"] == oidc_world.customer_email
    assert info.json()["sub"] == decode_unverified(str(token["id_token"]))["sub"]

    web_auth = (oidc_world.web.client_id, oidc_world.web_secret)
    active = requests.post(
        oidc_world.endpoint("introspect"),
        auth=web_auth,
        timeout=5,
        data={"token": token["access_token"]},
    )
    assert active.status_code == 200
    assert active.json()["active"] is True

    revoked = requests.post(
        oidc_world.endpoint("revoke"),
        auth=web_auth,
        timeout=5,
        data={"token": token["access_token"], "token_type_hint": "access_token"},
    )
    assert revoked.status_code == 200
    assert (
        requests.get(oidc_world.endpoint("userinfo"), headers=bearer, timeout=5).status_code == 401
    )
    after = requests.post(
        oidc_world.endpoint("introspect"),
        auth=web_auth,
        timeout=5,
        data={"token": token["access_token"]},
    )
    assert after.json()["active"] is False


def test_rp_initiated_logout_with_front_channel(oidc_world: OidcWorld) -> None:
    browser = requests.Session()
    token, _, _ = code_flow(oidc_world, web_client(oidc_world), browser)
    response = browser.get(
        oidc_world.endpoint("logout"),
        allow_redirects=False,
        timeout=5,
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": WEB_LOGOUT,
            "state": "s1",
        },
    )
    assert response.status_code == 200
    assert "https://web.example.com/front-channel-logout?iss=" in response.text
    # The page may frame the apps' front-channel logout URLs, and nothing else.
    policy = response.headers["Content-Security-Policy"]
    assert "frame-src https://web.example.com;" in policy + ";"
    assert f"{WEB_LOGOUT}?state=s1" in response.text
    # Signed out: the next authorization asks for a sign-in again.
    again = authorize_request(browser, oidc_world, prompt="none")
    assert query_of(again)["error"] == "login_required"


# --- one negative test per rule --------------------------------------------------------------


def test_unregistered_redirect_uri_is_shown_on_a_page_not_redirected(oidc_world: OidcWorld) -> None:
    response = requests.get(
        oidc_world.endpoint("authorize"),
        allow_redirects=False,
        timeout=5,
        params={
            "client_id": oidc_world.web.client_id,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": "https://evil.example/cb",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "redirect" in response.text.lower()


def test_public_client_without_pkce_is_refused(oidc_world: OidcWorld) -> None:
    browser = requests.Session()
    url = (
        requests.Request(
            "GET",
            oidc_world.endpoint("authorize"),
            params={
                "client_id": oidc_world.spa.client_id,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": SPA_REDIRECT,
                "state": "abc",
            },
        )
        .prepare()
        .url
    )
    response = browser_sign_in(browser, oidc_world, str(url))
    query = query_of(response)
    assert query["error"] == "invalid_request"
    assert query["state"] == "abc"
    assert query["iss"] == oidc_world.issuer


def test_plain_pkce_is_refused(oidc_world: OidcWorld) -> None:
    url = (
        requests.Request(
            "GET",
            oidc_world.endpoint("authorize"),
            params={
                "client_id": oidc_world.spa.client_id,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": SPA_REDIRECT,
                "code_challenge": "a" * 43,
                "code_challenge_method": "plain",
            },
        )
        .prepare()
        .url
    )
    response = browser_sign_in(requests.Session(), oidc_world, str(url))
    assert query_of(response)["error"] == "invalid_request"


@pytest.mark.parametrize("method", ["plain", None])
def test_plain_pkce_is_refused_before_anyone_signs_in(
    oidc_world: OidcWorld, method: str | None
) -> None:
    """A public client's `plain` challenge (or a challenge without a method, which is plain:
    RFC 7636 §4.3) is answered at once with an error back to the app (RFC 7636 §4.4.1, RFC 6749
    §4.1.2.1), not with a sign-in page whose sign-in would then be thrown away."""
    params = {
        "client_id": oidc_world.spa.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": SPA_REDIRECT,
        "state": "p-1",
        "code_challenge": "a" * 43,
    }
    if method is not None:
        params["code_challenge_method"] = method
    response = requests.get(
        oidc_world.endpoint("authorize"), params=params, allow_redirects=False, timeout=5
    )
    assert response.status_code == 302, response.text[:300]
    assert response.headers["Location"].startswith(f"{SPA_REDIRECT}?")
    query = query_of(response)
    assert (query["error"], query["state"], query["iss"]) == (
        "invalid_request",
        "p-1",
        oidc_world.issuer,
    )
    assert "S256" in query["error_description"]


def test_wrong_secret_is_invalid_client_with_basic_challenge(oidc_world: OidcWorld) -> None:
    response = requests.post(
        oidc_world.endpoint("token"),
        timeout=5,
        data={"grant_type": "client_credentials", "scope": oidc_world.default_scope},
        auth=(oidc_world.daemon.client_id, "not-the-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_expired_secret_is_refused(oidc_world: OidcWorld) -> None:
    from django.utils import timezone

    from apps.models import ClientSecret

    with in_tenant(oidc_world.tenant):
        _secret, value = app_services.client_secret_add(
            app=oidc_world.daemon, description="old", lifetime_days=90
        )
        ClientSecret.objects.filter(pk=_secret.pk).update(expires_at=timezone.now())
    response = requests.post(
        oidc_world.endpoint("token"),
        timeout=5,
        data={"grant_type": "client_credentials", "scope": oidc_world.default_scope},
        auth=(oidc_world.daemon.client_id, value),
    )
    assert response.status_code == 401


def test_cross_tenant_client_and_token_are_refused(
    oidc_world: OidcWorld, other_world: OidcWorld
) -> None:
    response = requests.post(
        other_world.endpoint("token"),
        timeout=5,
        data={"grant_type": "client_credentials", "scope": oidc_world.default_scope},
        auth=(oidc_world.daemon.client_id, oidc_world.daemon_secret),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    token, _, _ = code_flow(oidc_world, web_client(oidc_world))
    foreign = requests.get(
        other_world.endpoint("userinfo"),
        timeout=5,
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert foreign.status_code == 401


def test_id_token_hint_not_signed_rs256_by_this_tenant_is_refused(
    oidc_world: OidcWorld, other_world: OidcWorld
) -> None:
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "iss": oidc_world.issuer,
        "aud": oidc_world.web.client_id,
        "sub": "x",
        "exp": int(time.time()) + 600,
        "jti": uuid.uuid4().hex,
    }
    forged = jwt.encode(header, claims, "secret").decode()
    unsigned = forged.rsplit(".", 1)[0].replace(forged.split(".")[0], "eyJhbGciOiJub25lIn0") + "."
    other_token, _, _ = code_flow(other_world, web_client(other_world))
    for hint in (forged, unsigned, str(other_token["id_token"])):
        response = requests.get(
            oidc_world.endpoint("logout"),
            allow_redirects=False,
            timeout=5,
            params={"id_token_hint": hint, "post_logout_redirect_uri": WEB_LOGOUT},
        )
        assert response.status_code == 400, hint[:30]
        assert "Location" not in response.headers


def test_unregistered_post_logout_uri_is_refused(oidc_world: OidcWorld) -> None:
    token, _, _ = code_flow(oidc_world, web_client(oidc_world))
    response = requests.get(
        oidc_world.endpoint("logout"),
        allow_redirects=False,
        timeout=5,
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_prompt_none_without_a_session_returns_login_required(oidc_world: OidcWorld) -> None:
    response = authorize_request(requests, oidc_world, state="xyz", prompt="none")
    assert response.status_code == 302
    query = query_of(response)
    assert query == {"error": "login_required", "state": "xyz", "iss": oidc_world.issuer}


def test_prompt_none_with_max_age_exceeded_returns_login_required(oidc_world: OidcWorld) -> None:
    """A signed-in session older than `max_age`, and no page may be shown: the app is told
    login_required (OIDC Core §3.1.2.1), not shown the sign-in page."""
    browser = requests.Session()
    code_flow(oidc_world, web_client(oidc_world), browser)
    time.sleep(1.1)  # the session's sign-in is now older than max_age=1
    response = authorize_request(browser, oidc_world, state="s3", prompt="none", max_age="1")
    assert response.status_code == 302
    query = query_of(response)
    assert query == {"error": "login_required", "state": "s3", "iss": oidc_world.issuer}
    # Within max_age, the same request is answered with a code.
    fresh = authorize_request(browser, oidc_world, state="s4", prompt="none", max_age="600")
    assert query_of(fresh).get("code"), fresh.headers


def test_prompt_login_asks_for_a_fresh_sign_in(oidc_world: OidcWorld) -> None:
    browser = requests.Session()
    code_flow(oidc_world, web_client(oidc_world), browser)
    response = authorize_request(browser, oidc_world, prompt="login", state="s2")
    assert is_sign_in_page(response)  # asked to sign in again, on this very answer
    posted = submit_sign_in(
        browser, response, oidc_world.customer_email, oidc_world.customer_password
    )
    assert posted.headers["Location"].startswith(f"{WEB_REDIRECT}?code="), posted.headers
    assert query_of(posted)["state"] == "s2"


def test_the_sign_in_form_answers_with_the_redirect_to_the_app(oidc_world: OidcWorld) -> None:
    """The password POST answers the authorization request it interrupted: one round trip,
    straight back to the app with a code that works, `state` and `iss` included."""
    from authlib.common.security import generate_token

    client = web_client(oidc_world)
    verifier = generate_token(48)
    url, state = client.create_authorization_url(
        oidc_world.endpoint("authorize"), code_verifier=verifier, nonce="n-1"
    )
    browser = requests.Session()
    # The authorization endpoint answers with the sign-in page itself (no redirect to it)...
    page = browser.get(url, allow_redirects=False)
    assert is_sign_in_page(page)
    assert "no-store" in page.headers["Cache-Control"]
    # ...and the form's answer is the redirect back to the app.
    posted = submit_sign_in(browser, page, oidc_world.customer_email, oidc_world.customer_password)
    assert posted.status_code == 302
    assert posted.headers["Location"].startswith(f"{WEB_REDIRECT}?"), posted.headers["Location"]
    assert "no-store" in posted.headers["Cache-Control"]
    query = query_of(posted)
    assert (query["state"], query["iss"]) == (state, oidc_world.issuer)
    token = client.fetch_token(
        oidc_world.endpoint("token"),
        authorization_response=posted.headers["Location"],
        code_verifier=verifier,
    )
    assert verify(oidc_world, token["id_token"], nonce="n-1")["aud"] == oidc_world.web.client_id


def test_a_temporary_password_is_changed_before_any_code(oidc_world: OidcWorld) -> None:
    """The sign-in form goes straight back to the app only for a customer the hosted pages
    would let through: one with an admin-set temporary password goes to change it first."""
    email = f"temporary-{uuid.uuid4().hex[:8]}@example.com"  # the world's tenant goes at the end
    user = make_customer(oidc_world.tenant, email, password="Temporary-Pass-1")
    with in_tenant(oidc_world.tenant):
        User.objects.filter(pk=user.pk).update(must_change_password=True)
    browser = requests.Session()
    page = authorize_request(browser, oidc_world, state="s")
    posted = submit_sign_in(browser, page, email, "Temporary-Pass-1")
    assert posted.status_code == 302
    assert posted.headers["Location"].startswith("/")
    assert "/account/password/change/" in posted.headers["Location"]
    with in_tenant(oidc_world.tenant):
        assert not Grant.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    "params", [{"max_age": "0"}, {"prompt": "login"}, {"prompt": "select_account"}]
)
def test_the_sign_in_asked_for_satisfies_prompt_and_max_age(
    oidc_world: OidcWorld, params: dict[str, str]
) -> None:
    """A request that asks for a fresh sign-in, from a browser with no session: the sign-in
    it leads to is that fresh sign-in, and the customer goes back to the app with a code (not
    signed out and asked again, forever)."""
    token, _nonce, _verifier = code_flow(oidc_world, web_client(oidc_world), **params)
    assert token["id_token"]


def test_scopes_not_consented_are_refused(oidc_world: OidcWorld) -> None:
    response = requests.post(
        oidc_world.endpoint("token"),
        timeout=5,
        data={"grant_type": "client_credentials", "scope": "api://unknown/.default"},
        auth=(oidc_world.daemon.client_id, oidc_world.daemon_secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_introspection_only_for_the_client_or_its_api(
    oidc_world: OidcWorld, django_db_blocker: pytest.FixtureRequest
) -> None:
    client = web_client(oidc_world, scope=f"openid {oidc_world.api_scope}")
    token, _, _ = code_flow(oidc_world, client)
    with in_tenant(oidc_world.tenant):
        _s, api_secret = app_services.client_secret_add(
            app=oidc_world.api, description="api", lifetime_days=90
        )
    url = oidc_world.endpoint("introspect")
    as_api = requests.post(
        url,
        data={"token": token["access_token"]},
        timeout=5,
        auth=(oidc_world.api.client_id, api_secret),
    )
    assert as_api.json()["active"] is True
    assert as_api.json()["aud"] == oidc_world.api.client_id
    as_stranger = requests.post(
        url,
        data={"token": token["access_token"]},
        timeout=5,
        auth=(oidc_world.daemon.client_id, oidc_world.daemon_secret),
    )
    assert as_stranger.json() == {"active": False}
    anonymous = requests.post(url, data={"token": token["access_token"]}, timeout=5)
    assert anonymous.status_code == 401
    public = requests.post(
        url, timeout=5, data={"token": token["access_token"], "client_id": oidc_world.spa.client_id}
    )
    assert public.status_code == 401
    refresh = requests.post(
        url,
        data={"token": token["refresh_token"]},
        timeout=5,
        auth=(oidc_world.web.client_id, oidc_world.web_secret),
    )
    assert refresh.json()["active"] is True
    assert requests.get(url, timeout=5).status_code == 405


def test_id_token_signed_by_a_retiring_key_still_works_as_a_hint(oidc_world: OidcWorld) -> None:
    from apps.signing import signing_key_rotate

    browser = requests.Session()
    token, _, _ = code_flow(oidc_world, web_client(oidc_world), browser)
    with in_tenant(oidc_world.tenant):
        signing_key_rotate()
    time.sleep(5.1)  # the server's processes remember the active key for up to 5 seconds
    kids = {key["kid"] for key in requests.get(oidc_world.jwks_url, timeout=5).json()["keys"]}
    old_kid = json.loads(
        __import__("base64").urlsafe_b64decode(str(token["id_token"]).split(".")[0] + "==")
    )["kid"]
    assert old_kid in kids
    verify(oidc_world, str(token["access_token"]))
    fresh, _, _ = code_flow(oidc_world, web_client(oidc_world))
    new_kid = json.loads(
        __import__("base64").urlsafe_b64decode(str(fresh["id_token"]).split(".")[0] + "==")
    )["kid"]
    assert new_kid != old_kid
    response = browser.get(
        oidc_world.endpoint("logout"),
        allow_redirects=False,
        timeout=5,
        params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": WEB_LOGOUT},
    )
    assert response.status_code in (200, 302)
    assert WEB_LOGOUT in (response.headers.get("Location", "") + response.text)


def test_token_lifetimes_follow_the_tenant_configuration(other_world: OidcWorld) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.models import RefreshToken

    with in_tenant(other_world.tenant):
        app_services.token_settings_update(
            access_token_minutes=30,
            id_token_minutes=20,
            spa_refresh_token_hours=24,
            refresh_token_days=90,
        )
    spa = OAuth2Session(
        other_world.spa.client_id,
        scope="openid offline_access",
        redirect_uri=SPA_REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    token, _, _ = code_flow(other_world, spa)
    access = decode_unverified(str(token["access_token"]))
    id_claims = decode_unverified(str(token["id_token"]))
    assert access["exp"] - access["iat"] == 30 * 60
    assert id_claims["exp"] - id_claims["iat"] == 20 * 60
    # A single-page app's refresh tokens live 24 hours from sign-in, however often rotated.
    rotated = spa.refresh_token(other_world.endpoint("token"), refresh_token=token["refresh_token"])
    with in_tenant(other_world.tenant):
        RefreshToken.objects.update(created=timezone.now() - timedelta(hours=25))
    expired = requests.post(
        other_world.endpoint("token"),
        timeout=5,
        data={
            "grant_type": "refresh_token",
            "refresh_token": rotated["refresh_token"],
            "client_id": other_world.spa.client_id,
        },
    )
    assert expired.status_code == 400
    assert expired.json()["error"] == "invalid_grant"


def test_login_hint_prefills_the_sign_in_page(oidc_world: OidcWorld) -> None:
    browser = requests.Session()
    response = browser.get(
        oidc_world.endpoint("authorize"),
        timeout=5,
        params={
            "client_id": oidc_world.web.client_id,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": WEB_REDIRECT,
            "login_hint": "hinted@example.com",
        },
    )
    assert is_sign_in_page(response)
    assert 'value="hinted@example.com"' in response.text


def test_a_confidential_client_may_leave_pkce_out(oidc_world: OidcWorld) -> None:
    """PKCE is decided per client (CiamValidator.is_pkce_required): required of public clients
    (above), optional for a confidential one, which authenticates at the token endpoint."""
    client = web_client(oidc_world, code_challenge_method=None)
    url, state = client.create_authorization_url(oidc_world.endpoint("authorize"), nonce="n-1")
    assert "code_challenge" not in url
    redirect = browser_sign_in(requests.Session(), oidc_world, url)
    assert redirect.status_code == 302, redirect.text[:500]
    assert query_of(redirect)["state"] == state
    token = client.fetch_token(
        oidc_world.endpoint("token"), authorization_response=redirect.headers["Location"]
    )
    assert token["token_type"] == "Bearer"
    assert "id_token" in token
