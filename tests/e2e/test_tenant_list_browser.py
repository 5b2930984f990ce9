"""The tenant list and the switcher in a real browser (issue 16), with 300 tenants: the list
searches by prefix and pages on; the switcher searches as the operator types, is driven by
the keyboard, and opens the tenant chosen."""

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.operator_tenants import SWITCHER_MATCHES, SWITCHER_RECENT, TENANT_PAGE_SIZE
from tenants.models import AdminRole, RoleAssignment, Tenant, TenantStatus
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant

pytestmark = pytest.mark.e2e

COUNT = 300


@pytest.fixture
def contoso_tenants(committed: CommittedData, operator: Credentials) -> Iterator[list[Tenant]]:
    """COUNT tenant rows of the operator's, "Contoso 000" newest… (no schemas: a list reads
    rows only; suspended, so nothing routes to them), removed when the test ends."""
    prefix = committed.unique("e2e-list")
    admin = User.objects.get(email=operator.email)
    base = timezone.now() - timedelta(days=1)
    rows = []
    for number in range(COUNT):
        tenant_id = uuid.uuid4()
        rows.append(
            Tenant(
                tenant_id=tenant_id,
                schema_name=Tenant.schema_name_for(tenant_id),
                domain_name=f"{prefix}-{number:03d}",
                display_name=f"Contoso {number:03d}",
                country="NL",
                status=TenantStatus.SUSPENDED,
                created_at=base - timedelta(minutes=number),
            )
        )
    tenants = Tenant.objects.bulk_create(rows)
    try:
        RoleAssignment.objects.bulk_create(
            RoleAssignment(tenant=tenant, operator=admin, role=AdminRole.GLOBAL_ADMINISTRATOR)
            for tenant in tenants
        )
        yield tenants
    finally:
        RoleAssignment.objects.filter(tenant__in=tenants).delete()
        Tenant.objects.filter(pk__in=[tenant.pk for tenant in tenants]).delete()


def test_operator_searches_the_tenant_list_and_the_switcher(
    page: Page,
    page_errors: list[str],
    operator: Credentials,
    committed: CommittedData,
    contoso_tenants: list[Tenant],
    screenshot: Screenshot,
) -> None:
    own = open_own_tenant(page, committed, operator, "Search Co", "e2e-search")

    # The switcher renders a few tenants, not the operator's 301; typing asks the search.
    page.get_by_label("Switch tenant").click()
    box = page.get_by_role("searchbox", name="Find a tenant", exact=True)
    expect(box).to_be_focused()
    switcher = page.get_by_role("navigation", name="Your tenants")
    links = switcher.locator("#switcher-tenants a")
    expect(links).to_have_count(SWITCHER_RECENT)
    expect(links.first).to_contain_text("Search Co")
    box.press_sequentially("contoso 0")
    expect(links).to_have_count(SWITCHER_MATCHES)
    expect(switcher.get_by_role("status")).to_have_text(f"{SWITCHER_MATCHES} tenants found")
    box.fill("contoso 12")
    expect(links).to_have_count(10)
    expect(links.first).to_contain_text("Contoso 120")
    # The keyboard: down into the matches, up back to the box, Enter on a match opens it.
    box.press("ArrowDown")
    expect(links.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(links.nth(1)).to_be_focused()
    screenshot(page, "tenant-switcher-search")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    box.fill("zz-nothing")
    expect(switcher.get_by_role("status")).to_have_text("No tenants match.")
    expect(links).to_have_count(0)
    box.fill("contoso 121")
    expect(links).to_have_count(1)
    box.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/admin-center/tenants/{contoso_tenants[121].tenant_id}/"))
    expect(page.get_by_label("Switch tenant")).to_contain_text("Contoso 121")

    # Escape closes the switcher and gives the focus back to it.
    page.get_by_label("Switch tenant").click()
    page.keyboard.press("Escape")
    expect(switcher).to_be_hidden()
    expect(page.get_by_label("Switch tenant")).to_be_focused()

    # Enter in the box searches the tenant list (what the switcher does without JavaScript).
    page.get_by_label("Switch tenant").click()
    box.fill("contoso")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin-center/\?q=contoso$"))
    table = page.get_by_role("table", name="Tenants you see, newest first")
    expect(table.locator("tbody tr")).to_have_count(TENANT_PAGE_SIZE)
    expect(table.locator("tbody tr").first).to_contain_text("Contoso 000")
    expect(table).not_to_contain_text("Search Co")
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"q=contoso&after="))
    expect(table.locator("tbody tr").first).to_contain_text(f"Contoso {TENANT_PAGE_SIZE:03d}")

    # The list's own search, by the start of a domain name.
    search = page.get_by_role("searchbox", name="Domain name or tenant name starts with")
    expect(search).to_have_value("contoso")
    search.fill(own.domain_name[:10])
    page.get_by_role("button", name="Search", exact=True).click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Search Co")
    search.fill("Contoso 2")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(table.locator("tbody tr")).to_have_count(TENANT_PAGE_SIZE)
    expect(table.locator("tbody tr").first).to_contain_text("Contoso 200")
    screenshot(page, "tenant-list-search")
    assert page_errors == []
