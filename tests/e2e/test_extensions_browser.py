"""Custom authentication extensions in the admin center, in real Chromium (issue 14): an admin
registers an extension pointing at a service this test runs on loopback, sends it a test
event, opens the call (the request as sent, the answer) and replays it."""

import re

import pytest
from playwright.sync_api import Page, expect

from apps.models import Platform
from apps.services import app_register
from extensions.tokens import CALLER_APP_ID
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant
from tests.extensions.test_client import Service, service  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


def test_admin_registers_an_extension_tests_it_and_replays_a_call(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    service: Service,  # noqa: F811
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Contoso Loyalty", "e2e-ext")
    with in_tenant(tenant):
        api = app_register(name="Loyalty claims API", platform=Platform.DAEMON)

    page.get_by_role("navigation", name="Tenant").get_by_role(
        "link", name="Custom authentication extensions"
    ).click()
    expect(page.get_by_text("None yet.")).to_be_visible()
    page.get_by_role("link", name="Register an extension").click()
    expect(page.get_by_role("heading", name="Register an extension")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Loyalty claims")
    page.get_by_label("Description").fill("Adds the loyalty tier to tokens")
    page.get_by_label("OnTokenIssuanceStart").check()
    page.get_by_label("Target URL").fill(service.url)
    page.get_by_label("Timeout (milliseconds)").fill("1500")
    page.get_by_label("None", exact=True).check()
    page.get_by_label("API app registration").select_option(
        label=f"Loyalty claims API ({api.client_id})"
    )
    expect(page.locator("#token-azp")).to_have_text(CALLER_APP_ID)
    screenshot(page, "admin-extension-register")
    page.get_by_role("button", name="Register").click()

    # The console: no calls yet; send the sample event.
    expect(page.get_by_role("heading", name="Loyalty claims", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Extension registered")
    expect(page.get_by_text("No calls yet.")).to_be_visible()
    page.get_by_role("button", name="Send a test event").click()

    # The call: answered, the request as sent, the answer.
    expect(page.get_by_role("heading", name=re.compile("Call at"))).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("provideClaimsForToken")
    expect(page.get_by_role("region", name="Request as sent")).to_contain_text(
        "microsoft.graph.authenticationEvent.tokenIssuanceStart"
    )
    expect(page.get_by_role("region", name="Response")).to_contain_text("loyaltyTier")
    screenshot(page, "admin-extension-call")
    assert len(service.received) == 1
    page.get_by_role("button", name="Replay this call").click()
    expect(page.get_by_role("region", name="Outcome")).to_contain_text("Replay")
    assert len(service.received) == 2
    assert service.received[1]["body"] == service.received[0]["body"]

    page.get_by_role("link", name="Loyalty claims").click()
    calls = page.get_by_role("table", name="Recent calls")
    expect(calls.get_by_role("row")).to_have_count(3)
    expect(calls).to_contain_text("Replay")
    expect(calls).to_contain_text("Test")
    screenshot(page, "admin-extension-console")
    assert page_errors == []
