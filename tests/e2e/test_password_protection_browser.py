"""Smart lockout in real Chromium: an admin lowers the threshold on Password protection, a
customer's wrong passwords lock the account (the sign-in page says only "not correct", even to
the right password), and the admin sees the lockout on the customer's page and clears it."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    CommittedData,
    Credentials,
    Screenshot,
    expect_hosted_page,
    open_own_tenant,
)
from tests.factories.accounts import PASSWORD, make_customer

pytestmark = pytest.mark.e2e

EMAIL = "megan@example.com"


def try_password(page: Page, domain_name: str, password: str) -> None:
    page.goto(f"/{domain_name}/account/login/")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_admin_sets_the_lockout_sees_a_locked_customer_and_clears_it(
    page: Page,
    browser: Browser,
    live_server_url: str,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Proseware", "e2e-lockout")
    customer = make_customer(tenant, EMAIL)

    nav = page.get_by_role("navigation", name="Tenant")
    nav.get_by_role("link", name="Password protection").click()
    expect(page.get_by_role("heading", name="Password protection")).to_be_visible()
    expect(page.get_by_label("Lockout threshold")).to_have_value("10")
    page.get_by_label("Lockout duration in seconds").fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Lockout duration in seconds")).to_have_attribute(
        "aria-invalid", "true"
    )
    screenshot(page, "admin-password-protection-error")
    page.get_by_label("Lockout threshold").fill("3")
    page.get_by_label("Lockout duration in seconds").fill("300")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Password protection saved.")
    expect(page.get_by_label("Lockout threshold")).to_have_value("3")
    screenshot(page, "admin-password-protection")

    # The customer, in another browser, mistypes three times; then the right password is
    # answered just as a wrong one.
    customer_page = browser.new_context(base_url=live_server_url).new_page()
    for n in range(3):
        try_password(customer_page, tenant.domain_name, f"wrong-{n}")
    try_password(customer_page, tenant.domain_name, PASSWORD)
    expect_hosted_page(customer_page, "Sign in")
    expect(customer_page.get_by_role("alert")).to_contain_text("are not correct")
    screenshot(customer_page, "hosted-sign-in-locked")

    nav.get_by_role("link", name="Customers").click()
    page.get_by_role("row").filter(has_text=EMAIL).get_by_role("link").click()
    expect(page.locator("#lockout")).to_contain_text("From other places: locked until")
    screenshot(page, "admin-customer-locked")
    page.get_by_role("button", name="Clear lockout").click()
    expect(page.get_by_role("status")).to_contain_text(f"{EMAIL} is no longer locked out.")
    expect(page.locator("#lockout")).to_have_text("Not locked")
    expect(page.get_by_role("button", name="Clear lockout")).to_have_count(0)

    try_password(customer_page, tenant.domain_name, PASSWORD)
    expect(customer_page.locator("#signed-in-email")).to_have_text(customer.email)
    customer_page.context.close()
    assert page_errors == []
