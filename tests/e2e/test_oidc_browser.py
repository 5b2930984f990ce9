"""Sign-ins of a web app and of a single-page app, in real Chromium against the real server."""

import json
import uuid
from urllib.parse import quote, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from playwright.sync_api import Page, expect

from apps import services as app_services
from apps.models import AppRegistration, Platform
from tenants import services as tenant_services
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Screenshot, expect_hosted_page
from tests.factories.accounts import PASSWORD, make_customer

pytestmark = pytest.mark.e2e


def tenant_with_app(
    committed: CommittedData, platform: str, redirect_uri: str
) -> tuple[Tenant, AppRegistration, str, str]:
    domain_name = committed.unique("e2e-oidc")
    committed.domain_names.append(domain_name)
    tenant = tenant_services.tenant_create(
        display_name="Browser OIDC", domain_name=domain_name, country="US", creator=None
    )
    secret = ""
    with in_tenant(tenant):
        app = app_services.app_register(
            name="Browser app", platform=platform, redirect_uris=[redirect_uri]
        )
        if platform == Platform.WEB:
            _s, secret = app_services.client_secret_add(
                app=app, description="e2e", lifetime_days=90
            )
    email = f"shopper-{uuid.uuid4().hex[:6]}@example.com"
    make_customer(tenant, email)
    return tenant, app, secret, email


def sign_in_on_hosted_page(page: Page, email: str, screenshot: Screenshot, name: str) -> None:
    expect_hosted_page(page, "Sign in")
    screenshot(page, name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_web_app_signs_a_customer_in_through_the_browser(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    redirect_uri = f"{app_server}/callback"
    tenant, app, secret, email = tenant_with_app(committed, Platform.WEB, redirect_uri)
    issuer = f"{live_server_url}/{tenant.domain_name}/v2.0"
    client = OAuth2Session(
        app.client_id,
        secret,
        scope="openid email profile",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, state = client.create_authorization_url(
        f"{live_server_url}/{tenant.domain_name}/oauth2/v2.0/authorize",
        code_verifier=verifier,
        nonce="n-0S6_WzA2Mj",
    )
    page.goto(url)
    sign_in_on_hosted_page(page, email, screenshot, "oidc-web-hosted-sign-in")
    page.wait_for_url(f"{redirect_uri}?*")
    query = dict(part.split("=", 1) for part in urlsplit(page.url).query.split("&"))
    assert query["state"] == state
    assert query["iss"] == quote(issuer, safe="")
    token = client.fetch_token(
        f"{live_server_url}/{tenant.domain_name}/oauth2/v2.0/token",
        authorization_response=page.url,
        code_verifier=verifier,
    )
    keys = JsonWebKey.import_key_set(
        client.get(f"{live_server_url}/{tenant.domain_name}/discovery/v2.0/keys").json()
    )
    claims = jwt.decode(token["id_token"], keys)
    claims.validate()
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["iss"] == issuer
    assert claims["aud"] == app.client_id
    assert claims["email"] == email
    assert page_errors == []


def test_single_page_app_signs_a_customer_in_with_pkce_and_cors(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    redirect_uri = f"{app_server}/index.html"
    tenant, app, _secret, email = tenant_with_app(committed, Platform.SPA, redirect_uri)
    base = f"{live_server_url}/{tenant.domain_name}"
    config = json.dumps(
        {
            "authorize": f"{base}/oauth2/v2.0/authorize",
            "token": f"{base}/oauth2/v2.0/token",
            "issuer": f"{base}/v2.0",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
        }
    )
    page.goto(f"{redirect_uri}#config={quote(config)}")
    sign_in_on_hosted_page(page, email, screenshot, "oidc-spa-hosted-sign-in")
    expect(page.locator("#status")).to_have_text(f"Signed in as {email}")
    expect(page.locator("#claims")).to_contain_text(app.client_id)
    screenshot(page, "oidc-spa-signed-in")
    assert page_errors == []
