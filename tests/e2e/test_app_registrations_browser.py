"""App registration pages in real Chromium: an admin registers and configures an app."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant

pytestmark = pytest.mark.e2e


def test_admin_registers_and_configures_an_app(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    open_own_tenant(page, committed, operator, "Fabrikam Apps", "e2e-apps")

    page.get_by_role("link", name="App registrations").click()
    expect(page.get_by_role("heading", name="No apps yet")).to_be_visible()
    # The extensions app whose ID names custom attributes' claims, as Entra lists it.
    expect(
        page.get_by_role("row", name=re.compile(r"^b2c-extensions-app\. Do not modify\."))
    ).to_be_visible()
    screenshot(page, "apps-list-empty")

    page.get_by_role("link", name="New registration").click()
    page.get_by_label("Name").fill("Fabrikam Web")
    page.get_by_label("Web", exact=True).check()
    page.get_by_label("Redirect URI (optional)").fill("http://shop.example/callback")
    page.get_by_role("button", name="Register").click()
    expect(page.locator(".field-errors")).to_contain_text("https")
    screenshot(page, "apps-register-error")
    page.get_by_label("Redirect URI (optional)").fill("https://shop.example/callback")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Quick start")).to_be_visible()
    client_id = page.locator("#client-id").inner_text()
    assert re.fullmatch(r"[0-9a-f-]{36}", client_id)
    screenshot(page, "apps-overview")

    page.get_by_role("link", name="Authentication", exact=True).click()  # not "… methods"
    page.get_by_label("Post-logout redirect URIs").fill("https://shop.example/signed-out")
    page.get_by_label("Front-channel logout URL").fill("https://shop.example/front-channel")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    screenshot(page, "apps-authentication")

    page.get_by_role("link", name="Certificates & secrets").click()
    # The expiry is one dropdown; its last choice, Custom, shows the date to pick.
    expires = page.get_by_label("Expires")
    custom_date = page.get_by_label("Custom expiry date")
    expect(expires.locator("option").last).to_have_text("Custom")
    expect(custom_date).to_be_hidden()
    expires.select_option("custom")
    expect(custom_date).to_be_visible()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".field", has=custom_date).get_by_role("alert")).to_contain_text(
        "Choose the expiry date"
    )
    expect(custom_date).to_be_visible()
    screenshot(page, "apps-secret-custom-expiry")
    expires.select_option(index=0)
    expect(custom_date).to_be_hidden()
    page.get_by_label("Description").first.fill("Production")
    page.get_by_role("button", name="Add", exact=True).click()
    secret = page.locator("#secret-value").inner_text()
    assert len(secret) >= 40
    screenshot(page, "apps-secret-shown-once")
    page.goto(page.url)  # a fresh visit, not a re-submission
    expect(page.locator("#secret-value")).to_have_count(0)
    expect(page.get_by_role("cell", name=f"{secret[:3]}***")).to_be_visible()

    page.get_by_role("link", name="Expose an API").click()
    page.get_by_label("Scope name").fill("Orders.Read")
    page.get_by_label("Admin consent display name").fill("Read orders")
    page.get_by_role("button", name="Add scope").click()
    expect(page.get_by_text(f"api://{client_id}/Orders.Read")).to_be_visible()
    screenshot(page, "apps-expose-api")

    page.get_by_role("link", name="API permissions").click()
    page.get_by_label("Permission").select_option(label="Fabrikam Web · Orders.Read (delegated)")
    page.get_by_role("button", name="Add permission").click()
    expect(page.get_by_text("Not granted")).to_be_visible()
    page.get_by_role("button", name="Grant admin consent for Fabrikam Apps").click()
    expect(page.get_by_text("Not granted")).to_have_count(0)
    screenshot(page, "apps-api-permissions")

    page.get_by_role("link", name="Attributes & claims").click()
    page.get_by_label("Given Name in the ID token").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Given Name in the ID token")).to_be_checked()
    screenshot(page, "apps-attributes-and-claims")

    page.get_by_role("link", name="Token lifetimes").click()
    expect(page.get_by_role("heading", name="Token lifetimes")).to_be_visible()
    expect(page.get_by_label("Access token lifetime (minutes)")).to_have_value("60")
    screenshot(page, "apps-token-lifetimes")

    page.get_by_role("link", name="Signing keys").click()
    page.get_by_role("button", name="Rotate now").click()
    expect(page.get_by_text("Retiring", exact=True)).to_be_visible()
    screenshot(page, "apps-signing-keys")
    assert page_errors == []
