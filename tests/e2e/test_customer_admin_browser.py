"""User flows, custom attributes and customers in the admin center, in real Chromium; the
customer an admin created changes the temporary password and, once blocked, cannot sign in."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    CommittedData,
    Credentials,
    Screenshot,
    expect_hosted_page,
    open_own_tenant,
)

pytestmark = pytest.mark.e2e


def test_admin_designs_a_flow_and_manages_a_customer(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Tailspin Toys", "e2e-flows")

    nav = page.get_by_role("navigation", name="Tenant")
    nav.get_by_role("link", name="Custom user attributes").click()
    expect(page.get_by_text("No custom attributes yet.")).to_be_visible()
    page.get_by_role("link", name="Add a custom attribute").click()
    expect(page.get_by_role("heading", name="Add a custom attribute")).to_be_visible()
    page.get_by_label("Name").fill("LoyaltyTier")
    page.get_by_label("Data type").select_option("string")
    page.get_by_label("Description").fill("Gold or silver member")
    screenshot(page, "admin-custom-attribute-add")
    page.get_by_role("button", name="Add", exact=True).click()
    row = page.get_by_role("row").filter(has_text="LoyaltyTier")
    expect(row).to_contain_text("String")
    expect(row).to_contain_text("Gold or silver member")
    expect(row).to_contain_text("extension_")
    expect(page.locator("main input")).to_have_count(0)  # read-only rows
    screenshot(page, "admin-custom-attributes")
    page.get_by_role("link", name="Edit LoyaltyTier").click()
    expect(page.get_by_role("heading", name="Edit LoyaltyTier")).to_be_visible()
    screenshot(page, "admin-custom-attribute-edit")
    page.get_by_role("link", name="Cancel").click()

    nav.get_by_role("link", name="User flows").click()
    page.get_by_label("Name", exact=True).fill("Shop sign-up")
    page.get_by_label("Given Name").check()
    page.get_by_label("LoyaltyTier (String)").check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Shop sign-up")).to_be_visible()
    sections = page.get_by_role("navigation", name="User flow sections")
    expect(sections.get_by_role("link", name="Properties")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("button", name="Save")).to_have_count(1)
    screenshot(page, "admin-user-flow-properties")

    sections.get_by_role("link", name="Identity providers").click()
    expect(page.get_by_role("heading", name="Social and OpenID Connect providers")).to_be_visible()
    page.get_by_label("Email one-time passcode").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Identity providers saved.")
    expect(page.get_by_label("Email one-time passcode")).to_be_checked()
    screenshot(page, "admin-user-flow-identity-providers")

    sections.get_by_role("link", name="User attributes").click()
    page.get_by_label("Collect Surname").check()
    page.get_by_label("Surname required").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("User attributes saved.")
    expect(page.get_by_label("Surname required")).to_be_checked()
    screenshot(page, "admin-user-flow-user-attributes")

    sections.get_by_role("link", name="Page layouts").click()
    page.get_by_role("button", name="Move LoyaltyTier to the top").click()
    rows = page.locator(".layout-row")
    expect(rows.first).to_contain_text("LoyaltyTier")
    tier = page.get_by_role("group", name=re.compile(r"^LoyaltyTier "))
    expect(tier.get_by_label("Label")).to_have_attribute("placeholder", "LoyaltyTier")
    options = tier.get_by_label("Options, one per line: text | value")
    expect(options).to_be_hidden()  # a text box takes no options
    tier.get_by_label("Input type").select_option("RadioSingleSelect")
    expect(options).to_be_visible()
    options.fill("Gold | gold\nSilver | silver")
    tier.get_by_label("Label").fill("Your tier")
    page.get_by_role("group", name=re.compile(r"^Given Name ")).get_by_label("Label").fill(
        "First name"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Page layout saved.")
    expect(tier.get_by_label("Label")).to_have_value("Your tier")
    expect(options).to_be_visible()
    screenshot(page, "admin-user-flow-page-layouts")

    sections.get_by_role("link", name="Applications").click()
    expect(page.get_by_text("No apps registered yet.")).to_be_visible()
    screenshot(page, "admin-user-flow-applications")
    nav.get_by_role("link", name="User flows").click()
    screenshot(page, "admin-user-flows")

    nav.get_by_role("link", name="Customers").click()
    screenshot(page, "admin-customers-empty")
    page.get_by_role("link", name="New customer").click()
    screenshot(page, "admin-customer-new")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "admin-customer-new-error")
    page.get_by_label("Email address").fill("alex@example.com")
    page.get_by_label("Display name").fill("Alex Wilber")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#temporary-password")).to_be_visible()
    screenshot(page, "admin-customer-created")
    temporary = page.locator("#temporary-password").inner_text().strip()

    # The customer signs in with the temporary password and must choose their own first.
    sign_in = f"/{tenant.domain_name}/account/login/"
    page.goto(sign_in)
    page.get_by_label("Email address").fill("alex@example.com")
    page.get_by_label("Password").fill(temporary)
    page.get_by_role("button", name="Sign in").click()
    expect_hosted_page(page, "Change your password")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "hosted-password-change")
    page.get_by_label("Current password").fill(temporary)
    page.get_by_label("New password", exact=True).fill("Alex-Own-Passphrase-5")
    page.get_by_label("Confirm new password").fill("Alex-Own-Passphrase-5")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#signed-in-email")).to_have_text("alex@example.com")
    page.goto(f"/{tenant.domain_name}/account/logout/")
    expect_hosted_page(page, "Sign out")
    screenshot(page, "hosted-sign-out")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("#signed-in-email")).to_have_text("alex@example.com")

    page.goto(f"/admin-center/tenants/{tenant.tenant_id}/")
    nav.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Alex Wilber").click()
    page.get_by_role("button", name="Block sign-in").click()
    expect(page.get_by_role("button", name="Allow sign-in")).to_be_visible()
    screenshot(page, "admin-customer-blocked")
    nav.get_by_role("link", name="Customers").click()
    expect(page.get_by_role("link", name="Alex Wilber")).to_be_visible()
    expect(page.get_by_text("Sign-in blocked")).to_be_visible()
    screenshot(page, "admin-customers")
    page.get_by_role("searchbox", name="Search").fill("ale")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Alex Wilber")).to_be_visible()
    screenshot(page, "admin-customers-search")

    # Blocked, and so signed out: the page says why only after the right password.
    page.goto(sign_in)
    page.get_by_label("Email address").fill("alex@example.com")
    page.get_by_label("Password").fill("Alex-Own-Passphrase-5")
    page.get_by_role("button", name="Sign in").click()
    expect_hosted_page(page, "Your account is blocked")
    screenshot(page, "hosted-account-blocked")

    # Deleted, then restored within the 30 days.
    page.goto(f"/admin-center/tenants/{tenant.tenant_id}/")
    nav.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Alex Wilber").click()
    page.get_by_role("button", name="Delete alex@example.com").click()
    expect(page.get_by_role("status").filter(has_text="is deleted")).to_be_visible()
    page.get_by_label("Show deleted customers (restorable for 30 days)").check()
    page.get_by_role("button", name="Search").click()
    screenshot(page, "admin-customers-deleted")
    page.get_by_role("link", name="Alex Wilber").click()
    expect(page.get_by_role("button", name="Restore customer")).to_be_visible()
    screenshot(page, "admin-customer-deleted")
    page.get_by_role("button", name="Restore customer").click()
    expect(page.get_by_role("button", name="Block sign-in")).to_be_visible()  # restored
    assert page_errors == []
