"""Identity providers in the admin center, in real Chromium: an admin adds an OpenID Provider
whose discovery document our own server serves (a tenant's, as another CIAM would be the
provider), maps its claims in the claims mapping table, copies its redirect URL, and offers it
in a user flow; an admin generates a key pair for private_key_jwt and copies the certificate to
register at the provider.

The document comes from the second test server: the admin center's server runs one thread per
worker, so a request it made to itself could wait behind the request making it."""

import re

import pytest
from cryptography import x509
from playwright.sync_api import Page, expect

from accounts.services import custom_attribute_create
from federation.keys import client_key_load
from federation.models import IdentityProvider
from federation.selectors import identity_provider_secret
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant
from userflows.models import UserFlow

pytestmark = pytest.mark.e2e


def test_admin_adds_an_openid_provider_and_offers_it_in_a_flow(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    live_server_url: str,
    embedded_default_server_url: str,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Fabrikam", "e2e-idp")
    with in_tenant(tenant):
        UserFlow.objects.create(name="Shoppers")
        custom_attribute_create(name="Tier", data_type="string")
    issuer = f"{embedded_default_server_url}/{tenant.domain_name}/v2.0"
    well_known = f"{issuer}/.well-known/openid-configuration"

    page.get_by_role("navigation", name="Tenant").get_by_role(
        "link", name="Identity providers"
    ).click()
    expect(page.get_by_text("None yet.")).to_be_visible()
    screenshot(page, "admin-identity-providers-empty")
    page.get_by_role("link", name="OpenID Connect").click()
    expect(page.get_by_role("heading", name="Add OpenID Connect")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Fabrikam Partners")
    page.get_by_label("Well-known configuration URL").fill(well_known)
    page.get_by_label("Client ID").fill("partner-portal")
    page.get_by_label("Client secret, or the private key").fill("a-client-secret")
    # The claims mapping: one row per attribute, the standard claims filled in.
    claims = page.get_by_role("table", name="Claims mapping")
    expect(claims.get_by_label("User ID")).to_have_value("sub")
    expect(claims.get_by_label("Email verified")).to_have_value("email_verified")
    expect(claims.get_by_label("Surname")).to_have_value("family_name")
    expect(claims.get_by_label("City")).to_have_value("")
    expect(claims.get_by_role("row", name="Tier")).to_contain_text("String")
    claims.get_by_label("Tier").fill("loyalty tier")
    claims.get_by_label("Job Title").fill("jobTitle")
    screenshot(page, "admin-identity-provider-add")
    page.get_by_role("button", name="Add", exact=True).click()

    # A claim name with a space is refused beside its row; nothing else is lost.
    claims = page.get_by_role("table", name="Claims mapping")
    tier = claims.get_by_label("Tier")
    expect(tier).to_have_attribute("aria-invalid", "true")
    expect(tier).to_have_accessible_description(re.compile("Use a plain claim name"))
    expect(claims.get_by_label("Job Title")).to_have_value("jobTitle")
    screenshot(page, "admin-identity-provider-claim-error")
    tier.fill("loyalty_tier")
    page.get_by_label("Client secret, or the private key").fill("a-client-secret")
    page.get_by_role("button", name="Add", exact=True).click()

    expect(page.get_by_role("heading", name="Fabrikam Partners", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Identity provider “Fabrikam Partners")
    redirect_url = (
        f"{live_server_url}/{tenant.domain_name}/account/oidc/fabrikam-partners/login/callback/"
    )
    expect(page.locator("#redirect-url")).to_have_text(redirect_url)
    # The URL to register at the provider goes to the clipboard with one click.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.locator("button.copy[data-copy='redirect-url']")
    expect(copy).to_have_accessible_name("Copy redirect URL")
    copy.click()
    expect(copy).to_have_accessible_name("Copied redirect URL")
    assert page.evaluate("navigator.clipboard.readText()") == redirect_url
    expect(page.get_by_text(issuer, exact=True)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("a-client-secret")
    expect(page.get_by_role("table", name="Claims mapping").get_by_label("Tier")).to_have_value(
        "loyalty_tier"
    )
    screenshot(page, "admin-identity-provider")
    with in_tenant(tenant):
        assert IdentityProvider.objects.get().claims_mapping == {
            "sub": "sub",
            "email": "email",
            "email_verified": "email_verified",
            "given_name": "given_name",
            "surname": "family_name",
            "display_name": "name",
            "job_title": "jobTitle",
            "Tier": "loyalty_tier",
        }

    page.get_by_role("navigation", name="Tenant").get_by_role("link", name="User flows").click()
    page.get_by_role("link", name="Shoppers").click()
    page.get_by_role("navigation", name="User flow sections").get_by_role(
        "link", name="Identity providers"
    ).click()
    page.get_by_label("Fabrikam Partners (OpenID Connect)").check()
    page.locator("form", has=page.get_by_label("Fabrikam Partners (OpenID Connect)")).get_by_role(
        "button", name="Save"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("Identity providers saved.")
    expect(page.get_by_label("Fabrikam Partners (OpenID Connect)")).to_be_checked()
    screenshot(page, "admin-user-flow-identity-providers-offered")
    with in_tenant(tenant):
        flow = UserFlow.objects.get(name="Shoppers")
        assert list(flow.identity_providers.values_list("slug", flat=True)) == ["fabrikam-partners"]
    assert page_errors == []


def test_admin_generates_a_key_pair_for_private_key_jwt(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    embedded_default_server_url: str,
    page_errors: list[str],
) -> None:
    """The admin picks private_key_jwt and "Generate a key pair": the provider's page shows the
    certificate to register at the provider and the key ID, each copied with one click, and
    never the private key."""
    tenant = open_own_tenant(page, committed, operator, "Fabrikam", "e2e-pkjwt")
    issuer = f"{embedded_default_server_url}/{tenant.domain_name}/v2.0"

    page.get_by_role("navigation", name="Tenant").get_by_role(
        "link", name="Identity providers"
    ).click()
    page.get_by_role("link", name="OpenID Connect").click()
    page.get_by_label("Name", exact=True).fill("Contoso")
    page.get_by_label("Well-known configuration URL").fill(
        f"{issuer}/.well-known/openid-configuration"
    )
    page.get_by_label("Client ID").fill("fabrikam-at-contoso")
    page.get_by_label("Private key JWT (private_key_jwt)").check()
    page.get_by_label("Generate a key pair (private_key_jwt)").check()
    screenshot(page, "admin-identity-provider-add-key-pair")
    page.get_by_role("button", name="Add", exact=True).click()

    expect(page.get_by_role("heading", name="Contoso", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("register its certificate at the provider")
    expect(
        page.get_by_role("heading", name="Register our certificate at the provider")
    ).to_be_visible()
    with in_tenant(tenant):
        provider = IdentityProvider.objects.get(slug="contoso")
        key = client_key_load(identity_provider_secret(provider))
    expect(page.locator("#key-id")).to_have_text(provider.key_id)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.locator("button.copy[data-copy='certificate']")
    expect(copy).to_have_accessible_name("Copy certificate")
    copy.click()
    expect(copy).to_have_accessible_name("Copied certificate")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == key.certificate_pem.strip()
    certificate = x509.load_pem_x509_certificate(copied.encode())
    assert certificate.public_key() == key.private_key.public_key()
    expect(page.locator("main")).not_to_contain_text("PRIVATE KEY")
    screenshot(page, "admin-identity-provider-certificate")
    assert page_errors == []
