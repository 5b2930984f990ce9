"""Writing policies and named locations: what each refuses (every problem at once, named by
the argument, nothing stored), how ranges are normalised, updates that replace or leave the row
as it was, and a named location in use that cannot be removed."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from protection.conditional_access import (
    MAX_POLICIES,
    ConditionalAccessInvalid,
    NamedLocationInUse,
    PolicySettings,
    conditional_access_policy_create,
    conditional_access_policy_delete,
    conditional_access_policy_update,
    ip_range_clean,
    named_location_create,
    named_location_delete,
    named_location_update,
)
from protection.models import ConditionalAccessPolicy, NamedLocation
from protection.selectors import excluded_customer_emails, named_location_policies
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer


@pytest.fixture
def in_a(tenant_a: Tenant) -> Iterator[None]:
    with in_tenant(tenant_a):
        yield


def settings(**overrides: Any) -> PolicySettings:
    return PolicySettings(**{"name": "Require MFA", "state": "on", "grant": "mfa", **overrides})


def policy_errors(**overrides: Any) -> dict[str, list[str]]:
    with pytest.raises(ConditionalAccessInvalid) as raised:
        conditional_access_policy_create(settings=settings(**overrides))
    assert not ConditionalAccessPolicy.objects.exists()
    return raised.value.errors


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("203.0.113.0/24", "203.0.113.0/24"),
        (" 203.0.113.7 ", "203.0.113.7/32"),
        ("2001:DB8::/32", "2001:db8::/32"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("10.0.0.0/8", "10.0.0.0/8"),
    ],
)
def test_ranges_are_stored_normalised(given: str, stored: str) -> None:
    assert ip_range_clean(given) == stored


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("203.0.113.7/24", "the range is 203.0.113.0/24"),
        ("2001:db8::1/32", "the range is 2001:db8::/32"),
        ("0.0.0.0/0", "too wide"),
        ("2000::/3", "too wide"),
        ("300.1.1.1", "no IPv4 or IPv6 range"),
        ("office", "no IPv4 or IPv6 range"),
        ("10.0.0.0/33", "no IPv4 or IPv6 range"),
    ],
)
def test_bad_ranges_say_why(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ip_range_clean(given)


def test_named_location_create_update_and_errors(in_a: None) -> None:
    location = named_location_create(
        name=" Head office ",
        ip_ranges=["203.0.113.0/24", "", "203.0.113.0/24", "2001:db8::/48"],
        trusted=True,
    )
    stored = NamedLocation.objects.get()
    assert (stored.name, stored.trusted) == ("Head office", True)
    assert stored.ip_ranges == ["203.0.113.0/24", "2001:db8::/48"]

    with pytest.raises(ConditionalAccessInvalid) as raised:
        named_location_create(name="HEAD OFFICE", ip_ranges=["nowhere", "1.2.3.4/33"])
    assert set(raised.value.errors) == {"name", "ip_ranges"}
    assert len(raised.value.errors["ip_ranges"]) == 2
    with pytest.raises(ConditionalAccessInvalid) as raised:
        named_location_create(name="Empty", ip_ranges=["  "])
    assert raised.value.errors == {"ip_ranges": ["Enter at least one IP range."]}
    assert NamedLocation.objects.count() == 1

    with pytest.raises(ConditionalAccessInvalid):
        named_location_update(
            location=location, name="", ip_ranges=["198.51.100.0/24"], trusted=False
        )
    stored.refresh_from_db()
    assert stored.name == "Head office"
    assert stored.ip_ranges == ["203.0.113.0/24", "2001:db8::/48"]
    named_location_update(
        location=location, name="Branch", ip_ranges=["198.51.100.1"], trusted=False
    )
    stored.refresh_from_db()
    assert (stored.name, stored.ip_ranges, stored.trusted) == ("Branch", ["198.51.100.1/32"], False)
    assert location.name == "Branch"


def test_policy_is_stored_with_its_relations(tenant_a: Tenant, in_a: None) -> None:
    make_customer(tenant_a, "bob@example.com")
    office = named_location_create(name="Office", ip_ranges=["203.0.113.0/24"])
    home = named_location_create(name="Home", ip_ranges=["198.51.100.0/24"])
    policy = conditional_access_policy_create(
        settings=settings(
            name="  Office MFA ",
            state="report_only",
            excluded_customer_emails=["Bob@Example.com", "bob@example.com"],
            all_apps=False,
            client_ids=["app-1", "app-1", "app-2"],
            excluded_client_ids=["app-3"],
            risk_levels=["high", "low"],
            locations="selected",
            included_location_ids=[str(office.location_id)],
            excluded_location_ids=[home.location_id],
        )
    )
    stored = ConditionalAccessPolicy.objects.get()
    assert stored.name == "Office MFA"
    assert stored.state == "report_only"
    assert stored.client_ids == ["app-1", "app-2"]
    assert stored.excluded_client_ids == ["app-3"]
    assert stored.risk_levels == ["low", "high"]
    assert excluded_customer_emails(stored) == ["bob@example.com"]
    assert list(stored.included_locations.all()) == [office]
    assert list(stored.excluded_locations.all()) == [home]
    assert named_location_policies(office) == named_location_policies(home) == ["Office MFA"]
    assert policy.pk == stored.pk


def test_policy_errors_are_all_named(tenant_a: Tenant, in_a: None) -> None:
    named_location_create(name="Office", ip_ranges=["203.0.113.0/24"])
    errors = policy_errors(
        name=" ",
        state="enabled",
        grant="allow",
        excluded_customer_emails=["nobody@example.com"],
        all_apps=False,
        risk_levels=["severe"],
        locations="selected",
        excluded_location_ids=[str(uuid.uuid4())],
    )
    assert set(errors) == {
        "name",
        "state",
        "grant",
        "excluded_customer_emails",
        "client_ids",
        "risk_levels",
        "included_location_ids",
        "excluded_location_ids",
    }
    assert errors["excluded_customer_emails"] == [
        "No customer has the address “nobody@example.com”."
    ]


def test_policy_contradictions_are_refused(tenant_a: Tenant, in_a: None) -> None:
    office = named_location_create(name="Office", ip_ranges=["203.0.113.0/24"])
    errors = policy_errors(
        all_apps=False,
        client_ids=["app-1"],
        excluded_client_ids=["app-1"],
        locations="selected",
        included_location_ids=[office.location_id],
        excluded_location_ids=[office.location_id],
    )
    assert set(errors) == {"excluded_client_ids", "excluded_location_ids"}
    errors = policy_errors(locations="trusted", exclude_trusted_locations=True)
    assert set(errors) == {"locations"}
    errors = policy_errors(excluded_location_ids=["not-a-uuid"])
    assert set(errors) == {"excluded_location_ids"}


def test_a_deleted_customer_cannot_be_excluded(tenant_a: Tenant, in_a: None) -> None:
    customer = make_customer(tenant_a, "gone@example.com")
    customer.deleted_at = customer.created_at
    customer.save()
    assert set(policy_errors(excluded_customer_emails=["gone@example.com"])) == {
        "excluded_customer_emails"
    }


def test_all_apps_drops_the_selection_and_other_scopes_drop_included_locations(
    in_a: None,
) -> None:
    office = named_location_create(name="Office", ip_ranges=["203.0.113.0/24"])
    conditional_access_policy_create(
        settings=settings(client_ids=["app-1"], included_location_ids=[office.location_id])
    )
    stored = ConditionalAccessPolicy.objects.get()
    assert stored.client_ids == []
    assert not stored.included_locations.exists()


def test_names_are_unique_ignoring_case(in_a: None) -> None:
    conditional_access_policy_create(settings=settings())
    with pytest.raises(ConditionalAccessInvalid) as raised:
        conditional_access_policy_create(settings=settings(name="require mfa"))
    assert set(raised.value.errors) == {"name"}


def test_policy_limit(in_a: None) -> None:
    ConditionalAccessPolicy.objects.bulk_create(
        ConditionalAccessPolicy(name=f"P{number}", grant="mfa") for number in range(MAX_POLICIES)
    )
    with pytest.raises(ConditionalAccessInvalid) as raised:
        conditional_access_policy_create(settings=settings())
    assert set(raised.value.errors) == {"__all__"}


def test_update_replaces_or_leaves_the_policy_as_it_was(tenant_a: Tenant, in_a: None) -> None:
    make_customer(tenant_a, "bob@example.com")
    office = named_location_create(name="Office", ip_ranges=["203.0.113.0/24"])
    policy = conditional_access_policy_create(
        settings=settings(
            excluded_customer_emails=["bob@example.com"],
            excluded_location_ids=[office.location_id],
        )
    )
    with pytest.raises(ConditionalAccessInvalid):
        conditional_access_policy_update(
            policy=policy, settings=settings(name="Changed", grant="nothing")
        )
    stored = ConditionalAccessPolicy.objects.get()
    assert (stored.name, stored.grant) == ("Require MFA", "mfa")
    assert excluded_customer_emails(stored) == ["bob@example.com"]

    conditional_access_policy_update(
        policy=policy, settings=settings(name="Block", grant="block", state="off")
    )
    stored.refresh_from_db()
    assert (stored.name, stored.grant, stored.state) == ("Block", "block", "off")
    assert excluded_customer_emails(stored) == []
    assert not stored.excluded_locations.exists()
    assert (policy.name, policy.updated_at) == ("Block", stored.updated_at)
    # Its own name is no clash.
    conditional_access_policy_update(policy=policy, settings=settings(name="BLOCK"))


def test_a_location_in_use_stays_until_no_policy_names_it(in_a: None) -> None:
    office = named_location_create(name="Office", ip_ranges=["203.0.113.0/24"])
    policy = conditional_access_policy_create(
        settings=settings(excluded_location_ids=[office.location_id])
    )
    with pytest.raises(NamedLocationInUse) as raised:
        named_location_delete(location=office)
    assert raised.value.policy_names == ["Require MFA"]
    assert NamedLocation.objects.exists()
    conditional_access_policy_delete(policy=policy)
    named_location_delete(location=office)
    assert not NamedLocation.objects.exists()
