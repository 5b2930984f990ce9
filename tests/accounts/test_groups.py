"""Groups of customers: names unique ignoring case, the limits, membership both ways, and the
lists read by keyset."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import selectors, services
from accounts.models import CustomerGroup, CustomerGroupMembership
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer


def test_a_group_name_is_unique_ignoring_case_and_within_its_limits(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        gold = services.group_create(display_name="  Gold members ", description="Top tier")
        assert gold.display_name == "Gold members"
        with pytest.raises(ValidationError) as taken:
            services.group_create(display_name="GOLD MEMBERS")
        assert "display_name" in taken.value.message_dict
        with pytest.raises(ValidationError):
            services.group_create(display_name="x" * 257)
        with pytest.raises(ValidationError):
            services.group_create(display_name="   ")
        with pytest.raises(ValidationError):
            services.group_create(display_name="Silver", description="d" * 1025)
        assert services.group_create(display_name="x" * 256, description="d" * 1024)
        silver = services.group_create(display_name="Silver")
        with pytest.raises(ValidationError):
            services.group_update(group=silver, display_name="gold Members", description="")
        silver.refresh_from_db()
        assert silver.display_name == "Silver"
        renamed = services.group_update(group=silver, display_name="Platinum", description="P")
        assert (renamed.display_name, renamed.object_id) == ("Platinum", silver.object_id)


def test_members_are_added_once_and_read_both_ways(tenant_a: Tenant) -> None:
    ann = make_customer(tenant_a, "ann@example.com")
    bob = make_customer(tenant_a, "bob@example.com")
    with in_tenant(tenant_a):
        gold = services.group_create(display_name="Gold")
        beta = services.group_create(display_name="beta testers")
        assert services.group_member_add(group=gold, user=ann) is True
        assert services.group_member_add(group=gold, user=ann) is False
        services.group_member_add(group=gold, user=bob)
        services.group_member_add(group=beta, user=ann)
        assert [g.display_name for g in selectors.groups_of(user=ann)] == ["beta testers", "Gold"]
        assert [u.email for u in selectors.group_members(group=gold).members] == [
            "ann@example.com",
            "bob@example.com",
        ]
        assert services.group_member_remove(group=gold, user=ann) is True
        assert services.group_member_remove(group=gold, user=ann) is False
        assert [g.display_name for g in selectors.groups_of(user=ann)] == ["beta testers"]
        services.group_delete(group=beta)
        assert selectors.groups_of(user=ann) == []
        assert not CustomerGroupMembership.objects.filter(user=ann).exists()


def test_a_deleted_customer_joins_no_group(tenant_a: Tenant) -> None:
    ann = make_customer(tenant_a, "gone@example.com")
    with in_tenant(tenant_a):
        services.customer_delete(customer=ann)
        group = services.group_create(display_name="Any")
        with pytest.raises(services.GroupMemberDeleted):
            services.group_member_add(group=group, user=ann)
        assert selectors.customer_get_by_email(email="GONE@example.com") is None


def test_lists_are_paged_by_keyset_and_searched_by_prefix(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        CustomerGroup.objects.bulk_create(
            CustomerGroup(display_name=f"Team {number:03d}") for number in range(7)
        )
        services.group_create(display_name="Other")
        first = selectors.group_list(search="team", size=3)
        assert [g.display_name for g in first.groups] == ["Team 000", "Team 001", "Team 002"]
        second = selectors.group_list(search="TEAM", cursor=first.next_cursor, size=3)
        assert [g.display_name for g in second.groups] == ["Team 003", "Team 004", "Team 005"]
        last = selectors.group_list(search="team", cursor=second.next_cursor, size=3)
        assert [g.display_name for g in last.groups] == ["Team 006"]
        assert last.next_cursor is None
        # A cursor that does not read back is the first page, never an error.
        assert selectors.group_list(cursor="%%%not-a-cursor", size=1).groups[0].display_name == (
            "Other"
        )
        group = CustomerGroup.objects.get(display_name="Team 000")
        for number in range(5):
            customer = make_customer(tenant_a, f"member{number}@example.com")
            CustomerGroupMembership.objects.create(group=group, user=customer)
        with CaptureQueriesContext(connection) as queries:
            page = selectors.group_members(group=group, size=2)
            page = selectors.group_members(group=group, cursor=page.next_cursor, size=2)
        assert [u.email for u in page.members] == ["member2@example.com", "member3@example.com"]
        assert len(queries) == 2  # one statement per page
