"""The custom claims provider section of an app's Attributes & claims page in real Chromium
(issue 14): an admin picks the OnTokenIssuanceStart extension, maps its claims, and is told
when a name is reserved."""

import pytest
from playwright.sync_api import Page, expect

from apps.models import Platform
from apps.services import app_register
from extensions.models import CustomAuthenticationExtension, ExtensionEvent
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant

pytestmark = pytest.mark.e2e


def test_admin_maps_a_custom_claims_providers_claims(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Fabrikam Claims", "e2e-claims")
    with in_tenant(tenant):
        app = app_register(name="Fabrikam Shop", platform=Platform.WEB)
        api = app_register(name="Loyalty API", platform=Platform.DAEMON)
        extension = CustomAuthenticationExtension.objects.create(
            name="Loyalty claims",
            event=ExtensionEvent.TOKEN_ISSUANCE_START,
            target_url="https://loyalty.example/api/claims",
            api_app=api,
        )
    page.goto(f"/admin-center/tenants/{tenant.tenant_id}/apps/{app.object_id}/claims/")
    expect(page.get_by_role("heading", name="Custom claims provider")).to_be_visible()
    page.get_by_label("Provider").select_option(label="Loyalty claims")
    page.get_by_label("Claim ID, row 1", exact=True).fill("loyaltyTier")
    page.get_by_label("JWT claim name, row 1", exact=True).fill("sub")
    page.get_by_role("button", name="Apply custom claims").click()
    expect(page.get_by_text("is a reserved claim")).to_be_visible()
    screenshot(page, "apps-custom-claims-reserved")

    page.get_by_label("Provider").select_option(label="Loyalty claims")
    page.get_by_label("Claim ID, row 1", exact=True).fill("loyaltyTier")
    page.get_by_label("JWT claim name, row 1", exact=True).fill("loyalty_tier")
    page.get_by_label("Row 1 in the access token", exact=True).check()
    page.get_by_label("Claim ID, row 2", exact=True).fill("segments")
    page.get_by_label("JWT claim name, row 2", exact=True).fill("segments")
    page.get_by_role("button", name="Apply custom claims").click()
    expect(page.get_by_text("Custom claims provider saved.")).to_be_visible()
    expect(page.get_by_label("JWT claim name, row 1", exact=True)).to_have_value("loyalty_tier")
    expect(page.get_by_label("Provider")).to_have_value(str(extension.extension_id))
    screenshot(page, "apps-custom-claims")
    assert not page_errors
