"""Conditional access in the admin center: who may open it, a policy added from the form (the
tenant's apps and named locations offered, its errors on the fields, nothing stored), edited,
and deleted after confirmation; named locations likewise, one in use kept; every change in the
audit log; another tenant's rows answer 404."""

import uuid

import pytest
from django.test import Client

from apps.models import AppRegistration, Platform
from apps.services import app_register
from protection.conditional_access import (
    PolicySettings,
    conditional_access_policy_create,
    named_location_create,
)
from protection.models import ConditionalAccessPolicy, NamedLocation
from protection.selectors import excluded_customer_emails
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, make_customer, operator_client


def ca_url(tenant: Tenant, rest: str = "") -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/conditional-access/{rest}"


@pytest.fixture
def admin(tenant_a: Tenant, operator_factory: MakeOperator) -> Client:
    operator = operator_factory(tenant=tenant_a, roles=[AdminRole.CONDITIONAL_ACCESS_ADMINISTRATOR])
    return operator_client(operator.email)


@pytest.fixture
def shop(tenant_a: Tenant) -> AppRegistration:
    with in_tenant(tenant_a):
        return app_register(
            name="Shop", platform=Platform.WEB, redirect_uris=["https://shop.example/cb"]
        )


def policies(tenant: Tenant) -> list[ConditionalAccessPolicy]:
    with in_tenant(tenant):
        return list(ConditionalAccessPolicy.objects.all())


def audit_entries(tenant: Tenant, action: AuditAction) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id, action=action))


def good_policy(**overrides: object) -> dict[str, object]:
    return {
        "name": "Shop needs MFA",
        "excluded_customer_emails": "",
        "apps": "all",
        "locations": "any",
        "grant": "mfa",
        "state": "on",
        **overrides,
    }


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (AdminRole.CONDITIONAL_ACCESS_ADMINISTRATOR, True),
        (AdminRole.GLOBAL_ADMINISTRATOR, True),
        (AdminRole.AUTHENTICATION_POLICY_ADMINISTRATOR, False),
        (AdminRole.APPLICATION_ADMINISTRATOR, False),
        (AdminRole.USER_ADMINISTRATOR, False),
    ],
)
def test_who_may_manage_conditional_access(
    tenant_a: Tenant, operator_factory: MakeOperator, role: AdminRole, allowed: bool
) -> None:
    client = operator_client(operator_factory(tenant=tenant_a, roles=[role]).email)
    for rest in ("policies/", "policies/add/", "named-locations/", "named-locations/add/"):
        assert client.get(ca_url(tenant_a, rest)).status_code == (200 if allowed else 403), rest
    response = client.post(ca_url(tenant_a, "policies/add/"), good_policy())
    assert response.status_code == (302 if allowed else 403)
    assert len(policies(tenant_a)) == (1 if allowed else 0)
    home = client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/").content.decode()
    assert (ca_url(tenant_a, "policies/") in home) is allowed


def test_add_a_policy_for_one_app_with_exclusions(
    tenant_a: Tenant, admin: Client, shop: AppRegistration
) -> None:
    make_customer(tenant_a, "tester@example.com")
    with in_tenant(tenant_a):
        office = named_location_create(name="Office", ip_ranges=["203.0.113.0/24"], trusted=True)
        app_register(name="Nightly job", platform=Platform.DAEMON)
    form = admin.get(ca_url(tenant_a, "policies/add/")).content.decode()
    assert "Shop" in form
    assert shop.client_id in form
    assert "Nightly job" not in form  # a daemon signs no customer in
    assert "Office (trusted)" in form
    assert 'value="report_only" id="id_state_0" required checked' in form  # Entra's start

    response = admin.post(
        ca_url(tenant_a, "policies/add/"),
        good_policy(
            excluded_customer_emails="Tester@example.com",
            apps="selected",
            client_ids=[shop.client_id],
            risk_levels=["medium", "high"],
            exclude_trusted_locations="on",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == ca_url(tenant_a, "policies/")
    (policy,) = policies(tenant_a)
    assert (policy.state, policy.grant, policy.all_apps) == ("on", "mfa", False)
    assert policy.client_ids == [shop.client_id]
    assert policy.risk_levels == ["medium", "high"]
    assert policy.exclude_trusted_locations
    with in_tenant(tenant_a):
        assert excluded_customer_emails(policy) == ["tester@example.com"]
    listing = admin.get(ca_url(tenant_a, "policies/")).content.decode()
    assert "Shop needs MFA" in listing
    assert "Require multifactor authentication" in listing
    (entry,) = audit_entries(tenant_a, AuditAction.CONDITIONAL_ACCESS_POLICY_ADDED)
    assert entry.target == f"Shop needs MFA ({policy.policy_id})"
    assert entry.details["client_ids"] == [shop.client_id]
    assert entry.details["excluded_customers"] == ["tester@example.com"]
    assert office.name == "Office"


@pytest.mark.parametrize(
    ("posted", "field_message"),
    [
        ({"name": ""}, "This field is required."),
        ({"excluded_customer_emails": "ghost@example.com"}, "No customer has the address"),
        ({"apps": "selected"}, "Select at least one app, or choose all apps."),
        ({"apps": "selected", "client_ids": ["not-an-app"]}, "Select a valid choice."),
        ({"grant": "allow"}, "Select a valid choice."),
        ({"state": "maybe"}, "Select a valid choice."),
        ({"risk_levels": ["extreme"]}, "Select a valid choice."),
        ({"locations": "selected"}, "Select at least one named location."),
        ({"excluded_location_ids": [str(uuid.uuid4())]}, "Select a valid choice."),
    ],
)
def test_bad_policies_are_field_errors_and_nothing_is_stored(
    tenant_a: Tenant,
    admin: Client,
    shop: AppRegistration,
    posted: dict[str, object],
    field_message: str,
) -> None:
    response = admin.post(ca_url(tenant_a, "policies/add/"), good_policy(**posted))
    assert response.status_code == 400
    page = response.content.decode()
    assert field_message in page
    assert 'role="alert"' in page
    assert policies(tenant_a) == []
    assert audit_entries(tenant_a, AuditAction.CONDITIONAL_ACCESS_POLICY_ADDED) == []


def test_a_taken_name_is_a_field_error(tenant_a: Tenant, admin: Client) -> None:
    admin.post(ca_url(tenant_a, "policies/add/"), good_policy())
    response = admin.post(ca_url(tenant_a, "policies/add/"), good_policy(name="SHOP NEEDS MFA"))
    assert response.status_code == 400
    assert "is taken" in response.content.decode()
    assert len(policies(tenant_a)) == 1


def test_edit_shows_the_policy_and_saving_replaces_it(
    tenant_a: Tenant, admin: Client, shop: AppRegistration
) -> None:
    make_customer(tenant_a, "tester@example.com")
    with in_tenant(tenant_a):
        office = named_location_create(name="Office", ip_ranges=["203.0.113.0/24"])
        policy = conditional_access_policy_create(
            settings=PolicySettings(
                name="Office block",
                state="report_only",
                grant="block",
                excluded_customer_emails=["tester@example.com"],
                locations="selected",
                included_location_ids=[office.location_id],
            )
        )
    url = ca_url(tenant_a, f"policies/{policy.policy_id}/")
    page = admin.get(url).content.decode()
    assert "tester@example.com</textarea>" in page
    assert f'value="{office.location_id}" id="id_included_location_ids_0" checked' in page

    response = admin.post(url, good_policy(name="Office block", grant="block", state="off"))
    assert response.status_code == 302
    (stored,) = policies(tenant_a)
    assert (stored.state, stored.locations) == ("off", "any")
    with in_tenant(tenant_a):
        assert excluded_customer_emails(stored) == []
        assert not stored.included_locations.exists()
    (entry,) = audit_entries(tenant_a, AuditAction.CONDITIONAL_ACCESS_POLICY_UPDATED)
    assert entry.details["before"] == {
        "state": "report_only",
        "excluded_customers": ["tester@example.com"],
        "locations": "selected",
        "included_locations": ["Office"],
    }
    assert entry.details["after"]["state"] == "off"


def test_delete_after_confirmation(tenant_a: Tenant, admin: Client) -> None:
    with in_tenant(tenant_a):
        policy = conditional_access_policy_create(
            settings=PolicySettings(name="Doomed", state="on", grant="block")
        )
    url = ca_url(tenant_a, f"policies/{policy.policy_id}/remove/")
    page = admin.get(url).content.decode()
    assert "Delete Doomed?" in page
    assert "Block access" in page
    assert len(policies(tenant_a)) == 1
    response = admin.post(url)
    assert response.status_code == 302
    assert policies(tenant_a) == []
    (entry,) = audit_entries(tenant_a, AuditAction.CONDITIONAL_ACCESS_POLICY_REMOVED)
    assert entry.target == f"Doomed ({policy.policy_id})"


def test_named_locations_add_edit_and_errors(tenant_a: Tenant, admin: Client) -> None:
    response = admin.post(
        ca_url(tenant_a, "named-locations/add/"),
        {"name": "Office", "ip_ranges": "203.0.113.9/24\n0.0.0.0/0\nhome"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "the range is 203.0.113.0/24" in page
    assert "too wide" in page
    assert "“home” is no IPv4 or IPv6 range" in page
    with in_tenant(tenant_a):
        assert not NamedLocation.objects.exists()

    response = admin.post(
        ca_url(tenant_a, "named-locations/add/"),
        {"name": "Office", "ip_ranges": "203.0.113.0/24\n2001:db8::/48", "trusted": "on"},
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        location = NamedLocation.objects.get()
    assert location.ip_ranges == ["203.0.113.0/24", "2001:db8::/48"]
    assert location.trusted
    listing = admin.get(ca_url(tenant_a, "named-locations/")).content.decode()
    assert "2001:db8::/48" in listing

    url = ca_url(tenant_a, f"named-locations/{location.location_id}/")
    assert "203.0.113.0/24\n2001:db8::/48</textarea>" in admin.get(url).content.decode()
    response = admin.post(url, {"name": "Branch", "ip_ranges": "198.51.100.7"})
    assert response.status_code == 302
    with in_tenant(tenant_a):
        location.refresh_from_db()
    assert (location.name, location.ip_ranges, location.trusted) == (
        "Branch",
        ["198.51.100.7/32"],
        False,
    )
    (added,) = audit_entries(tenant_a, AuditAction.NAMED_LOCATION_ADDED)
    assert added.details["ip_ranges"] == ["203.0.113.0/24", "2001:db8::/48"]
    (updated,) = audit_entries(tenant_a, AuditAction.NAMED_LOCATION_UPDATED)
    assert updated.details["after"] == {
        "name": "Branch",
        "ip_ranges": ["198.51.100.7/32"],
        "trusted": False,
    }


def test_a_location_in_use_is_kept(tenant_a: Tenant, admin: Client) -> None:
    with in_tenant(tenant_a):
        office = named_location_create(name="Office", ip_ranges=["203.0.113.0/24"])
        policy = conditional_access_policy_create(
            settings=PolicySettings(
                name="Outside office",
                state="on",
                grant="mfa",
                excluded_location_ids=[office.location_id],
            )
        )
    url = ca_url(tenant_a, f"named-locations/{office.location_id}/remove/")
    page = admin.get(url).content.decode()
    assert "Outside office" in page
    assert 'class="button danger"' not in page
    response = admin.post(url)
    assert response.status_code == 409
    with in_tenant(tenant_a):
        assert NamedLocation.objects.exists()
        policy.delete()
    assert admin.post(url).status_code == 302
    with in_tenant(tenant_a):
        assert not NamedLocation.objects.exists()
    assert len(audit_entries(tenant_a, AuditAction.NAMED_LOCATION_REMOVED)) == 1


def test_another_tenants_rows_are_not_found(
    tenant_a: Tenant, tenant_b: Tenant, admin: Client
) -> None:
    with in_tenant(tenant_b):
        location = named_location_create(name="B office", ip_ranges=["203.0.113.0/24"])
        policy = conditional_access_policy_create(
            settings=PolicySettings(name="B policy", state="on", grant="block")
        )
    for rest in (
        f"policies/{policy.policy_id}/",
        f"policies/{policy.policy_id}/remove/",
        f"named-locations/{location.location_id}/",
        f"named-locations/{location.location_id}/remove/",
    ):
        assert admin.get(ca_url(tenant_a, rest)).status_code == 404, rest
        assert admin.post(ca_url(tenant_a, rest)).status_code == 404, rest
    with in_tenant(tenant_b):
        assert ConditionalAccessPolicy.objects.exists()
        assert NamedLocation.objects.exists()
