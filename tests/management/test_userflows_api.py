"""/identity/userFlows and /identity/userFlowAttributes through the real server: a flow's life
and its sections over REST, custom attributes, each write audited with the calling app,
ETags guarding updates, problems for bad input."""

import uuid
from typing import Any

import requests

from tenants.models import AuditEntry
from tests.factories.management import ManagementWorld


def _call(
    world: ManagementWorld, method: str, path: str, *, etag: str | None = None, **kwargs: Any
) -> requests.Response:
    headers = world.headers()
    if etag is not None:
        headers["If-Match"] = etag
    return requests.request(method, world.url(path), headers=headers, timeout=10, **kwargs)


def _actions(world: ManagementWorld, target_part: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            tenant_uuid=world.tenant.tenant_id, target__contains=target_part
        ).order_by("occurred_at", "pk")
    )


def test_a_flow_is_created_read_updated_and_deleted(
    management_world: ManagementWorld, db: None
) -> None:
    name = f"Sign up {uuid.uuid4().hex[:6]}"
    created = _call(
        management_world,
        "POST",
        "identity/userFlows",
        json={"displayName": name, "signInMethod": "email_otp", "attributes": ["givenName"]},
    )
    assert created.status_code == 201, created.text
    flow = created.json()
    assert flow["displayName"] == name
    assert flow["signInMethod"] == "email_otp"
    assert flow["signUpAllowed"] is True
    path = f"identity/userFlows/{flow['id']}"
    assert created.headers["Location"].endswith(path)

    read = _call(management_world, "GET", path)
    assert read.status_code == 200
    etag = read.headers["ETag"]
    updated = _call(management_world, "PATCH", path, etag=etag, json={"signUpAllowed": False})
    assert updated.status_code == 200, updated.text
    assert updated.json()["signUpAllowed"] is False
    assert updated.json()["displayName"] == name
    stale = _call(management_world, "PATCH", path, etag=etag, json={"displayName": "Other"})
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    assert _call(management_world, "GET", path).json()["displayName"] == name

    listed = _call(management_world, "GET", "identity/userFlows")
    assert flow["id"] in [each["id"] for each in listed.json()["value"]]

    stale_delete = _call(management_world, "DELETE", path, etag=etag)
    assert stale_delete.status_code == 412
    deleted = _call(management_world, "DELETE", path, etag=updated.headers["ETag"])
    assert deleted.status_code == 204
    assert _call(management_world, "GET", path).status_code == 404

    entries = _actions(management_world, flow["id"])
    assert [entry.action for entry in entries] == [
        "userflow.created",
        "userflow.updated",
        "userflow.deleted",
    ]
    client_id = management_world.credentials["ALL"][0]
    assert all(entry.details["calling_app"] == client_id for entry in entries)
    assert entries[0].details["attributes"] == ["email", "given_name"]
    assert entries[1].details["after"] == {"sign_up_allowed": False}


def test_bad_flows_are_problems(management_world: ManagementWorld) -> None:
    empty = _call(management_world, "POST", "identity/userFlows", json={"displayName": "  "})
    assert empty.status_code == 400
    assert empty.headers["Content-Type"] == "application/problem+json"
    assert "displayName" in empty.json()["errors"]
    unknown = _call(
        management_world,
        "POST",
        "identity/userFlows",
        json={"displayName": "x", "attributes": ["shoeSize"], "colour": "red"},
    )
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["errors"]
    method = _call(
        management_world,
        "POST",
        "identity/userFlows",
        json={"displayName": "x", "signInMethod": "carrier_pigeon"},
    )
    assert "signInMethod" in method.json()["errors"]
    name = f"Taken {uuid.uuid4().hex[:6]}"
    assert (
        _call(
            management_world, "POST", "identity/userFlows", json={"displayName": name}
        ).status_code
        == 201
    )
    taken = _call(management_world, "POST", "identity/userFlows", json={"displayName": name})
    assert taken.status_code == 400
    assert "displayName" in taken.json()["errors"]


def test_custom_attributes_and_the_attributes_a_flow_collects(
    management_world: ManagementWorld, db: None
) -> None:
    name = f"Hobby{uuid.uuid4().hex[:6]}"
    created = _call(
        management_world,
        "POST",
        "identity/userFlowAttributes",
        json={"displayName": name, "dataType": "string", "description": "What they do"},
    )
    assert created.status_code == 201, created.text
    attribute = created.json()
    assert attribute["id"].startswith("extension_")
    assert attribute["id"].endswith(f"_{name}")
    assert attribute["userFlowAttributeType"] == "custom"
    attribute_path = f"identity/userFlowAttributes/{attribute['id']}"
    read = _call(management_world, "GET", attribute_path)
    assert read.json() == attribute
    changed = _call(
        management_world,
        "PATCH",
        attribute_path,
        etag=read.headers["ETag"],
        json={"description": "Pastimes", "dataType": "int64"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["dataType"] == "int64"
    assert changed.json()["description"] == "Pastimes"
    stale = _call(management_world, "PATCH", attribute_path, etag=read.headers["ETag"], json={})
    assert stale.status_code == 412
    _call(management_world, "PATCH", attribute_path, json={"dataType": "string"})
    reserved = _call(
        management_world,
        "POST",
        "identity/userFlowAttributes",
        json={"displayName": "givenName", "dataType": "string"},
    )
    assert reserved.status_code == 400
    assert "displayName" in reserved.json()["errors"]

    flow = _call(
        management_world,
        "POST",
        "identity/userFlows",
        json={"displayName": f"Collect {uuid.uuid4().hex[:6]}", "attributes": ["city"]},
    ).json()
    attributes = f"identity/userFlows/{flow['id']}/attributes"
    assert [item["id"] for item in _call(management_world, "GET", attributes).json()["value"]] == [
        "email",
        "city",
    ]
    added = _call(
        management_world,
        "POST",
        attributes,
        json={
            "id": attribute["id"],
            "required": True,
            "inputType": "RadioSingleSelect",
            "options": [{"text": "Chess", "value": "chess"}, {"text": "Go", "value": "go"}],
        },
    )
    assert added.status_code == 201, added.text
    assert added.json()["inputType"] == "RadioSingleSelect"
    assert added.json()["required"] is True
    again = _call(management_world, "POST", attributes, json={"id": attribute["id"]})
    assert again.status_code == 409
    item_path = f"{attributes}/{attribute['id']}"
    item = _call(management_world, "GET", item_path)
    relabelled = _call(
        management_world, "PATCH", item_path, etag=item.headers["ETag"], json={"label": "Game"}
    )
    assert relabelled.status_code == 200, relabelled.text
    assert relabelled.json()["displayName"] == "Game"
    bad_type = _call(management_world, "PATCH", item_path, json={"inputType": "NumericTextBox"})
    assert bad_type.status_code == 400
    assert "inputType" in bad_type.json()["errors"]

    listing = _call(management_world, "GET", attributes)
    order = [attribute["id"], "email", "city"]
    reordered = _call(
        management_world,
        "PUT",
        f"{attributes}/order",
        etag=listing.headers["ETag"],
        json={"value": order},
    )
    assert reordered.status_code == 200, reordered.text
    assert [each["id"] for each in reordered.json()["value"]] == order
    incomplete = _call(management_world, "PUT", f"{attributes}/order", json={"value": ["email"]})
    assert incomplete.status_code == 400

    assert _call(management_world, "DELETE", f"{attributes}/email").status_code == 409
    assert _call(management_world, "DELETE", f"{attributes}/city").status_code == 204
    assert _call(management_world, "GET", f"{attributes}/city").status_code == 404

    actions = [entry.action for entry in _actions(management_world, flow["id"])]
    assert actions == [
        "userflow.created",
        "userflow.attribute_added",
        "userflow.attribute_updated",
        "userflow.layout_changed",
        "userflow.attribute_removed",
    ]
    attribute_actions = [
        entry.action
        for entry in AuditEntry.objects.filter(
            tenant_uuid=management_world.tenant.tenant_id, target=name
        ).order_by("occurred_at", "pk")
    ]
    assert attribute_actions == [
        "custom_attribute.created",
        "custom_attribute.updated",
        "custom_attribute.updated",
    ]


def test_the_apps_and_providers_a_flow_offers(management_world: ManagementWorld, db: None) -> None:
    web = management_world.web
    flow = _call(
        management_world,
        "POST",
        "identity/userFlows",
        json={"displayName": f"Apps {uuid.uuid4().hex[:6]}"},
    ).json()
    apps_path = f"identity/userFlows/{flow['id']}/applications"
    empty = _call(management_world, "GET", apps_path)
    assert empty.json() == {"value": []}
    assigned = _call(
        management_world,
        "PUT",
        apps_path,
        etag=empty.headers["ETag"],
        json={"value": [web.client_id]},
    )
    assert assigned.status_code == 200, assigned.text
    assert [app["appId"] for app in assigned.json()["value"]] == [web.client_id]
    daemon = management_world.credentials["NONE"][0]
    refused = _call(management_world, "PUT", apps_path, json={"value": [daemon]})
    assert refused.status_code == 400
    assert "value" in refused.json()["errors"]
    stale = _call(
        management_world, "PUT", apps_path, etag=empty.headers["ETag"], json={"value": []}
    )
    assert stale.status_code == 412

    providers_path = f"identity/userFlows/{flow['id']}/identityProviders"
    offered = _call(management_world, "GET", providers_path)
    assert offered.json() == {"value": [], "identitiesSelfService": False}
    unknown = _call(management_world, "PUT", providers_path, json={"value": ["nobody"]})
    assert unknown.status_code == 400
    self_service = _call(
        management_world,
        "PUT",
        providers_path,
        etag=offered.headers["ETag"],
        json={"value": [], "identitiesSelfService": True},
    )
    assert self_service.status_code == 200
    assert self_service.json()["identitiesSelfService"] is True

    actions = [entry.action for entry in _actions(management_world, flow["id"])]
    assert actions == [
        "userflow.created",
        "userflow.apps_assigned",
        "userflow.providers_changed",
    ]
