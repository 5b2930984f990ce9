"""Conditional access in the admin center, in real Chromium: an admin names the office's IP
ranges, then creates a policy that blocks risky sign-ins to one app from there, excluding a
tester, correcting a mistake the form points out (axe-checked screenshots). The policy then
decides a sign-in as the form said."""

import re

import pytest
from playwright.sync_api import Page, expect

from apps.models import Platform
from apps.services import app_register
from protection.access import AccessDecision, RiskLevel, SignInContext, access_evaluate
from protection.models import ConditionalAccessPolicy
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant
from tests.factories.accounts import make_customer

pytestmark = pytest.mark.e2e


def test_admin_creates_a_location_and_a_blocking_policy(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Woodgrove", "e2e-ca")
    with in_tenant(tenant):
        shop = app_register(
            name="Woodgrove Shop", platform=Platform.WEB, redirect_uris=["https://shop.example/cb"]
        )
        app_register(
            name="Woodgrove Blog", platform=Platform.WEB, redirect_uris=["https://blog.example/cb"]
        )
    tester = make_customer(tenant, "tester@woodgrove.example")
    customer = make_customer(tenant, "pat@woodgrove.example")

    page.get_by_role("navigation", name="Tenant").get_by_role(
        "link", name="Conditional access"
    ).click()
    expect(page.get_by_role("heading", name="Conditional access", level=1)).to_be_visible()
    expect(page.get_by_text("None yet.")).to_be_visible()
    screenshot(page, "admin-conditional-access-empty")

    page.get_by_role("navigation", name="Conditional access").get_by_role(
        "link", name="Named locations"
    ).click()
    page.get_by_role("link", name="New location").click()
    page.get_by_label("Name").fill("Head office")
    page.get_by_label("IP ranges", exact=True).fill("203.0.113.7/24\n2001:db8:10::/48")
    page.get_by_role("button", name="Create").click()
    # The form says what is wrong with the range, on the field.
    expect(page.get_by_role("alert")).to_contain_text("the range is 203.0.113.0/24")
    expect(page.get_by_label("IP ranges", exact=True)).to_have_accessible_description(
        re.compile("“203.0.113.7/24” has bits set after its prefix: the range is 203.0.113.0/24")
    )
    screenshot(page, "admin-named-location-error")
    page.get_by_label("IP ranges", exact=True).fill("203.0.113.0/24\n2001:db8:10::/48")
    page.get_by_label("Mark as trusted location").check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text("Named location “Head office” added.")
    expect(page.get_by_role("cell", name="Head office", exact=True)).to_be_visible()
    screenshot(page, "admin-named-locations")

    page.get_by_role("navigation", name="Conditional access").get_by_role(
        "link", name="Policies"
    ).click()
    page.get_by_role("link", name="New policy").click()
    expect(page.get_by_role("heading", name="New policy", level=1)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Block risky shop sign-ins at the office")
    page.get_by_label("Excluded customers").fill("tester@woodgrove.example")
    page.get_by_role("group", name="Include apps").get_by_label("Selected apps").check()
    page.get_by_role("group", name="Sign-in risk").get_by_label("High").check()
    page.get_by_role("group", name="Include locations").get_by_label("Selected locations").check()
    page.get_by_role("group", name="Selected locations").get_by_label(
        "Head office (trusted)"
    ).check()
    page.get_by_role("group", name="Grant").get_by_label("Block access").check()
    page.get_by_role("group", name="Enable policy").get_by_label("On", exact=True).check()
    # No app ticked: the form says so, on the apps.
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("Select at least one app")
    screenshot(page, "admin-conditional-access-policy-error")
    page.get_by_role("group", name="Selected apps").get_by_label("Woodgrove Shop").check()
    screenshot(page, "admin-conditional-access-policy-form")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Policy “Block risky shop sign-ins at the office” added."
    )
    row = page.get_by_role("row", name="Block risky shop sign-ins at the office")
    expect(row).to_contain_text("On")
    expect(row).to_contain_text("Block access")
    screenshot(page, "admin-conditional-access-policies")

    with in_tenant(tenant):
        policy = ConditionalAccessPolicy.objects.get()
        assert policy.client_ids == [shop.client_id]

        def decide(who: int, address: str, risk: RiskLevel, client_id: str) -> AccessDecision:
            context = SignInContext(
                customer_id=who, client_id=client_id, address=address, risk=risk
            )
            return access_evaluate(context)

        blocked = decide(customer.pk, "2001:db8:10::5", RiskLevel.HIGH, shop.client_id)
        assert blocked == AccessDecision(block=True, applied=(policy.name,))
        assert not decide(tester.pk, "203.0.113.5", RiskLevel.HIGH, shop.client_id).block
        assert not decide(customer.pk, "198.51.100.5", RiskLevel.HIGH, shop.client_id).block
        assert not decide(customer.pk, "203.0.113.5", RiskLevel.LOW, shop.client_id).block
        assert not decide(customer.pk, "203.0.113.5", RiskLevel.HIGH, "another-app").block
    assert page_errors == []
