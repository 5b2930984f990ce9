"""Creating tenants in the admin center: field errors for bad input, and the happy path."""

import pytest
from django.conf import settings
from django.test import Client

from tenants.models import AdminRole, RoleAssignment, Tenant

CREATE_URL = "/admin-center/tenants/new/"


def post_create(client: Client, **overrides: str) -> tuple[int, str]:
    data = {"display_name": "Woodgrove", "domain_name": "woodgrove", "country": "GB"}
    data.update(overrides)
    response = client.post(CREATE_URL, data)
    return response.status_code, response.text


def test_create_tenant_through_the_form(admin_client: Client, global_admin: object) -> None:
    response = admin_client.post(
        CREATE_URL, {"display_name": "Woodgrove", "domain_name": "woodgrove", "country": "GB"}
    )
    tenant = Tenant.objects.get(domain_name="woodgrove")
    assert response.status_code == 302
    assert response["Location"] == f"/admin-center/tenants/{tenant.tenant_id}/"
    assert RoleAssignment.objects.filter(
        tenant=tenant, operator=global_admin, role=AdminRole.GLOBAL_ADMINISTRATOR
    ).exists()
    overview = admin_client.get(response["Location"])
    assert overview.status_code == 200
    for text in (
        "woodgrove",
        str(tenant.tenant_id),
        "United Kingdom",
        f"{settings.CIAM_BASE_URL}/woodgrove/v2.0",
        "/woodgrove/oauth2/v2.0/token",
        "/woodgrove/discovery/v2.0/keys",
    ):
        assert text in overview.text, text
    # Counts come from the tenant's own schema.
    assert overview.context["counts"].customers == 0


@pytest.mark.parametrize(
    ("domain_name", "message"),
    [
        ("", "This field is required."),
        ("ab", "at least 3 characters"),
        ("a" * 64, "at most 63 characters"),
        ("x" * 300, "at most 63 characters"),
        ("Contoso", "lower-case letters only"),
        ("contoso corp", "lower-case letters (a-z), digits and hyphens"),
        ("-contoso", "starting and ending with a letter or digit"),
        ("contoso-", "starting and ending with a letter or digit"),
        ("con_toso", "lower-case letters (a-z), digits and hyphens"),
        ("contoso.com", "lower-case letters (a-z), digits and hyphens"),
        ("<script>", "lower-case letters (a-z), digits and hyphens"),
        ("müller", "ASCII"),
        ("日本語テナント", "ASCII"),
        ("admin-center", "reserved"),
        ("static", "reserved"),
        ("api", "reserved"),
        ("media", "reserved"),
        ("0b7e4d9c2f7a4d539a3e6a1f1c2b3d4e", "shape of a tenant ID"),
        ("0b7e4d9c-2f7a-4d53-9a3e-6a1f1c2b3d4e", "shape of a tenant ID"),
    ],
)
def test_bad_domain_names_get_a_clear_field_error(
    admin_client: Client, domain_name: str, message: str
) -> None:
    before = Tenant.objects.count()
    status, html = post_create(admin_client, domain_name=domain_name)
    assert status == 200
    assert message in html.replace("&#x27;", "'").replace("&quot;", '"')
    assert 'class="field has-error"' in html
    assert Tenant.objects.count() == before


def test_duplicate_domain_name_gets_a_clear_field_error(
    admin_client: Client, tenant_a: Tenant
) -> None:
    status, html = post_create(admin_client, domain_name=tenant_a.domain_name)
    assert status == 200
    assert "is already taken" in html
    assert Tenant.objects.filter(domain_name=tenant_a.domain_name).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "", "This field is required."),
        ("display_name", "n" * 257, "at most 256 characters"),
        ("country", "", "This field is required."),
        ("country", "XX", "Select a valid choice"),
    ],
)
def test_other_bad_fields_get_field_errors(
    admin_client: Client, field: str, value: str, message: str
) -> None:
    status, html = post_create(admin_client, **{field: value})
    assert status == 200
    assert message in html
    assert not Tenant.objects.filter(domain_name="woodgrove").exists()


def test_repeated_and_garbage_parameters_do_not_crash(admin_client: Client) -> None:
    response = admin_client.post(
        CREATE_URL,
        "domain_name=a&domain_name=b&display_name=%ff%fe&country=GB",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    response = admin_client.post(
        CREATE_URL, '{"domain_name": "x"}', content_type="application/json"
    )
    assert response.status_code == 200
    assert "This field is required." in response.text


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get(CREATE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin-center/sign-in/?next=")
