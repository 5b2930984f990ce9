"""What the admin center's pages show: names, the extensions app, unique ids."""

import re
from collections import Counter

from django.test import Client

from accounts.models import Directory
from tenants.models import AdminRole, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, operator_client
from tests.factories.admin_center import RouteValues, admin_center_routes, route_url

_ID = re.compile(r"\sid=\"([^\"]+)\"")


def test_token_lifetimes_is_what_the_menu_and_the_page_call_it(
    admin_client: Client, tenant_a: Tenant
) -> None:
    """Entra calls an app's claims "Token configuration"; the tenant's page holds lifetimes."""
    page = admin_client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/token-configuration/")
    assert page.status_code == 200
    assert "<h1>Token lifetimes</h1>" in page.text
    assert 'aria-current="page">Token lifetimes</a>' in page.text
    assert "Token configuration" not in page.text


def test_the_extensions_app_is_listed_read_only_under_app_registrations(
    admin_client: Client, tenant_a: Tenant
) -> None:
    with in_tenant(tenant_a):
        app_id = Directory.objects.get_or_create(singleton=True)[0].extensions_app_id
    page = admin_client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/apps/")
    row = re.search(r'<tr id="extensions-app">(.*?)</tr>', page.text, re.DOTALL)
    assert row is not None
    assert "b2c-extensions-app. Do not modify. Used for storing user data." in row.group(1)
    assert f"<code>{app_id}</code>" in row.group(1)
    assert "<a " not in row.group(1)  # nothing to open, nothing to edit
    # With no app of its own, the tenant is still invited to register one.
    assert "No apps yet" in page.text


def test_no_admin_center_page_has_two_elements_with_one_id(
    admin_center_route_values: RouteValues, operator_factory: MakeOperator
) -> None:
    """A label names the input whose id it gives: two inputs with one id leave one unnamed (the
    certificate's description had the secret's)."""
    tenant_id = admin_center_route_values["tenant_id"]
    admin = operator_factory(
        tenant=Tenant.objects.get(tenant_id=tenant_id), roles=[AdminRole.GLOBAL_ADMINISTRATOR]
    )
    client = operator_client(admin.email)
    pages = 0
    for route in admin_center_routes():
        response = client.get(route_url(route, admin_center_route_values))
        if response.status_code != 200 or response.streaming:
            continue  # a download is no page
        pages += 1
        repeated = [i for i, n in Counter(_ID.findall(response.text)).items() if n > 1]
        assert repeated == [], (route, repeated)
    assert pages >= 20


def test_the_address_of_an_operation_opened_without_a_form_leads_to_its_page(
    admin_center_route_values: RouteValues, admin_client: Client
) -> None:
    """A form with errors is shown at its operation's address; reloading that address (a GET)
    opens the page again instead of a 405."""
    values = admin_center_route_values
    page = f"/admin-center/tenants/{values['tenant_id']}/apps/{values['app_id']}/credentials/"
    response = admin_client.get(f"{page}secrets/new/")
    assert response.status_code == 302
    assert response["Location"] == page
    assert admin_client.put(f"{page}secrets/new/").status_code == 405
