"""One browser, two tenants, one email address: two independent sessions (DESIGN.md decision 4)."""

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tenants.services import tenant_create
from tests.e2e.conftest import CommittedData, Screenshot, expect_hosted_page
from tests.factories.accounts import make_customer

pytestmark = pytest.mark.e2e

EMAIL = "x@example.com"


@dataclass(frozen=True)
class TenantCustomer:
    domain_name: str
    password: str


@pytest.fixture
def two_tenants(committed: CommittedData) -> tuple[TenantCustomer, TenantCustomer]:
    """Tenants A and B, each with a customer x@example.com, with a different password in each."""
    made = []
    for letter, password in (("a", "Tenant-A-password-17"), ("b", "Tenant-B-password-29")):
        domain_name = committed.unique(f"e2e-{letter}")
        committed.domain_names.append(domain_name)
        tenant = tenant_create(
            display_name=f"Tenant {letter.upper()}",
            domain_name=domain_name,
            country="NL",
            creator=None,
        )
        make_customer(tenant, EMAIL, password)
        made.append(TenantCustomer(domain_name=domain_name, password=password))
    return made[0], made[1]


def sign_in(page: Page, customer: TenantCustomer, screenshot: Screenshot | None = None) -> None:
    page.goto(f"/{customer.domain_name}/account/login/")
    expect_hosted_page(page, "Sign in")
    if screenshot is not None:
        screenshot(page, "hosted-sign-in-without-an-app")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(customer.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/{customer.domain_name}/$"))
    expect(page.locator("#signed-in-email")).to_have_text(EMAIL)


def expect_signed_in(page: Page, customer: TenantCustomer) -> None:
    page.goto(f"/{customer.domain_name}/")
    expect(page).to_have_url(re.compile(rf"/{customer.domain_name}/$"))
    expect(page.get_by_text("Signed in as")).to_be_visible()
    expect(page.locator("#signed-in-email")).to_have_text(EMAIL)


def test_signing_out_of_one_tenant_leaves_the_other_signed_in(
    page: Page,
    page_errors: list[str],
    two_tenants: tuple[TenantCustomer, TenantCustomer],
    screenshot: Screenshot,
) -> None:
    a, b = two_tenants

    # On a phone the sign-in card fits the screen: no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/{a.domain_name}/account/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "hosted-sign-in-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    sign_in(page, a, screenshot)
    screenshot(page, "hosted-home-signed-in")
    sign_in(page, b)

    # Each tenant has its own session cookie, scoped to its own path.
    session_cookies = {
        cookie["name"]: cookie["path"]
        for cookie in page.context.cookies()
        if cookie["name"].startswith(settings.SESSION_COOKIE_NAME)
    }
    assert session_cookies == {
        f"{settings.SESSION_COOKIE_NAME}_{a.domain_name}": f"/{a.domain_name}/",
        f"{settings.SESSION_COOKIE_NAME}_{b.domain_name}": f"/{b.domain_name}/",
    }

    expect_signed_in(page, a)
    expect_signed_in(page, b)

    # Sign out of A. Opened by a link, the sign-out page asks first; the home page's button
    # posts to it and signs out at once.
    page.goto(f"/{a.domain_name}/account/logout/")
    expect_hosted_page(page, "Sign out")
    page.get_by_role("link", name="Cancel").click()
    expect_signed_in(page, a)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/{a.domain_name}/account/login/"))
    screenshot(page, "hosted-signed-out")

    page.goto(f"/{a.domain_name}/")
    expect(page).to_have_url(re.compile(rf"/{a.domain_name}/account/login/\?next="))
    expect(page.locator("#signed-in-email")).to_have_count(0)

    expect_signed_in(page, b)

    assert page_errors == []
