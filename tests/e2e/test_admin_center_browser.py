"""An operator's first visit to the admin center, in a real browser against the real server."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tenants.models import Tenant
from tests.e2e.conftest import CommittedData, Credentials, Screenshot

pytestmark = pytest.mark.e2e

UUID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def tenant_navigation(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Tenant", exact=True)


def sign_in(page: Page, operator: Credentials, screenshot: Screenshot) -> None:
    page.goto("/admin-center/")
    expect(page).to_have_url(re.compile(r"/admin-center/sign-in/\?next="))
    expect(page.get_by_role("heading", name="Sign in to the admin center")).to_be_visible()
    screenshot(page, "admin-sign-in")

    email = page.get_by_label("Email address")
    password = page.get_by_label("Password", exact=True)
    expect(email).to_be_focused()  # autofocus: the operator can type at once
    email.fill(operator.email)
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    password.fill(operator.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin-center/$"))


def test_operator_creates_a_tenant_and_manages_its_admins(
    page: Page,
    page_errors: list[str],
    live_server_url: str,
    operator: Credentials,
    committed: CommittedData,
    screenshot: Screenshot,
) -> None:
    domain_name = committed.unique("e2e-admin")
    committed.domain_names.append(domain_name)
    new_admin_email = f"{committed.unique('reader')}@admins.example"
    committed.operator_emails.append(new_admin_email)

    sign_in(page, operator, screenshot)

    # An operator without tenants is invited to create one.
    expect(page.get_by_role("heading", name="Your tenants")).to_be_visible()
    expect(page.get_by_role("heading", name="No tenants yet")).to_be_visible()
    expect(page.get_by_text(operator.email)).to_be_visible()
    screenshot(page, "admin-home-empty")
    page.get_by_role("link", name="Create your first tenant").click()

    # A bad domain name is refused next to its field, and what was typed is kept.
    expect(page.get_by_role("heading", name="Create a customer tenant")).to_be_visible()
    page.get_by_label("Tenant name").fill("Woodgrove Groceries")
    page.get_by_label("Domain name").fill("Bad_Name")
    page.get_by_label("Country/Region").select_option(label="Netherlands")
    page.get_by_role("button", name="Create", exact=True).click()
    domain_field = page.get_by_label("Domain name")
    domain_error = page.locator(".field", has=domain_field).get_by_role("alert")
    expect(domain_error).to_be_visible()
    expect(domain_error).to_contain_text("lower-case")
    expect(domain_field).to_have_attribute("aria-invalid", "true")
    expect(domain_field).to_have_value("Bad_Name")
    expect(page.get_by_label("Tenant name")).to_have_value("Woodgrove Groceries")
    screenshot(page, "admin-tenant-create-error")

    domain_field.fill(domain_name)
    page.get_by_label("Country/Region").select_option(label="Netherlands")
    page.get_by_role("button", name="Create", exact=True).click()

    # The overview: what an app developer needs from the tenant.
    expect(page).to_have_url(re.compile(rf"/admin-center/tenants/({UUID_PATTERN})/$"))
    tenant_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    tenant = Tenant.objects.get(domain_name=domain_name)
    assert str(tenant.tenant_id) == tenant_id
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(
        page.get_by_text(f"Tenant “Woodgrove Groceries ({domain_name})” is ready.")
    ).to_be_visible()
    expect(page.locator("dd code").filter(has_text=domain_name).first).to_have_text(domain_name)
    expect(page.locator("#tenant-id")).to_have_text(tenant_id)
    issuer = f"{live_server_url}/{domain_name}/v2.0"
    expect(page.locator("#issuer")).to_have_text(issuer)
    endpoints = page.get_by_role("table", name="Endpoints of this tenant")
    expect(endpoints).to_be_visible()
    # The header, the eight protocol endpoints, the management API's three addresses.
    expect(endpoints.get_by_role("row")).to_have_count(1 + 8 + 3)
    expect(
        endpoints.get_by_role("row", name="Management API: OpenAPI 3.1 document")
    ).to_contain_text(f"{live_server_url}/{domain_name}/api/v1/openapi.json")
    expect(endpoints.get_by_role("row", name="OpenID Connect metadata document")).to_contain_text(
        f"{issuer}/.well-known/openid-configuration"
    )
    screenshot(page, "admin-tenant-overview")

    # Copy puts the value on the clipboard and says so.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy tenant ID").click()
    # Its name changes while it says so, so the button is found again by what it copies.
    copy_tenant_id = page.locator("button.copy[data-copy='tenant-id']")
    expect(copy_tenant_id).to_have_accessible_name("Copied tenant ID")
    assert page.evaluate("navigator.clipboard.readText()") == tenant_id
    expect(copy_tenant_id).to_have_accessible_name("Copy tenant ID")

    # The tenant switcher lists the operator's tenants.
    page.get_by_label("Switch tenant").click()
    switcher = page.get_by_role("navigation", name="Your tenants")
    expect(switcher.get_by_role("link", name=re.compile("Woodgrove Groceries"))).to_be_visible()
    expect(switcher.get_by_role("link", name="All tenants")).to_be_visible()
    screenshot(page, "admin-tenant-switcher-open")
    page.get_by_label("Switch tenant").click()

    # Add an admin: a new email address gets an account and a temporary password, shown once.
    tenant_navigation(page).get_by_role("link", name="Admin accounts").click()
    expect(page.get_by_role("heading", name="Admin accounts")).to_be_visible()
    page.get_by_label("Email address").fill(new_admin_email)
    page.get_by_label("Reports Reader").check()
    page.get_by_role("button", name="Add admin").click()
    expect(
        page.get_by_role("heading", name=f"Admin account created for {new_admin_email}")
    ).to_be_visible()
    temporary_password = page.locator("#temporary-password")
    expect(temporary_password).to_have_text(re.compile(r"\S{12,}"))
    admins = page.get_by_role("table", name="Admins of this tenant and their roles")
    new_admin_row = admins.get_by_role("row").filter(has_text=new_admin_email)
    expect(new_admin_row).to_contain_text("Reports Reader")
    screenshot(page, "admin-admins-temporary-password")

    page.goto(f"/admin-center/tenants/{tenant_id}/admins/")
    expect(page.get_by_role("heading", name="Admin accounts")).to_be_visible()
    expect(page.locator("#temporary-password")).to_have_count(0)

    # Grant the new admin another role.
    page.get_by_role("link", name=f"Edit roles of {new_admin_email}").click()
    expect(page.get_by_role("heading", name=f"Roles of {new_admin_email}")).to_be_visible()
    expect(page.get_by_label("Reports Reader")).to_be_checked()
    expect(page.get_by_label("Application Administrator")).not_to_be_checked()
    page.get_by_label("Application Administrator").check()
    screenshot(page, "admin-roles-edit")
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_text(f"Roles of {new_admin_email} saved.")).to_be_visible()
    new_admin_row = page.get_by_role("row").filter(has_text=new_admin_email)
    expect(new_admin_row).to_contain_text("Application Administrator")
    expect(new_admin_row).to_contain_text("Reports Reader")

    # The audit log tells the story.
    tenant_navigation(page).get_by_role("link", name="Audit log").click()
    log = page.get_by_role("table", name="Recent changes to this tenant, newest first")
    expect(log).to_be_visible()
    expect(log.get_by_role("cell", name="Tenant created", exact=True)).to_have_count(1)
    expect(log.get_by_role("cell", name="Admin account added", exact=True)).to_have_count(1)
    expect(log.get_by_role("cell", name="Role granted", exact=True).first).to_be_visible()
    screenshot(page, "admin-audit-log")

    assert page_errors == []
