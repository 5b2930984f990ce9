"""/groups, /groups/{id}/members, /users/{id}/memberOf and /applications/{id}/appRoleAssignedTo
through the real server: groups and their members over REST, roles assigned to customers and
groups, each write audited with the calling app, ETags guarding updates, problems for bad
input."""

import uuid

import pytest
import requests

from accounts.models import User
from apps import services as app_services
from apps.models import Platform
from tenants.models import AuditEntry
from tenants.schemas import in_tenant
from tests.factories.management import ManagementWorld

pytestmark = pytest.mark.usefixtures("committed_db")


def _customer_id(world: ManagementWorld) -> str:
    with in_tenant(world.tenant):
        return str(User.objects.get(email=world.customer_email).object_id)


def _group(world: ManagementWorld, name: str) -> dict[str, str]:
    made = requests.post(
        world.url("groups"),
        json={"displayName": name, "description": "Made over REST"},
        headers=world.headers("Group.ReadWrite.All"),
        timeout=10,
    )
    assert made.status_code == 201, made.text
    body: dict[str, str] = made.json()
    return body


def test_a_groups_life_over_rest(management_world: ManagementWorld) -> None:
    world = management_world
    name = f"Gold {uuid.uuid4().hex[:6]}"
    group = _group(world, name)
    url = world.url(f"groups/{group['id']}")
    twice = requests.post(
        world.url("groups"),
        json={"displayName": name.upper()},
        headers=world.headers(),
        timeout=10,
    )
    assert twice.status_code == 400
    assert twice.headers["Content-Type"] == "application/problem+json"
    assert "displayName" in twice.json()["errors"]

    read = requests.get(url, headers=world.headers("Group.Read.All"), timeout=10)
    assert read.json()["displayName"] == name
    etag = read.headers["ETag"]
    renamed = requests.patch(
        url,
        json={"displayName": f"{name} tier"},
        headers={**world.headers(), "If-Match": etag},
        timeout=10,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["description"] == "Made over REST"
    stale = requests.patch(
        url, json={"description": "x"}, headers={**world.headers(), "If-Match": etag}, timeout=10
    )
    assert stale.status_code == 412
    listed = requests.get(
        world.url("groups"), params={"search": name.lower()}, headers=world.headers(), timeout=10
    )
    assert [g["id"] for g in listed.json()["value"]] == [group["id"]]

    customer = _customer_id(world)
    members = world.url(f"groups/{group['id']}/members")
    added = requests.post(members, json={"id": customer}, headers=world.headers(), timeout=10)
    assert added.status_code == 204, added.text
    again = requests.post(members, json={"id": customer}, headers=world.headers(), timeout=10)
    assert again.status_code == 409
    unknown = requests.post(
        members, json={"id": str(uuid.uuid4())}, headers=world.headers(), timeout=10
    )
    assert unknown.status_code == 404
    listed_members = requests.get(members, headers=world.headers(), timeout=10).json()
    assert [m["mail"] for m in listed_members["value"]] == [world.customer_email]
    member_of = requests.get(
        world.url(f"users/{customer}/memberOf"), headers=world.headers("User.Read.All"), timeout=10
    )
    assert group["id"] in [g["id"] for g in member_of.json()["value"]]
    removed = requests.delete(f"{members}/{customer}", headers=world.headers(), timeout=10)
    assert removed.status_code == 204
    assert (
        requests.delete(f"{members}/{customer}", headers=world.headers(), timeout=10).status_code
        == 404
    )

    deleted = requests.delete(url, headers=world.headers(), timeout=10)
    assert deleted.status_code == 204
    assert requests.get(url, headers=world.headers(), timeout=10).status_code == 404
    actions = list(
        AuditEntry.objects.filter(
            tenant_uuid=world.tenant.tenant_id, target__startswith=name
        ).values_list("action", "details__calling_app")
    )
    client_id = world.credentials["ALL"][0]
    writer = world.credentials["Group.ReadWrite.All"][0]
    assert sorted(actions) == sorted(
        [
            ("group.created", writer),
            ("group.updated", client_id),
            ("group.member_added", client_id),
            ("group.member_removed", client_id),
            ("group.deleted", client_id),
        ]
    )


def test_roles_assigned_to_customers_and_groups_over_rest(
    management_world: ManagementWorld,
) -> None:
    world = management_world
    with in_tenant(world.tenant):
        app = app_services.app_register(
            name=f"Orders {uuid.uuid4().hex[:6]}", platform=Platform.DAEMON
        )
        role = app_services.app_role_add(
            app=app, value="Orders.Manage", display_name="Manage", allowed_member_types="user"
        )
        daemon_role = app_services.app_role_add(app=app, value="Orders.Sync", display_name="Sync")
    group = _group(world, f"Staff {uuid.uuid4().hex[:6]}")
    customer = _customer_id(world)
    url = world.url(f"applications/{app.object_id}/appRoleAssignedTo")
    headers = world.headers("AppRoleAssignment.ReadWrite.All")
    to_group = requests.post(
        url,
        json={"principalId": group["id"], "appRoleId": str(role.role_id)},
        headers=headers,
        timeout=10,
    )
    assert to_group.status_code == 201, to_group.text
    assert to_group.json()["principalType"] == "Group"
    to_customer = requests.post(
        url,
        json={"principalId": customer, "appRoleId": str(role.role_id)},
        headers=headers,
        timeout=10,
    )
    assert to_customer.status_code == 201
    assert to_customer.json()["principalType"] == "User"
    twice = requests.post(
        url,
        json={"principalId": customer, "appRoleId": str(role.role_id)},
        headers=headers,
        timeout=10,
    )
    assert twice.status_code == 409
    app_only = requests.post(
        url,
        json={"principalId": customer, "appRoleId": str(daemon_role.role_id)},
        headers=headers,
        timeout=10,
    )
    assert app_only.status_code == 400
    assert "appRoleId" in app_only.json()["errors"]
    nobody = requests.post(
        url,
        json={"principalId": str(uuid.uuid4()), "appRoleId": str(role.role_id)},
        headers=headers,
        timeout=10,
    )
    assert nobody.status_code == 400
    listed = requests.get(url, headers=world.headers("Application.Read.All"), timeout=10).json()
    assert {(a["principalType"], a["appRoleValue"]) for a in listed["value"]} == {
        ("Group", "Orders.Manage"),
        ("User", "Orders.Manage"),
    }
    gone = requests.delete(f"{url}/{to_customer.json()['id']}", headers=headers, timeout=10)
    assert gone.status_code == 204
    assert len(requests.get(url, headers=world.headers(), timeout=10).json()["value"]) == 1
    actions = list(
        AuditEntry.objects.filter(
            tenant_uuid=world.tenant.tenant_id, target__startswith=app.name
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == ["app_role.assigned", "app_role.assigned", "app_role.unassigned"]
