"""Several platforms per app (issue 15): each redirect URI belongs to one platform, and the
protocol decides per URI, as Entra does. Driven over real HTTP against the live server."""

import base64
import hashlib
import importlib
import secrets
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client
from django.utils import timezone

from apps import selectors
from apps import services as app_services
from apps.models import AppRedirectUri, AppRegistration, Platform, RefreshToken
from tenants.models import AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.oidc import (
    OidcWorld,
    browser_sign_in,
    drop_world,
    make_world,
    query_of,
)

committed = pytest.mark.usefixtures("committed_db")

WEB_URI = "https://hybrid.example/signin-oidc"
SPA_URI = "https://spa.hybrid.example/auth"
SPA_ORIGIN = "https://spa.hybrid.example"
MOBILE_URI = "http://127.0.0.1/native"


@pytest.fixture(scope="module")
def world(live_server_url: str, django_db_blocker: pytest.FixtureRequest) -> Iterator[OidcWorld]:
    """The shared OIDC world, whose web app also has a single-page and a mobile platform."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        made = make_world(live_server_url, "platforms")
        with in_tenant(made.tenant):
            app_services.app_platform_update(
                app=made.web, platform=Platform.WEB, redirect_uris=[WEB_URI]
            )
            app_services.app_platform_add(
                app=made.web, platform=Platform.SPA, redirect_uris=[SPA_URI]
            )
            app_services.app_platform_add(
                app=made.web, platform=Platform.MOBILE, redirect_uris=[MOBILE_URI]
            )
    yield made
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        drop_world(made)
        connections.close_all()


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(
    world: OidcWorld, redirect_uri: str, *, pkce: bool = True
) -> tuple[requests.Response, str]:
    """Sign the customer in through an authorization request for this redirect URI; the
    redirect back to the app and the PKCE verifier."""
    verifier = secrets.token_urlsafe(48)
    params = {
        "client_id": world.web.client_id,
        "response_type": "code",
        "scope": "openid offline_access",
        "redirect_uri": redirect_uri,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
    }
    if pkce:
        params |= {"code_challenge": _challenge(verifier), "code_challenge_method": "S256"}
    url = f"{world.endpoint('authorize')}?{urlencode(params)}"
    return browser_sign_in(requests.Session(), world, url), verifier


def code_for(world: OidcWorld, redirect_uri: str, *, pkce: bool = True) -> tuple[str, str]:
    redirect, verifier = authorize(world, redirect_uri, pkce=pkce)
    assert redirect.status_code == 302, redirect.text[:500]
    assert redirect.headers["Location"].startswith(redirect_uri)
    return query_of(redirect)["code"], verifier


def redeem(
    world: OidcWorld,
    code: str,
    redirect_uri: str,
    *,
    verifier: str | None = None,
    secret: bool = False,
    origin: str | None = None,
) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    auth = (world.web.client_id, world.web_secret) if secret else None
    if not secret:
        data["client_id"] = world.web.client_id
    headers = {"Origin": origin} if origin else {}
    return requests.post(world.endpoint("token"), data=data, auth=auth, headers=headers, timeout=10)


def refresh(
    world: OidcWorld, token: str, *, secret: bool = False, origin: str | None = None
) -> requests.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token}
    auth = (world.web.client_id, world.web_secret) if secret else None
    if not secret:
        data["client_id"] = world.web.client_id
    headers = {"Origin": origin} if origin else {}
    return requests.post(world.endpoint("token"), data=data, auth=auth, headers=headers, timeout=10)


# --- the protocol, per redirect URI ---------------------------------------------------------


@committed
def test_a_spa_code_is_redeemed_without_a_secret_with_pkce_and_cors(world: OidcWorld) -> None:
    """RFC 6749 §2.1 per redirect URI: the confidential app's spa URI is a public client's."""
    code, verifier = code_for(world, SPA_URI)
    response = redeem(world, code, SPA_URI, verifier=verifier, origin=SPA_ORIGIN)
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    refreshed = refresh(world, response.json()["refresh_token"], origin=SPA_ORIGIN)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    # Its refresh token is a public client's too: with the secret, it is refused.
    with_secret = refresh(world, refreshed.json()["refresh_token"], secret=True)
    assert with_secret.json()["error"] == "invalid_grant"


@committed
def test_a_spa_redirect_uri_requires_pkce(world: OidcWorld) -> None:
    """RFC 7636 §4.4.1: no challenge for a public client's redirect URI is invalid_request."""
    response = requests.get(
        world.endpoint("authorize"),
        params={
            "client_id": world.web.client_id,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": SPA_URI,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(SPA_URI)
    assert query_of(response)["error"] == "invalid_request"


@committed
def test_a_spa_code_with_a_secret_is_refused(world: OidcWorld) -> None:
    code, verifier = code_for(world, SPA_URI)
    response = redeem(world, code, SPA_URI, verifier=verifier, secret=True)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@committed
def test_a_web_code_needs_the_secret(world: OidcWorld) -> None:
    """A code for a web redirect URI is the confidential client's: PKCE optional, secret not."""
    code, _verifier = code_for(world, WEB_URI, pkce=False)
    refused = redeem(world, code, WEB_URI)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    accepted = redeem(world, code, WEB_URI, secret=True)
    assert accepted.status_code == 200, accepted.text
    token = accepted.json()["refresh_token"]
    assert refresh(world, token).json()["error"] == "invalid_client"
    assert refresh(world, token, secret=True).status_code == 200


@committed
def test_no_cors_for_the_web_redirect_uri_origin(world: OidcWorld) -> None:
    code, _verifier = code_for(world, WEB_URI, pkce=False)
    response = redeem(world, code, WEB_URI, secret=True, origin="https://hybrid.example")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = requests.options(
        world.endpoint("token"), headers={"Origin": SPA_ORIGIN}, timeout=10
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    web_preflight = requests.options(
        world.endpoint("token"), headers={"Origin": "https://hybrid.example"}, timeout=10
    )
    assert "Access-Control-Allow-Origin" not in web_preflight.headers


@committed
def test_a_mobile_loopback_code_is_a_public_clients(world: OidcWorld) -> None:
    """RFC 8252 §7.3: a loopback redirect URI with any port is the mobile platform's."""
    with_port = "http://127.0.0.1:53127/native"
    code, verifier = code_for(world, with_port)
    assert redeem(world, code, with_port).json()["error"] in {"invalid_request", "invalid_grant"}
    code, verifier = code_for(world, with_port)
    response = redeem(world, code, with_port, verifier=verifier, origin="http://127.0.0.1:53127")
    assert response.status_code == 200, response.text
    assert "Access-Control-Allow-Origin" not in response.headers


@committed
def test_spa_refresh_tokens_live_the_spa_hours_and_web_ones_days(world: OidcWorld) -> None:
    with in_tenant(world.tenant):
        app_services.token_settings_update(
            access_token_minutes=60,
            id_token_minutes=60,
            spa_refresh_token_hours=2,
            refresh_token_days=90,
        )
    spa_code, verifier = code_for(world, SPA_URI)
    spa_token = redeem(world, spa_code, SPA_URI, verifier=verifier).json()["refresh_token"]
    web_code, _ = code_for(world, WEB_URI, pkce=False)
    web_token = redeem(world, web_code, WEB_URI, secret=True).json()["refresh_token"]
    with in_tenant(world.tenant):
        families = RefreshToken.objects.filter(application=world.web, revoked__isnull=True)
        assert set(families.values_list("platform", flat=True)) >= {"spa", "web"}
        families.update(created=timezone.now() - timedelta(hours=3))
    assert refresh(world, spa_token).json()["error"] == "invalid_grant"
    assert refresh(world, web_token, secret=True).status_code == 200


# --- the services -----------------------------------------------------------------------------


@pytest.fixture
def tenant(tenant_a: Tenant) -> Tenant:
    return tenant_a


def test_platforms_keep_the_union_and_the_client_type(tenant: Tenant) -> None:
    with in_tenant(tenant):
        app = app_services.app_register(
            name="Shop", platform=Platform.SPA, redirect_uris=["https://shop.example/spa"]
        )
        assert app.is_public
        with pytest.raises(ValidationError):
            app_services.client_secret_add(app=app, description="no", lifetime_days=180)
        app_services.app_platform_add(
            app=app, platform=Platform.WEB, redirect_uris=["https://shop.example/web"]
        )
        app.refresh_from_db()
        assert app.platform == Platform.WEB
        assert app.client_type == AppRegistration.CLIENT_CONFIDENTIAL
        assert app.redirect_uris.split() == ["https://shop.example/web", "https://shop.example/spa"]
        assert selectors.app_platforms(app) == {
            "web": ["https://shop.example/web"],
            "spa": ["https://shop.example/spa"],
        }
        app_services.client_secret_add(app=app, description="ci", lifetime_days=180)
        with pytest.raises(ValidationError, match="remove them first"):
            app_services.app_platform_remove(app=app, platform=Platform.WEB)
        app.secrets.all().delete()
        app_services.app_platform_remove(app=app, platform=Platform.WEB)
        app.refresh_from_db()
        assert app.is_public
        assert app.redirect_uris == "https://shop.example/spa"
        with pytest.raises(ValidationError, match="one platform at least"):
            app_services.app_platform_remove(app=app, platform=Platform.SPA)


def test_each_uri_belongs_to_one_platform_with_its_rules(tenant: Tenant) -> None:
    with in_tenant(tenant):
        app = app_services.app_register(
            name="Web", platform=Platform.WEB, redirect_uris=["https://web.example/cb"]
        )
        with pytest.raises(ValidationError, match="already a redirect URI of the Web platform"):
            app_services.app_platform_add(
                app=app, platform=Platform.SPA, redirect_uris=["https://web.example/cb"]
            )
        with pytest.raises(ValidationError, match="must use https"):
            app_services.app_platform_add(
                app=app, platform=Platform.SPA, redirect_uris=["com.example.app:/cb"]
            )
        app_services.app_platform_add(
            app=app, platform=Platform.MOBILE, redirect_uris=["com.example.app:/cb"]
        )
        with pytest.raises(ValidationError, match="already has this platform"):
            app_services.app_platform_add(
                app=app, platform=Platform.MOBILE, redirect_uris=["com.example.app:/b"]
            )
        with pytest.raises(ValidationError, match="at least one redirect URI"):
            app_services.app_platform_add(app=app, platform=Platform.SPA, redirect_uris=[])
        # An emptied platform that is not the main one is removed.
        app_services.app_platform_update(app=app, platform=Platform.MOBILE, redirect_uris=[])
        assert selectors.app_platforms(app) == {"web": ["https://web.example/cb"]}
        daemon = app_services.app_register(name="Daemon", platform=Platform.DAEMON)
        with pytest.raises(ValidationError, match="daemon"):
            app_services.app_platform_add(
                app=daemon, platform=Platform.WEB, redirect_uris=["https://d.example/cb"]
            )
        assert selectors.app_platforms(daemon) == {}


def test_the_data_migration_gives_each_uri_its_apps_platform(tenant: Tenant) -> None:
    migration = importlib.import_module("apps.migrations.0011_app_platforms")
    with in_tenant(tenant):
        app = app_services.app_register(
            name="Old", platform=Platform.SPA, redirect_uris=["https://old.example/a"]
        )
        AppRedirectUri.objects.filter(app=app).delete()
        AppRegistration.objects.filter(pk=app.pk).update(
            redirect_uris="https://old.example/a https://old.example/b"
        )
        migration.redirect_uris_to_their_platform(django_apps, None)
        assert selectors.app_platforms(app) == {
            "spa": ["https://old.example/a", "https://old.example/b"]
        }


# --- the admin center -------------------------------------------------------------------------


SPA, SPA2 = "https://portal.example/spa", "https://portal.example/spa2"


def test_the_authentication_page_adds_and_removes_platforms_audited(
    admin_client: Client, tenant: Tenant
) -> None:
    with in_tenant(tenant):
        app = app_services.app_register(
            name="Portal", platform=Platform.WEB, redirect_uris=["https://portal.example/cb"]
        )
    page = f"/admin-center/tenants/{tenant.tenant_id}/apps/{app.object_id}/authentication/"
    added = admin_client.post(
        f"{page}platforms/new/",
        {"platform": "spa", "redirect_uris": "https://portal.example/spa"},
    )
    assert added.status_code == 302
    listing = admin_client.get(page).text
    assert "Single-page application" in listing
    assert "https://portal.example/spa" in listing
    updated = admin_client.post(
        f"{page}platforms/spa/",
        {"redirect_uris": "https://portal.example/spa\nhttps://portal.example/spa2"},
    )
    assert updated.status_code == 302
    refused = admin_client.post(
        f"{page}platforms/spa/", {"redirect_uris": "https://portal.example/cb"}
    )
    assert "already a redirect URI of the Web platform" in refused.text
    removed = admin_client.post(f"{page}platforms/spa/remove/")
    assert removed.status_code == 302
    with in_tenant(tenant):
        assert selectors.app_platforms(app) == {"web": ["https://portal.example/cb"]}
    entries = AuditEntry.objects.filter(
        tenant_uuid=tenant.tenant_id, action=AuditAction.APP_AUTHENTICATION_UPDATED
    ).order_by("pk")
    assert [entry.details for entry in entries] == [
        {"before": {"spa_redirect_uris": None}, "after": {"spa_redirect_uris": [SPA]}},
        {"before": {"spa_redirect_uris": [SPA]}, "after": {"spa_redirect_uris": [SPA, SPA2]}},
        {"before": {"spa_redirect_uris": [SPA, SPA2]}, "after": {"spa_redirect_uris": None}},
    ]
