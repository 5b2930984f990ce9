"""Customers in real Chromium: sign-up through a flow with every input type (the code read from
the real email), sign-in by one-time passcode, password reset by code, a blocked customer, and a
sign-in by keyboard alone."""

import re
from pathlib import Path

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from playwright.sync_api import Page, expect

from accounts.models import Directory, User
from apps import services as app_services
from apps.models import AppRegistration, Platform
from tenants import services as tenant_services
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Screenshot, expect_hosted_page
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import make_flow_world
from tests.factories.mail import latest_code, mail_files
from userflows.models import SignInMethod, UserFlow
from userflows.services import flow_apps_assign

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "A-Fresh-Passphrase-77"


def make_tenant(committed: CommittedData, prefix: str) -> Tenant:
    domain_name = committed.unique(prefix)
    committed.domain_names.append(domain_name)
    return tenant_services.tenant_create(
        display_name="Woodgrove Groceries", domain_name=domain_name, country="US", creator=None
    )


def browser_app(tenant: Tenant, flow: UserFlow, app_server: str) -> tuple[AppRegistration, str]:
    with in_tenant(tenant):
        app = app_services.app_register(
            name="Grocery app", platform=Platform.WEB, redirect_uris=[f"{app_server}/callback"]
        )
        _s, secret = app_services.client_secret_add(app=app, description="e2e", lifetime_days=90)
        flow_apps_assign(flow=flow, apps=[app])
    return app, secret


def start(
    page: Page, base: str, tenant: Tenant, app: AppRegistration, secret: str, redirect: str
) -> tuple[OAuth2Session, str]:
    client = OAuth2Session(
        app.client_id, secret, scope="openid", redirect_uri=redirect, code_challenge_method="S256"
    )
    verifier = generate_token(48)
    url, _state = client.create_authorization_url(
        f"{base}/{tenant.domain_name}/oauth2/v2.0/authorize",
        code_verifier=verifier,
        nonce="nonce-123",
    )
    page.goto(url)
    return client, verifier


def finish(
    page: Page, base: str, tenant: Tenant, client: OAuth2Session, verifier: str, redirect: str
) -> dict[str, object]:
    page.wait_for_url(f"{redirect}?*")
    token = client.fetch_token(
        f"{base}/{tenant.domain_name}/oauth2/v2.0/token",
        authorization_response=page.url,
        code_verifier=verifier,
    )
    keys = JsonWebKey.import_key_set(
        client.get(f"{base}/{tenant.domain_name}/discovery/v2.0/keys").json()
    )
    claims = jwt.decode(token["id_token"], keys)
    claims.validate()
    return dict(claims)


def test_sign_up_with_every_input_type_and_the_emailed_code(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    live_mail_dir: Path,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = make_tenant(committed, "e2e-signup")
    world = make_flow_world(tenant)
    app, secret = browser_app(tenant, world.flow, app_server)
    with in_tenant(tenant):
        app_services.app_claims_set(
            app=app,
            entries=[
                ("given_name", True, False),
                ("surname", True, False),
                ("LoyaltyNumber", True, False),
                ("Tier", True, False),
                ("Interests", True, False),
                ("Newsletter", True, False),
                ("Age", True, False),
            ],
        )
        extension = Directory.objects.get_or_create(singleton=True)[0].extensions_app_id.hex
    redirect = f"{app_server}/callback"
    client, verifier = start(page, live_server_url, tenant, app, secret, redirect)
    expect_hosted_page(page, "Sign in")
    screenshot(page, "hosted-sign-in")  # answered by the authorization request
    page.get_by_role("link", name="Create one").click()
    expect_hosted_page(page, "Create your account")
    screenshot(page, "hosted-sign-up-email")
    page.get_by_role("button", name="Continue").click()  # no address yet
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "hosted-sign-up-email-error")
    sent_before = mail_files(live_mail_dir)
    page.get_by_label("Email address").fill("shopper@example.com")
    page.get_by_role("button", name="Continue").click()
    expect_hosted_page(page, "Verify your email address")
    expect(page.get_by_text("Enter the code we sent to shopper@example.com")).to_be_visible()
    screenshot(page, "hosted-sign-up-code")
    page.get_by_label("Code").fill("WRONG-CODE")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert").filter(has_text="Incorrect code.")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_accessible_description("Incorrect code.")
    screenshot(page, "hosted-sign-up-code-error")
    page.get_by_label("Code").fill(latest_code(live_mail_dir, "shopper@example.com", sent_before))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Finish signing up")).to_be_visible()
    page.get_by_label(re.compile(r"^Password")).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("Surname").fill("Parks")
    page.get_by_label("LoyaltyNumber").fill("L-1955")
    page.get_by_label("Hiking").check()
    page.get_by_label("Books").check()
    page.get_by_label("Send me news").check()
    page.get_by_label("Age").fill("42")
    page.get_by_role("button", name="Continue").click()  # the required Tier is not chosen
    expect(page.get_by_role("alert").filter(has_text="This field is required.")).to_be_visible()
    screenshot(page, "hosted-sign-up-attributes-error")
    page.get_by_label(re.compile(r"^Password")).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_label("Silver").check()
    page.get_by_role("button", name="Continue").click()
    claims = finish(page, live_server_url, tenant, client, verifier, redirect)
    assert claims["nonce"] == "nonce-123"
    expected = {
        "given_name": "Rosa",
        "family_name": "Parks",
        f"extension_{extension}_LoyaltyNumber": "L-1955",
        f"extension_{extension}_Tier": "silver",
        f"extension_{extension}_Interests": "hiking,books",
        f"extension_{extension}_Newsletter": True,
        f"extension_{extension}_Age": 42,
    }
    for name, value in expected.items():
        assert claims[name] == value, name
    configured = {
        name
        for name in claims
        if name.startswith("extension_") or name in {"given_name", "family_name", "city"}
    }
    assert configured == set(expected)
    assert page_errors == []


def test_sign_in_by_one_time_passcode_and_blocked_customers(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    live_mail_dir: Path,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = make_tenant(committed, "e2e-otp")
    with in_tenant(tenant):
        flow = UserFlow.objects.create(name="Passwordless", sign_in_method=SignInMethod.EMAIL_OTP)
    app, secret = browser_app(tenant, flow, app_server)
    make_customer(tenant, "otp@example.com")
    redirect = f"{app_server}/callback"
    client, verifier = start(page, live_server_url, tenant, app, secret, redirect)
    expect_hosted_page(page, "Sign in")
    expect(page.get_by_label("Password")).to_have_count(0)
    screenshot(page, "hosted-otp-request")
    sent_before = mail_files(live_mail_dir)
    page.get_by_label("Email address").fill("otp@example.com")
    page.get_by_role("button", name="Send code").click()
    expect_hosted_page(page, "Check your email")
    screenshot(page, "hosted-otp-code")
    page.get_by_label("Code").fill(latest_code(live_mail_dir, "otp@example.com", sent_before))
    page.get_by_role("button", name="Sign in").click()
    claims = finish(page, live_server_url, tenant, client, verifier, redirect)
    with in_tenant(tenant):
        user = User.objects.get(email="otp@example.com")
    assert claims["oid"] == str(user.object_id)

    # A blocked customer cannot sign in, by code or otherwise.
    with in_tenant(tenant):
        User.objects.filter(pk=user.pk).update(is_active=False)
    page.context.clear_cookies()
    start(page, live_server_url, tenant, app, secret, redirect)
    sent_before = mail_files(live_mail_dir)
    page.get_by_label("Email address").fill("otp@example.com")
    page.get_by_role("button", name="Send code").click()
    expect_hosted_page(page, "Check your email")  # the same page as for anyone (no enumeration)
    page.wait_for_timeout(1500)
    with pytest.raises(AssertionError):
        latest_code(live_mail_dir, "otp@example.com", sent_before, seconds=2)
    assert not page.url.startswith(redirect)
    screenshot(page, "hosted-blocked")
    # Cancel abandons the attempt and starts the app's sign-in again, in its flow (by code).
    page.get_by_role("button", name="Cancel").click()
    expect_hosted_page(page, "Sign in")
    expect(page.get_by_role("button", name="Send code")).to_be_visible()
    assert page_errors == []


def test_password_reset_by_code(
    page: Page,
    committed: CommittedData,
    live_server_url: str,
    live_mail_dir: Path,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = make_tenant(committed, "e2e-reset")
    make_customer(tenant, "forgetful@example.com")
    # Without an app whose flow allows it, there is no sign-up.
    page.goto(f"/{tenant.domain_name}/account/signup/")
    expect_hosted_page(page, "Sign-up is closed")
    screenshot(page, "hosted-sign-up-closed")
    # An authorization request the tenant cannot serve is explained on a page of its own.
    page.goto(
        f"/{tenant.domain_name}/oauth2/v2.0/authorize?client_id=no-such-app&response_type=code"
        "&scope=openid&redirect_uri=https://evil.example/cb"
    )
    expect_hosted_page(page, "We can't sign you in to this app")
    screenshot(page, "hosted-authorize-error")
    page.goto(f"/{tenant.domain_name}/account/login/")
    page.get_by_role("link", name="Forgot password?").click()
    expect_hosted_page(page, "Reset your password")
    screenshot(page, "hosted-reset-request")
    sent_before = mail_files(live_mail_dir)
    page.get_by_label("Email address").fill("forgetful@example.com")
    page.get_by_role("button", name="Send code").click()
    expect_hosted_page(page, "Check your email")
    screenshot(page, "hosted-reset-code")
    page.get_by_label("Code").fill(latest_code(live_mail_dir, "forgetful@example.com", sent_before))
    page.get_by_role("button", name="Continue").click()
    expect_hosted_page(page, "Choose a new password")
    screenshot(page, "hosted-reset-new-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill("Not-The-Same-Passphrase-1")
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_label("Confirm new password")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "hosted-reset-new-password-error")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Reset password").click()
    expect_hosted_page(page, "Your password has been reset")
    screenshot(page, "hosted-reset-done")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("forgetful@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signed-in-email")).to_have_text("forgetful@example.com")
    screenshot(page, "hosted-signed-in")
    assert page_errors == []


def focused(page: Page) -> dict[str, object]:
    """The focused element's name and whether its focus can be seen (an outline or a ring)."""
    found: dict[str, object] = page.evaluate(
        """() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
            return {
                name: element.name || element.textContent.trim(),
                visible: outline || style.boxShadow !== "none",
            };
        }"""
    )
    return found


def test_a_customer_signs_in_with_the_keyboard_alone(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    page_errors: list[str],
) -> None:
    """From the top of the sign-in page, Tab reaches the email field first, every stop shows
    where the focus is, and Enter signs in: back at the app with tokens."""
    tenant = make_tenant(committed, "e2e-keys")
    world = make_flow_world(tenant)
    app, secret = browser_app(tenant, world.flow, app_server)
    make_customer(tenant, "keys@example.com")
    redirect = f"{app_server}/callback"
    client, verifier = start(page, live_server_url, tenant, app, secret, redirect)
    expect_hosted_page(page, "Sign in")
    stops: list[object] = []
    while "Create one" not in stops and len(stops) < 10:  # the page's last stop
        page.keyboard.press("Tab")
        stop = focused(page)
        assert stop["visible"], f"no visible focus on {stop['name']}"
        stops.append(stop["name"])
    assert stops == ["login", "password", "Forgot password?", "remember", "Sign in", "Create one"]
    while focused(page)["name"] != "login":  # back to the form's start, by keyboard too
        page.keyboard.press("Shift+Tab")
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    claims = finish(page, live_server_url, tenant, client, verifier, redirect)
    with in_tenant(tenant):
        assert claims["oid"] == str(User.objects.get(email="keys@example.com").object_id)
    assert page_errors == []
