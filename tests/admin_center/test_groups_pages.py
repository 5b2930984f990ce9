"""The admin center's Groups section, an app's Users and groups and Token configuration tabs,
the App roles' member types, and the customer's groups and roles: each write audited."""

from django.test import Client

from accounts import selectors
from accounts.models import CustomerGroup
from apps import services as app_services
from apps.assignments import app_role_assign
from apps.models import AppRoleAssignment, GroupMembershipClaims
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, make_customer, operator_client
from tests.factories.flows import FlowWorld


def groups_url(tenant: Tenant, rest: str = "") -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/groups/{rest}"


def audited(tenant: Tenant, action: AuditAction) -> list[AuditEntry]:
    """The tenant's own entries: other tests' tenants commit theirs (the management API's)."""
    return list(
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id, action=action).order_by("id")
    )


def test_an_admin_creates_edits_fills_and_deletes_a_group(
    admin_client: Client, tenant_a: Tenant
) -> None:
    ann = make_customer(tenant_a, "ann@example.com")
    made = admin_client.post(
        groups_url(tenant_a, "new/"), {"display_name": "Gold", "description": "Top"}
    )
    assert made.status_code == 302
    with in_tenant(tenant_a):
        group = CustomerGroup.objects.get(display_name="Gold")
    assert made["Location"] == groups_url(tenant_a, f"{group.object_id}/")
    twice = admin_client.post(groups_url(tenant_a, "new/"), {"display_name": "GOLD"})
    assert twice.status_code == 400
    assert "A group of this name already exists." in twice.text

    page = groups_url(tenant_a, f"{group.object_id}/")
    assert admin_client.post(
        page, {"display_name": "Gold tier", "description": ""}
    ).status_code == (302)
    unknown = admin_client.post(f"{page}members/add/", {"email": "nobody@example.com"})
    assert unknown.status_code == 400
    assert "No customer of this tenant has this email address." in unknown.text
    assert admin_client.post(f"{page}members/add/", {"email": "ANN@example.com"}).status_code == (
        302
    )
    shown = admin_client.get(page)
    assert [member.email for member in shown.context["members"]] == ["ann@example.com"]
    listed = admin_client.get(groups_url(tenant_a), {"q": "gold"})
    assert [g.display_name for g in listed.context["groups"]] == ["Gold tier"]
    assert 'href="/admin-center/tenants/' in listed.text
    assert ">Groups</a>" in listed.text  # the tenant navigation

    customer_page = admin_client.get(
        f"/admin-center/tenants/{tenant_a.tenant_id}/customers/{ann.object_id}/"
    )
    assert "Gold tier" in customer_page.text

    assert admin_client.post(f"{page}members/{ann.object_id}/remove/").status_code == 302
    with in_tenant(tenant_a):
        assert selectors.groups_of(user=ann) == []
    assert admin_client.get(f"{page}delete/").status_code == 200
    assert admin_client.post(f"{page}delete/").status_code == 302
    with in_tenant(tenant_a):
        assert not CustomerGroup.objects.filter(pk=group.pk).exists()

    assert [e.target for e in audited(tenant_a, AuditAction.GROUP_CREATED)] == [
        f"Gold ({group.object_id})"
    ]
    updated = audited(tenant_a, AuditAction.GROUP_UPDATED)[0]
    assert updated.details["after"] == {"display_name": "Gold tier", "description": ""}
    assert (
        audited(tenant_a, AuditAction.GROUP_MEMBER_ADDED)[0].details["member"] == "ann@example.com"
    )
    assert len(audited(tenant_a, AuditAction.GROUP_MEMBER_REMOVED)) == 1
    assert len(audited(tenant_a, AuditAction.GROUP_DELETED)) == 1


def test_an_app_assigns_roles_to_customers_and_groups(
    admin_client: Client, flow_world: FlowWorld
) -> None:
    tenant, app = flow_world.tenant, flow_world.app
    ann = make_customer(tenant, "role@example.com")
    base = f"/admin-center/tenants/{tenant.tenant_id}/apps/{app.object_id}/"
    added = admin_client.post(
        f"{base}expose-api/roles/new/",
        {
            "value": "Shop.Admin",
            "display_name": "Admin",
            "description": "",
            "allowed_member_types": "user",
        },
    )
    assert added.status_code == 302
    with in_tenant(tenant):
        role = app.app_roles.get(value="Shop.Admin")
        daemon_role = app_services.app_role_add(app=app, value="Sync", display_name="Sync")
        group = CustomerGroup.objects.create(display_name="Staff")
    assert role.allowed_member_types == "user"
    tab = admin_client.get(f"{base}users-groups/")
    assert tab.status_code == 200
    assert "Admin (Shop.Admin)" in tab.text
    assert "Sync" not in tab.text  # for applications only: not offered

    by_email = admin_client.post(
        f"{base}users-groups/new/", {"role": str(role.role_id), "email": "role@example.com"}
    )
    assert by_email.status_code == 302
    by_group = admin_client.post(
        f"{base}users-groups/new/", {"role": str(role.role_id), "group": "staff"}
    )
    assert by_group.status_code == 302
    again = admin_client.post(
        f"{base}users-groups/new/", {"role": str(role.role_id), "group": "Staff"}
    )
    assert again.status_code == 400
    both = admin_client.post(
        f"{base}users-groups/new/",
        {"role": str(role.role_id), "group": "Staff", "email": "role@example.com"},
    )
    assert both.status_code == 400
    not_for_users = admin_client.post(
        f"{base}users-groups/new/", {"role": str(daemon_role.role_id), "group": "Staff"}
    )
    assert not_for_users.status_code == 400
    with in_tenant(tenant):
        assignments = list(AppRoleAssignment.objects.filter(role=role))
    assert {(a.user_id, a.group_id) for a in assignments} == {(ann.pk, None), (None, group.pk)}
    customer_page = admin_client.get(
        f"/admin-center/tenants/{tenant.tenant_id}/customers/{ann.object_id}/"
    )
    assert "Shop.Admin" in customer_page.text
    assert "Directly" in customer_page.text

    # A role still assigned cannot stop being for users.
    refused = admin_client.post(
        f"{base}expose-api/roles/{role.role_id}/member-types/",
        {"allowed_member_types": "application"},
        follow=True,
    )
    assert "Remove the role&#x27;s user and group assignments first." in refused.text
    direct = next(a for a in assignments if a.user_id)
    removed = admin_client.post(f"{base}users-groups/{direct.assignment_id}/remove/")
    assert removed.status_code == 302
    assert [e.details["role"] for e in audited(tenant, AuditAction.APP_ROLE_ASSIGNED)] == [
        "Shop.Admin",
        "Shop.Admin",
    ]
    assert (
        audited(tenant, AuditAction.APP_ROLE_UNASSIGNED)[0].details["customer"]
        == "role@example.com"
    )
    assert (
        admin_client.post(
            f"{base}expose-api/roles/{daemon_role.role_id}/member-types/",
            {"allowed_member_types": "both"},
        ).status_code
        == 302
    )
    assert audited(tenant, AuditAction.APP_ROLE_UPDATED)[0].details["after"] == {
        "allowed_member_types": "both"
    }


def test_the_token_configuration_sets_the_groups_claim(
    admin_client: Client, flow_world: FlowWorld
) -> None:
    tenant, app = flow_world.tenant, flow_world.app
    base = f"/admin-center/tenants/{tenant.tenant_id}/apps/{app.object_id}/token-configuration/"
    page = admin_client.get(base)
    assert page.status_code == 200
    assert "Add groups claim" in page.text
    saved = admin_client.post(f"{base}groups-claim/", {"group_membership_claims": "all"})
    assert saved.status_code == 302
    with in_tenant(tenant):
        app.refresh_from_db()
    assert app.group_membership_claims == GroupMembershipClaims.ALL
    assert (
        admin_client.post(
            f"{base}groups-claim/", {"group_membership_claims": "everything"}
        ).status_code
        == 400
    )
    entry = audited(tenant, AuditAction.APP_CLAIMS_UPDATED)[0]
    assert entry.details["after"] == {"groups_claim": "all"}


def test_group_pages_need_the_customers_capability(
    operator_factory: MakeOperator, flow_world: FlowWorld
) -> None:
    """An Application Administrator manages apps, not customers: no Groups, but assignments."""
    tenant = flow_world.tenant
    operator_factory(
        "apps@admins.example", tenant=tenant, roles=[AdminRole.APPLICATION_ADMINISTRATOR]
    )
    client = operator_client("apps@admins.example")
    assert client.get(groups_url(tenant)).status_code == 403
    base = f"/admin-center/tenants/{tenant.tenant_id}/apps/{flow_world.app.object_id}/"
    assert client.get(f"{base}users-groups/").status_code == 200
    with in_tenant(tenant):
        role = app_services.app_role_add(
            app=flow_world.app, value="R", display_name="R", allowed_member_types="user"
        )
        app_role_assign(role=role, group=CustomerGroup.objects.create(display_name="G"))
    assert "G" in client.get(f"{base}users-groups/").text
