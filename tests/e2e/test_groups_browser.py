"""Groups and app roles in real Chromium against the real server: an admin creates a group,
adds a customer, gives the app a role for users and assigns it to the group, asks for the groups
claim; the customer then signs in through the real authorization and token endpoints, and the
ID token carries the app's roles and groups, the access token its API's."""

import uuid

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from playwright.sync_api import Page, expect

from accounts.models import CustomerGroup
from apps import services as app_services
from apps.assignments import app_role_assign
from apps.models import GroupMembershipClaims, Platform
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant
from tests.e2e.test_oidc_browser import sign_in_on_hosted_page
from tests.factories.accounts import make_customer

pytestmark = pytest.mark.e2e


def test_a_group_role_reaches_the_tokens_of_a_real_sign_in(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    app_server: str,
    live_server_url: str,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Fabrikam Groups", "e2e-groups")
    redirect_uri = f"{app_server}/callback"
    email = f"member-{uuid.uuid4().hex[:6]}@example.com"
    make_customer(tenant, email)
    with in_tenant(tenant):
        app = app_services.app_register(
            name="Fabrikam Shop", platform=Platform.WEB, redirect_uris=[redirect_uri]
        )
        _s, secret = app_services.client_secret_add(app=app, description="e2e", lifetime_days=90)
        api = app_services.app_register(name="Orders API", platform=Platform.DAEMON)
        scope = app_services.api_scope_add(app=api, value="Orders.Read", display_name="Read")
        app_services.api_permission_add(client=app, api_scope=scope)
        app_services.admin_consent_grant(client=app)
        orders_role = app_services.app_role_add(
            app=api, value="Orders.Manage", display_name="Manage", allowed_member_types="user"
        )
        app_services.group_membership_claims_set(
            app=api, value=GroupMembershipClaims.APPLICATION_GROUP
        )
    base = f"/admin-center/tenants/{tenant.tenant_id}"

    # The group, from the tenant's navigation.
    page.goto(f"{base}/")
    page.get_by_role("navigation", name="Tenant").get_by_role("link", name="Groups").click()
    expect(page.get_by_role("heading", name="No groups yet")).to_be_visible()
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Display name").fill("Gold members")
    page.get_by_label("Description").fill("Customers of the gold tier")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Group Gold members created.")).to_be_visible()
    page.get_by_label("Customer's email address").fill(email)
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text(f"{email} is now a member.")).to_be_visible()
    expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()
    screenshot(page, "groups-detail")
    with in_tenant(tenant):
        group = CustomerGroup.objects.get(display_name="Gold members")
        app_role_assign(role=orders_role, group=group)
    page.goto(f"{base}/groups/")
    expect(page.get_by_role("link", name="Gold members")).to_be_visible()
    screenshot(page, "groups-list")

    # A role of the shop for users, assigned to the group.
    page.goto(f"{base}/apps/{app.object_id}/expose-api/")
    page.get_by_label("Value").last.fill("Shop.Admin")
    page.locator("#id_role_display_name").fill("Shop administrator")
    page.get_by_label("Users/Groups", exact=True).check()
    page.get_by_role("button", name="Add app role").click()
    expect(page.get_by_role("cell", name="Shop.Admin", exact=True)).to_be_visible()
    screenshot(page, "groups-app-roles")
    page.get_by_role("link", name="Users and groups").click()
    page.get_by_label("Role").select_option(label="Shop administrator (Shop.Admin)")
    page.get_by_label("or group name").fill("gold members")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Role assigned.")).to_be_visible()
    expect(page.get_by_role("link", name="Gold members")).to_be_visible()
    screenshot(page, "groups-app-users-and-groups")

    # The groups claim, on Token configuration.
    page.get_by_role("link", name="Token configuration").click()
    page.get_by_label("All groups").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Groups claim saved.")).to_be_visible()
    screenshot(page, "groups-app-token-configuration")

    # The customer's page names the group and the roles.
    page.goto(f"{base}/customers/")
    page.get_by_role("row", name=email).get_by_role("link").click()
    groups = page.locator("#groups")
    expect(groups.get_by_role("link", name="Gold members").first).to_be_visible()
    expect(groups.get_by_text("Shop.Admin")).to_be_visible()
    expect(groups.get_by_text("Orders.Manage")).to_be_visible()
    screenshot(page, "groups-customer")

    # The customer signs in at the shop, which asks for the Orders API.
    client = OAuth2Session(
        app.client_id,
        secret,
        scope=f"openid {api.effective_app_id_uri}/Orders.Read",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, _state = client.create_authorization_url(
        f"{live_server_url}/{tenant.domain_name}/oauth2/v2.0/authorize", code_verifier=verifier
    )
    page.goto(url)
    sign_in_on_hosted_page(page, email, screenshot, "groups-hosted-sign-in")
    page.wait_for_url(f"{redirect_uri}?*")
    token = client.fetch_token(
        f"{live_server_url}/{tenant.domain_name}/oauth2/v2.0/token",
        authorization_response=page.url,
        code_verifier=verifier,
    )
    keys = JsonWebKey.import_key_set(
        client.get(f"{live_server_url}/{tenant.domain_name}/discovery/v2.0/keys").json()
    )
    id_token = jwt.decode(token["id_token"], keys)
    access_token = jwt.decode(token["access_token"], keys)
    assert id_token["aud"] == app.client_id
    assert id_token["roles"] == ["Shop.Admin"]
    assert id_token["groups"] == [str(group.object_id)]
    assert access_token["aud"] == api.client_id
    assert access_token["roles"] == ["Orders.Manage"]
    assert access_token["groups"] == [str(group.object_id)]
    assert page_errors == []
