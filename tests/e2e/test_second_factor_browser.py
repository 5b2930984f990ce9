"""The second factor in real Chromium against the real server (issue 12): an app asks for two
factors (`acr_values`); the customer sets up an authenticator app (its codes computed here from
the secret the page shows, as the app on a phone would) or a passkey (Chromium's virtual
authenticator, through the DevTools protocol), keeps the recovery codes, and signs in with it
again; the ID token says `amr` and `acr`. WebAuthn needs a secure context and a domain for its
relying party: the passkey test browses http://localhost.

A conditional access policy asks too: for one app, the emailed code (read from the live
server's mail); for every app, the authenticator app, for which a recovery code stands in."""

import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from playwright.sync_api import Page, expect

from accounts.models import User
from apps import services as app_services
from apps.models import AppRegistration, Platform
from protection.conditional_access import PolicySettings, conditional_access_policy_create
from protection.methods import authentication_methods_policy_update
from tenants import services as tenant_services
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.e2e.conftest import (
    CommittedData,
    Credentials,
    Screenshot,
    expect_hosted_page,
    open_own_tenant,
)
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.mail import latest_code, mail_files

pytestmark = pytest.mark.e2e

MFA = "urn:ciam:mfa"
SFA = "urn:ciam:sfa"


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def mfa_tenant(
    committed: CommittedData,
    redirect_uri: str,
    *,
    totp: bool,
    passkeys: bool,
    email: bool = False,
) -> tuple[Tenant, AppRegistration, str, str]:
    """A tenant offering these second factors, with a web app and a customer."""
    domain_name = committed.unique("e2e-mfa")
    committed.domain_names.append(domain_name)
    tenant = tenant_services.tenant_create(
        display_name="Second Factor Shop", domain_name=domain_name, country="NL", creator=None
    )
    with in_tenant(tenant):
        authentication_methods_policy_update(
            email_otp_enabled=email, totp_enabled=totp, passkeys_enabled=passkeys
        )
        app = app_services.app_register(
            name="Shop", platform=Platform.WEB, redirect_uris=[redirect_uri]
        )
        _s, secret = app_services.client_secret_add(app=app, description="e2e", lifetime_days=90)
    email = f"two-step-{uuid.uuid4().hex[:6]}@example.com"
    make_customer(tenant, email)
    return tenant, app, secret, email


class App:
    """The web app's side: its authorization request asking for two factors, and the ID token
    it gets for the code (verified with the tenant's keys)."""

    def __init__(
        self, base: str, tenant: Tenant, app: AppRegistration, secret: str, redirect_uri: str
    ) -> None:
        self.base = f"{base}/{tenant.domain_name}"
        self.client = OAuth2Session(
            app.client_id,
            secret,
            scope="openid",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )
        self.verifier = generate_token(48)

    def authorization_url(self, **extra: str) -> str:
        url, _state = self.client.create_authorization_url(
            f"{self.base}/oauth2/v2.0/authorize", code_verifier=self.verifier
        )
        return f"{url}&{urlencode(extra)}" if extra else url

    def id_token(self, callback_url: str) -> dict[str, object]:
        token = self.client.fetch_token(
            f"{self.base}/oauth2/v2.0/token",
            authorization_response=callback_url,
            code_verifier=self.verifier,
        )
        keys = JsonWebKey.import_key_set(self.client.get(f"{self.base}/discovery/v2.0/keys").json())
        claims = jwt.decode(token["id_token"], keys)
        claims.validate()
        return dict(claims)


def password(page: Page, email: str) -> None:
    expect_hosted_page(page, "Sign in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_authenticator_app_set_up_at_sign_in_then_asked_again(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    redirect_uri = f"{app_server}/callback"
    tenant, registration, secret, email = mfa_tenant(
        committed, redirect_uri, totp=True, passkeys=False
    )
    app = App(live_server_url, tenant, registration, secret, redirect_uri)
    page.goto(app.authorization_url(acr_values=MFA))
    password(page, email)

    expect_hosted_page(page, "Verify it's you")
    screenshot(page, "mfa-choose")
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect_hosted_page(page, "Set up an authenticator app")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    page.get_by_text("Can't scan it? Enter this key instead").click()
    shared = page.locator("code.second-factor-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", shared), shared
    screenshot(page, "mfa-totp-set-up")
    page.get_by_label("Code from your authenticator app").fill(totp_code(shared))
    page.get_by_role("button", name="Verify").click()

    expect_hosted_page(page, "Save your recovery codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "mfa-recovery-codes")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{redirect_uri}?*")
    claims = app.id_token(page.url)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == MFA

    # A new browser, and no app asking: the customer's app is asked all the same.
    context = page.context.browser.new_context(base_url=live_server_url)  # type: ignore[union-attr]
    try:
        again = context.new_page()
        later = App(live_server_url, tenant, registration, secret, redirect_uri)
        again.goto(later.authorization_url())
        password(again, email)
        expect_hosted_page(again, "Verify it's you")
        screenshot(again, "mfa-totp-sign-in")
        code_field = again.get_by_label("Code from your authenticator app or a recovery code")
        code_field.fill(codes[0])  # a recovery code stands in for the app
        again.get_by_role("button", name="Verify").click()
        again.wait_for_url(f"{redirect_uri}?*")
        claims = later.id_token(again.url)
        assert claims["amr"] == ["pwd", "otp", "mfa"]
    finally:
        context.close()
    assert page_errors == []


def test_a_passkey_through_chromiums_virtual_authenticator(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    redirect_uri = f"{app_server}/callback"
    tenant, registration, secret, email = mfa_tenant(
        committed, redirect_uri, totp=False, passkeys=True
    )
    localhost = live_server_url.replace("://127.0.0.1:", "://localhost:")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    app = App(localhost, tenant, registration, secret, redirect_uri)
    page.goto(app.authorization_url(acr_values=MFA))
    password(page, email)
    expect_hosted_page(page, "Verify it's you")
    page.get_by_role("link", name="Set up a passkey").click()
    expect_hosted_page(page, "Set up a passkey")
    screenshot(page, "mfa-passkey-set-up")
    page.get_by_role("button", name="Create passkey").click()
    expect_hosted_page(page, "Save your recovery codes")
    credentials = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
    )
    assert len(credentials["credentials"]) == 1
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{redirect_uri}?*")
    claims = app.id_token(page.url)
    assert claims["amr"] == ["pwd", "hwk", "mfa"]  # a single-device key: not backup-eligible
    assert claims["acr"] == MFA

    # Signed out, and back: the passkey is asked, and the virtual authenticator answers.
    page.goto(f"{localhost}/{tenant.domain_name}/account/logout/")
    page.get_by_role("button", name="Sign out").click()
    again = App(localhost, tenant, registration, secret, redirect_uri)
    page.goto(again.authorization_url())
    password(page, email)
    expect_hosted_page(page, "Verify it's you")
    screenshot(page, "mfa-passkey-sign-in")
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(f"{redirect_uri}?*")
    claims = again.id_token(page.url)
    assert claims["amr"] == ["pwd", "hwk", "mfa"]
    assert page_errors == []


def test_an_admin_turns_the_authenticator_app_on_the_customer_sets_one_up_the_admin_resets_it(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    live_server_url: str,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Two Step Toys", "e2e-mfa-admin")
    nav = page.get_by_role("navigation", name="Tenant")
    nav.get_by_role("link", name="Authentication methods").click()
    expect(page.get_by_role("heading", name="Authentication methods", level=1)).to_be_visible()
    expect(page.get_by_label("Email one-time passcode")).to_be_checked()
    page.get_by_label("Authenticator app (TOTP)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Authentication methods saved.")).to_be_visible()
    screenshot(page, "admin-authentication-methods")

    # The customer, signed in, sets up the app on their own (confirming it is them first).
    email = f"self-{uuid.uuid4().hex[:6]}@example.com"
    customer = make_customer(tenant, email)
    context = page.context.browser.new_context(base_url=live_server_url)  # type: ignore[union-attr]
    try:
        own = context.new_page()
        own.goto(f"/{tenant.domain_name}/account/login/")
        password(own, email)
        own.get_by_role("link", name="Two-step verification").click()
        expect_hosted_page(own, "Two-step verification")
        screenshot(own, "mfa-self-service")
        own.get_by_role("link", name="Set up").click()
        own.get_by_label("Password").fill(PASSWORD)  # allauth's re-authentication
        screenshot(own, "mfa-self-service-confirm")
        own.get_by_role("button", name="Confirm").click()
        expect_hosted_page(own, "Set up an authenticator app")
        own.get_by_text("Can't scan it? Enter this key instead").click()
        secret = own.locator("code.second-factor-secret").inner_text().strip()
        screenshot(own, "mfa-self-service-totp")
        own.get_by_label("Code from your authenticator app").fill(totp_code(secret))
        own.get_by_role("button", name="Verify").click()
        expect_hosted_page(own, "Recovery codes")
        expect(own.locator(".recovery-codes code")).to_have_count(10)
        screenshot(own, "mfa-self-service-recovery-codes")
        own.get_by_role("link", name="Done").click()
        expect(own.get_by_role("link", name="Remove")).to_be_visible()
    finally:
        context.close()

    # The admin sees it on the customer's page, and resets it.
    page.goto(f"/admin-center/tenants/{tenant.tenant_id}/customers/{customer.object_id}/")
    section = page.get_by_role("region", name="Multifactor authentication")
    expect(section).to_contain_text("Set up")
    expect(section).to_contain_text("10 left")
    screenshot(page, "admin-customer-mfa")
    section.get_by_role("button", name="Reset MFA").click()
    expect(page.get_by_text("second factors are removed")).to_be_visible()
    expect(page.get_by_role("button", name="Reset MFA")).to_have_count(0)
    with in_tenant(tenant):
        assert not Authenticator.objects.filter(user__email=email).exists()
    assert page_errors == []


def test_a_policy_for_one_app_asks_the_emailed_code_there_and_holds_at_single_sign_on(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    live_mail_dir: Path,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    """Entra's default second factor, the emailed code, asked by a policy for the shop only:
    the blog signs in with the password alone, and that session going on to the shop is asked
    to sign in again, with the code this time."""
    redirect_uri = f"{app_server}/callback"
    tenant, shop, shop_secret, email = mfa_tenant(
        committed, redirect_uri, totp=False, passkeys=False, email=True
    )
    with in_tenant(tenant):
        blog = app_services.app_register(
            name="Blog", platform=Platform.WEB, redirect_uris=[redirect_uri]
        )
        _s, blog_secret = app_services.client_secret_add(
            app=blog, description="e2e", lifetime_days=90
        )
        conditional_access_policy_create(
            settings=PolicySettings(
                name="MFA for the shop",
                state="on",
                grant="mfa",
                all_apps=False,
                client_ids=[shop.client_id],
            )
        )

    app = App(live_server_url, tenant, shop, shop_secret, redirect_uri)
    page.goto(app.authorization_url())
    sent_before = mail_files(live_mail_dir)
    password(page, email)
    expect_hosted_page(page, "Enter your verification code")
    expect(page.locator(".recipient")).to_have_text(email)
    screenshot(page, "ca-mfa-email-code")
    page.get_by_label("Code").fill("00000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    expect(page.get_by_label("Code")).to_have_accessible_description(
        re.compile("That code is not right")
    )
    screenshot(page, "ca-mfa-email-code-wrong")
    page.get_by_label("Code").fill(latest_code(live_mail_dir, email, sent_before))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{redirect_uri}?*")
    claims = app.id_token(page.url)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == MFA

    # Another browser: the blog asks nothing more of the password.
    context = page.context.browser.new_context(base_url=live_server_url)  # type: ignore[union-attr]
    try:
        other = context.new_page()
        blog_app = App(live_server_url, tenant, blog, blog_secret, redirect_uri)
        other.goto(blog_app.authorization_url())
        password(other, email)
        other.wait_for_url(f"{redirect_uri}?*")
        claims = blog_app.id_token(other.url)
        assert claims["amr"] == ["pwd"]
        assert claims["acr"] == SFA

        # Signed in at the blog, this browser goes on to the shop: its policy asks again.
        shop_app = App(live_server_url, tenant, shop, shop_secret, redirect_uri)
        other.goto(shop_app.authorization_url())
        expect_hosted_page(other, "Sign in")
        sent_before = mail_files(live_mail_dir)
        password(other, email)
        expect_hosted_page(other, "Enter your verification code")
        other.get_by_label("Code").fill(latest_code(live_mail_dir, email, sent_before))
        other.get_by_role("button", name="Verify").click()
        other.wait_for_url(f"{redirect_uri}?*")
        claims = shop_app.id_token(other.url)
        assert claims["amr"] == ["pwd", "otp", "mfa"]
        assert claims["acr"] == MFA
    finally:
        context.close()
    assert page_errors == []


def test_a_recovery_code_stands_in_for_the_authenticator_app_a_policy_asks_for(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    """A policy requires MFA of every app; the customer's authenticator app is not at hand: a
    recovery code signs in, once."""
    redirect_uri = f"{app_server}/callback"
    tenant, registration, secret, email = mfa_tenant(
        committed, redirect_uri, totp=True, passkeys=False
    )
    shared = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with in_tenant(tenant):
        conditional_access_policy_create(
            settings=PolicySettings(name="MFA for everyone", state="on", grant="mfa")
        )
        customer = User.objects.get(email=email)
        TOTP.activate(customer, shared)
        codes = RecoveryCodes.activate(customer).get_unused_codes()

    app = App(live_server_url, tenant, registration, secret, redirect_uri)
    page.goto(app.authorization_url())
    password(page, email)
    expect_hosted_page(page, "Verify it's you")
    code_field = page.get_by_label("Code from your authenticator app or a recovery code")
    code_field.fill(codes[0])
    screenshot(page, "ca-mfa-recovery-code")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{redirect_uri}?*")
    claims = app.id_token(page.url)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == MFA
    with in_tenant(tenant):
        left = RecoveryCodes(
            Authenticator.objects.get(user=customer, type=Authenticator.Type.RECOVERY_CODES)
        ).get_unused_codes()
    assert codes[0] not in left
    assert len(left) == len(codes) - 1

    # The same code, again: refused on the page; the authenticator app's code signs in.
    page.goto(f"/{tenant.domain_name}/account/logout/")
    page.get_by_role("button", name="Sign out").click()
    again = App(live_server_url, tenant, registration, secret, redirect_uri)
    page.goto(again.authorization_url())
    password(page, email)
    expect_hosted_page(page, "Verify it's you")
    code_field.fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("Incorrect code.")
    screenshot(page, "ca-mfa-recovery-code-spent")
    assert not page.url.startswith(redirect_uri)
    code_field.fill(totp_code(shared))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{redirect_uri}?*")
    claims = again.id_token(page.url)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == MFA
    assert page_errors == []
