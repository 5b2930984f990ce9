"""OnOtpSend in real Chromium against the real server (issue 14): an admin hands the tenant's
one-time codes to the company's own provider on the Authentication methods page; a customer
then signs up with the code that provider received (a service on loopback that checks our
bearer token against the tenant's published JWKS), and the live server emails nothing. With the
provider down, the next sign-up stops on the branded "We couldn't send your code" page."""

import re
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from tenants.schemas import in_tenant
from tests.e2e.conftest import (
    CommittedData,
    Credentials,
    Screenshot,
    expect_hosted_page,
    open_own_tenant,
)
from tests.e2e.test_hosted_pages_browser import browser_app, finish, start
from tests.factories.flows import make_flow_world
from tests.factories.mail import mail_files
from tests.factories.otp_service import OtpService, otp_extension

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "A-Fresh-Passphrase-77"


def test_a_sign_up_in_chromium_with_the_code_the_companys_provider_received(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    otp_service: OtpService,
    app_server: str,
    live_server_url: str,
    live_mail_dir: Path,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Contoso Coffee", "e2e-otp-send")
    with in_tenant(tenant):
        otp_extension(otp_service)
    # The service knows the tenant only by what it publishes, as a real one would.
    discovery = requests.get(
        f"{live_server_url}/{tenant.domain_name}/v2.0/.well-known/openid-configuration",
        timeout=5,
    ).json()
    otp_service.issuer = discovery["issuer"]
    # Fetched once and kept, as a real service caches the JWKS (fetching it while the server
    # waits for the answer would hold one of its workers on another).
    jwks = requests.get(discovery["jwks_uri"], timeout=5).json()
    otp_service.keys = lambda: jwks

    nav = page.get_by_role("navigation", name="Tenant")
    nav.get_by_role("link", name="Authentication methods").click()
    section = page.locator("#otp-send")
    expect(section.get_by_text("Codes are sent by our email.")).to_be_visible()
    expect(section.get_by_label("Custom authentication extension")).to_have_value(
        re.compile(r"^[0-9a-f-]{36}$")
    )
    expect(
        section.get_by_role("radio", name=re.compile("^Stop: the customer is told"))
    ).to_be_checked()
    section.get_by_role("button", name="Send codes with this extension").click()
    expect(page.get_by_text("Codes are sent by “Our email provider”.")).to_be_visible()
    expect(section.get_by_text("Codes are sent by Our email provider.")).to_be_visible()
    section.scroll_into_view_if_needed()
    screenshot(page, "admin-otp-send")

    world = make_flow_world(tenant)
    app, secret = browser_app(tenant, world.flow, app_server)
    redirect = f"{app_server}/callback"
    customer = page.context.browser.new_page(base_url=live_server_url)  # type: ignore[union-attr]
    address = f"brewer-{uuid.uuid4().hex[:6]}@example.com"
    sent_before = mail_files(live_mail_dir)
    client, verifier = start(customer, live_server_url, tenant, app, secret, redirect)
    customer.get_by_role("link", name="Create one").click()
    customer.get_by_label("Email address").fill(address)
    customer.get_by_role("button", name="Continue").click()
    expect_hosted_page(customer, "Verify your email address")
    (call,) = otp_service.received
    assert call["token_valid"], otp_service.token_error
    context = call["body"]["data"]["authenticationContext"]
    assert context["requestType"] == "signUp"
    assert context["clientServicePrincipal"]["appId"] == app.client_id
    customer.get_by_label("Code").fill(otp_service.last_code(address))
    customer.get_by_role("button", name="Verify").click()
    expect(customer.get_by_role("heading", name="Finish signing up")).to_be_visible()
    customer.get_by_label(re.compile(r"^Password")).fill(NEW_PASSWORD)
    customer.get_by_label("Confirm password").fill(NEW_PASSWORD)
    customer.get_by_label("First name").fill("Juan")
    customer.get_by_label("Silver").check()
    customer.get_by_role("button", name="Continue").click()
    claims = finish(customer, live_server_url, tenant, client, verifier, redirect)
    assert claims["sub"]
    # Nothing went out by our email: the company's provider sent the code.
    assert mail_files(live_mail_dir) == sent_before
    customer.close()

    otp_service.fault = "500"
    stopped = page.context.browser.new_page(base_url=live_server_url)  # type: ignore[union-attr]
    start(stopped, live_server_url, tenant, app, secret, redirect)
    stopped.get_by_role("link", name="Create one").click()
    stopped.get_by_label("Email address").fill(f"later-{uuid.uuid4().hex[:6]}@example.com")
    stopped.get_by_role("button", name="Continue").click()
    expect_hosted_page(stopped, "We couldn't send your code")
    screenshot(stopped, "hosted-code-not-sent")
    assert mail_files(live_mail_dir) == sent_before
    stopped.close()
    assert page_errors == []
