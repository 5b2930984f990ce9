"""An app with a web and a single-page platform, in real Chromium (issue 15): the admin adds
the SPA platform on the Authentication page; the customer signs in through the SPA redirect URI
(PKCE, no secret, the token by a cross-origin fetch) and through the web one (with the secret)."""

import json
import re
import shutil
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import Page, expect

from apps.models import Grant
from tenants.schemas import in_tenant
from tests.e2e.conftest import (
    CommittedData,
    Credentials,
    Screenshot,
    expect_hosted_page,
    open_own_tenant,
)
from tests.factories.accounts import PASSWORD, make_customer

pytestmark = pytest.mark.e2e

SHOTS = Path("/work/shots/platforms")


def keep(path: Path) -> None:
    """A copy of the screenshot where the brief's reviewer looks at it."""
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SHOTS / path.name)


def sign_in(page: Page, email: str) -> None:
    expect_hosted_page(page, "Sign in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_app_with_web_and_spa_platforms_signs_in_through_each(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    app_server: str,
    live_server_url: str,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    web_uri, spa_uri = f"{app_server}/callback", f"{app_server}/index.html"
    tenant = open_own_tenant(page, committed, operator, "Hybrid Apps", "e2e-platforms")
    email = f"shopper-{uuid.uuid4().hex[:6]}@example.com"
    make_customer(tenant, email)

    page.get_by_role("link", name="App registrations").click()
    page.get_by_role("link", name="New registration").click()
    page.get_by_label("Name").fill("Hybrid")
    page.get_by_label("Web", exact=True).check()
    page.get_by_label("Redirect URI (optional)").fill(web_uri)
    page.get_by_role("button", name="Register").click()
    client_id = page.locator("#client-id").inner_text()

    page.get_by_role("link", name="Authentication", exact=True).click()
    add = page.locator("section", has=page.get_by_role("heading", name="Add a platform"))
    add.get_by_label("Single-page application").check()
    add.get_by_label("Redirect URIs").fill(spa_uri)
    add.get_by_role("button", name="Add platform").click()
    expect(page.get_by_role("status")).to_contain_text("Single-page application platform added")
    spa = page.locator("section", has=page.get_by_role("heading", name="Single-page application"))
    expect(spa.locator("code")).to_have_text(spa_uri)
    web = page.locator("section", has=page.get_by_role("heading", name="Web", exact=True))
    expect(web.locator("code")).to_have_text(web_uri)
    keep(screenshot(page, "platforms-authentication"))

    page.get_by_role("link", name="Certificates & secrets").click()
    page.locator("#id_secret_description").fill("e2e")
    page.get_by_role("button", name="Add", exact=True).click()
    secret = page.locator("#secret-value").inner_text()

    # Through the SPA redirect URI: PKCE, no secret, the token fetched cross-origin.
    base = f"{live_server_url}/{tenant.domain_name}"
    config = {
        "authorize": f"{base}/oauth2/v2.0/authorize",
        "token": f"{base}/oauth2/v2.0/token",
        "issuer": f"{base}/v2.0",
        "client_id": client_id,
        "redirect_uri": spa_uri,
    }
    page.goto(f"{spa_uri}#config={quote(json.dumps(config))}")
    sign_in(page, email)
    expect(page.locator("#status")).to_have_text(f"Signed in as {email}")
    expect(page.locator("#claims")).to_contain_text(client_id)
    keep(screenshot(page, "platforms-spa-signed-in"))

    # Through the web redirect URI: the code needs the client secret.
    client = OAuth2Session(
        client_id, secret, scope="openid email", redirect_uri=web_uri, code_challenge_method="S256"
    )
    verifier = generate_token(48)
    url, _state = client.create_authorization_url(
        config["authorize"], code_verifier=verifier, prompt="login"
    )
    page.goto(url)
    expect_hosted_page(page, "Sign in")
    keep(screenshot(page, "platforms-web-sign-in"))
    sign_in(page, email)
    page.wait_for_url(f"{web_uri}?*")
    code = re.search(r"[?&]code=([^&]+)", page.url)
    assert code is not None
    redemption = {
        "grant_type": "authorization_code",
        "code": code.group(1),
        "redirect_uri": web_uri,
        "code_verifier": verifier,
    }
    without_secret = requests.post(
        config["token"], data={**redemption, "client_id": client_id}, timeout=10
    )
    assert without_secret.status_code == 401
    with_secret = requests.post(
        config["token"], data=redemption, auth=(client_id, secret), timeout=10
    )
    assert with_secret.status_code == 200, with_secret.text
    assert "id_token" in with_secret.json()
    with in_tenant(tenant):
        assert set(Grant.objects.values_list("platform", flat=True)) == {"spa", "web"}
    assert page_errors == []
