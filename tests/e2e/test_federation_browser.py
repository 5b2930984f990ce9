"""Issue 11 end to end, in real Chromium against the real server, no mocks: a customer of
fabrikam clicks "Continue with Contoso", signs up at contoso (another tenant of this product)
with the emailed code, comes back, completes fabrikam's attribute page, and fabrikam's app
gets an ID token whose `idp` is contoso's issuer; signing in again skips the attribute page.
The linked identity then shows on the customer's page in fabrikam's admin center, and, once
the flow lets its customers manage theirs, on the customer's own page, where they remove it."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import Page, expect

from accounts.models import User
from apps import services as app_services
from apps.models import Platform
from ciam_portal.run import web_server_argv
from federation.services import identity_provider_create
from tenants.models import AdminRole, RoleAssignment
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, expect_hosted_page
from tests.e2e.test_hosted_pages_browser import browser_app, finish, make_tenant, start
from tests.factories import live_server
from tests.factories.flows import make_flow_world
from tests.factories.mail import latest_code, mail_files
from userflows.models import SignInMethod
from userflows.services import flow_apps_assign, userflow_create

pytestmark = pytest.mark.e2e
CONTOSO_PASSWORD = "Contoso-Passphrase-31"


@pytest.fixture
def federating_server_url(
    django_db_setup: None, live_mail_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The live server, but whose workers each serve several requests at once: here fabrikam's
    callback calls contoso's token and userinfo endpoints on the very same server, and with one
    Python thread per worker that call can land on the worker that is waiting for it and time
    out (`web_server_argv`'s threads; `make run` serves with 4)."""

    def threaded(host: str, port: str | int, workers: int) -> list[str]:
        return web_server_argv(host, port, workers, threads=4)

    monkeypatch.setattr(live_server, "web_server_argv", threaded)
    yield from live_server._serve(live_mail_dir)


def test_a_fabrikam_customer_signs_up_through_contoso(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    app_server: str,
    federating_server_url: str,
    live_mail_dir: Path,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    live_server_url = federating_server_url
    fabrikam = make_tenant(committed, "fabrikam")
    contoso = make_tenant(committed, "contoso")
    world = make_flow_world(fabrikam)
    app, secret = browser_app(fabrikam, world.flow, app_server)
    callback = f"{live_server_url}/{fabrikam.domain_name}/account/oidc/contoso/login/callback/"
    with in_tenant(contoso):
        federation_app = app_services.app_register(
            name="Fabrikam", platform=Platform.WEB, redirect_uris=[callback]
        )
        _s, federation_secret = app_services.client_secret_add(
            app=federation_app, description="fabrikam", lifetime_days=90
        )
        contoso_flow = userflow_create(
            name="Contoso sign-up",
            sign_in_method=SignInMethod.EMAIL_PASSWORD,
            builtin_attributes=["display_name"],
        )
        flow_apps_assign(flow=contoso_flow, apps=[federation_app])
    # The server's issuers (its CIAM_BASE_URL is the live server's address).
    contoso_issuer = f"{live_server_url}/{contoso.domain_name}/v2.0"
    with in_tenant(fabrikam):
        # fabrikam's app wants the display name (contoso's `name`, mapped) in its ID token.
        app_services.app_claims_set(app=app, entries=[("display_name", True, False)])
        # The discovery document is fetched from the running server, as an admin's save does.
        provider = identity_provider_create(
            kind="openid_connect",
            display_name="Contoso",
            slug="contoso",
            client_id=federation_app.client_id,
            secret=federation_secret,
            well_known_url=f"{contoso_issuer}/.well-known/openid-configuration",
            scopes=["openid", "profile", "email"],
            claims_mapping={"sub": "sub", "display_name": "name"},
            trusted_for_email=True,
        )
        world.flow.identity_providers.add(provider)
    redirect = f"{app_server}/callback"
    at_contoso = re.compile(re.escape(f"{live_server_url}/{contoso.domain_name}/"))

    client, verifier = start(page, live_server_url, fabrikam, app, secret, redirect)
    expect_hosted_page(page, "Sign in")
    screenshot(page, "federation-sign-in-with-contoso-button")
    page.get_by_role("button", name="Continue with Contoso").click()
    expect(page).to_have_url(at_contoso)
    expect_hosted_page(page, "Sign in")  # contoso's own sign-in page
    page.get_by_role("link", name="Create one").click()
    expect_hosted_page(page, "Create your account")
    sent_before = mail_files(live_mail_dir)
    page.get_by_label("Email address").fill("mia@contoso.example")
    page.get_by_role("button", name="Continue").click()
    expect_hosted_page(page, "Verify your email address")
    page.get_by_label("Code").fill(latest_code(live_mail_dir, "mia@contoso.example", sent_before))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Finish signing up")).to_be_visible()
    page.get_by_label(re.compile(r"^Password")).fill(CONTOSO_PASSWORD)
    page.get_by_label("Confirm password").fill(CONTOSO_PASSWORD)
    page.get_by_label("Display Name").fill("Mia Wong")
    page.get_by_role("button", name="Continue").click()

    # Back at fabrikam: its flow requires a first name and a tier, which contoso did not send.
    expect(page).to_have_url(f"{live_server_url}/{fabrikam.domain_name}/account/complete/")
    expect(page.get_by_role("heading", name="Finish signing up")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^Password"))).to_have_count(0)
    screenshot(page, "federation-fabrikam-attributes")
    page.get_by_label("First name").fill("Mia")
    page.get_by_label("Gold").check()
    page.get_by_role("button", name="Continue").click()
    claims = finish(page, live_server_url, fabrikam, client, verifier, redirect)
    assert claims["idp"] == contoso_issuer
    assert claims["iss"] == f"{live_server_url}/{fabrikam.domain_name}/v2.0"
    assert claims["name"] == "Mia Wong"  # contoso's `name`, through fabrikam's mapping
    with in_tenant(fabrikam):
        customer = User.objects.get(email="mia@contoso.example")
        assert customer.display_name == "Mia Wong"  # contoso's `name`, mapped
        assert customer.given_name == "Mia"

    # Again, in a browser that remembers nothing: contoso's password, then straight to the app.
    page.context.clear_cookies()
    client, verifier = start(page, live_server_url, fabrikam, app, secret, redirect)
    page.get_by_role("button", name="Continue with Contoso").click()
    expect(page).to_have_url(at_contoso)
    page.get_by_label("Email address").fill("mia@contoso.example")
    page.get_by_label("Password").fill(CONTOSO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    again = finish(page, live_server_url, fabrikam, client, verifier, redirect)
    assert again["idp"] == contoso_issuer
    assert again["sub"] == claims["sub"]

    # Fabrikam's admin finds the linked identity on the customer's page.
    RoleAssignment.objects.create(
        tenant=fabrikam,
        operator=User.objects.get(email=operator.email),
        role=AdminRole.USER_ADMINISTRATOR,
    )
    with in_tenant(fabrikam):
        subject = SocialAccount.objects.get(user=customer).uid
    page.goto(f"{live_server_url}/admin-center/sign-in/")
    page.get_by_label("Email address").fill(operator.email)
    page.get_by_label("Password").fill(operator.password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(
        f"{live_server_url}/admin-center/tenants/{fabrikam.tenant_id}/customers/"
        f"{customer.object_id}/"
    )
    identities = page.get_by_role("region", name="Linked identities")
    row = identities.get_by_role("row").filter(has_text="Contoso")
    expect(row.get_by_role("cell").nth(0)).to_have_text("Contoso")
    expect(row.get_by_role("cell").nth(1)).to_have_text(subject)
    expect(row.get_by_role("link", name=f"Remove Contoso {subject}")).to_be_visible()
    identities.scroll_into_view_if_needed()
    screenshot(page, "federation-admin-customer-linked-identity")

    # The flow lets its customers manage theirs: the customer, still signed in at fabrikam,
    # opens the page the app links to, in the app's branding, and removes the identity.
    with in_tenant(fabrikam):
        world.flow.identities_self_service = True
        world.flow.save(update_fields=["identities_self_service"])
    own_page = f"{live_server_url}/{fabrikam.domain_name}/account/identities/?client_id="
    page.goto(own_page + app.client_id)
    expect_hosted_page(page, "Linked accounts")
    linked = page.get_by_role("list", name="Linked accounts").get_by_role("listitem")
    expect(linked).to_have_count(1)
    expect(linked).to_contain_text("Contoso")
    expect(page.get_by_role("link", name="Back to Grocery app")).to_have_attribute("href", redirect)
    screenshot(page, "federation-own-linked-accounts")
    linked.get_by_role("link", name="Remove Contoso").click()
    expect_hosted_page(page, "Remove your Contoso account?")
    screenshot(page, "federation-own-linked-account-remove")
    page.get_by_role("button", name="Remove").click()
    expect_hosted_page(page, "Linked accounts")
    expect(page.get_by_role("status")).to_contain_text("Your Contoso account is no longer linked.")
    expect(page.get_by_role("list", name="Linked accounts")).to_have_count(0)
    with in_tenant(fabrikam):
        assert not SocialAccount.objects.filter(user=customer).exists()
    assert page_errors == []
