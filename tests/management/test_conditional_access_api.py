"""/identity/conditionalAccess/policies and namedLocations through the real server: Graph's
shapes in and out, If-Match, field problems by their API names, a location in use refused, and
each write audited with the calling app."""

import uuid

import requests

from accounts.models import User
from tenants.models import AuditEntry
from tenants.schemas import in_tenant
from tests.factories.management import ManagementWorld

POLICIES = "identity/conditionalAccess/policies"
LOCATIONS = "identity/conditionalAccess/namedLocations"


def _policy(name: str, **conditions: object) -> dict[str, object]:
    return {
        "displayName": name,
        "state": "enabledForReportingButNotEnforced",
        "conditions": {
            "users": {"includeUsers": ["All"], "excludeUsers": []},
            "applications": {"includeApplications": ["All"], "excludeApplications": []},
            "locations": {"includeLocations": ["All"], "excludeLocations": []},
            "signInRiskLevels": [],
            **conditions,
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
    }


def _actions(world: ManagementWorld, target_part: str) -> list[str]:
    entries = AuditEntry.objects.filter(
        tenant_uuid=world.tenant.tenant_id, target__contains=target_part
    ).order_by("occurred_at")
    client_id = world.credentials["ALL"][0]
    assert all(entry.details["calling_app"] == client_id for entry in entries)
    return [entry.action for entry in entries]


def test_named_location_and_policy_lifecycle(management_world: ManagementWorld, db: None) -> None:
    headers = management_world.headers()
    tag = uuid.uuid4().hex[:8]
    made = requests.post(
        management_world.url(LOCATIONS),
        json={
            "displayName": f"Office {tag}",
            "ipRanges": [{"cidrAddress": "203.0.113.7"}, {"cidrAddress": "2001:db8::/32"}],
            "isTrusted": True,
        },
        headers=headers,
        timeout=10,
    )
    assert made.status_code == 201, made.text
    location = made.json()
    assert [entry["cidrAddress"] for entry in location["ipRanges"]] == [
        "203.0.113.7/32",
        "2001:db8::/32",
    ]
    location_url = management_world.url(f"{LOCATIONS}/{location['id']}")
    assert made.headers["Location"].endswith(f"{LOCATIONS}/{location['id']}")

    with in_tenant(management_world.tenant):
        customer_id = str(User.objects.get(email=management_world.customer_email).object_id)
    created = requests.post(
        management_world.url(POLICIES),
        json=_policy(
            f"MFA outside the office {tag}",
            users={"includeUsers": ["All"], "excludeUsers": [customer_id]},
            locations={"includeLocations": ["All"], "excludeLocations": [location["id"]]},
            signInRiskLevels=["high", "medium"],
        ),
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["state"] == "enabledForReportingButNotEnforced"
    assert policy["conditions"]["users"]["excludeUsers"] == [customer_id]
    assert policy["conditions"]["locations"]["excludeLocations"] == [location["id"]]
    assert policy["conditions"]["signInRiskLevels"] == ["medium", "high"]
    policy_url = management_world.url(f"{POLICIES}/{policy['id']}")

    read = requests.get(policy_url, headers=headers, timeout=10)
    assert read.json() == policy
    etag = read.headers["ETag"]
    switched = requests.patch(
        policy_url,
        json={
            "state": "enabled",
            "grantControls": {"operator": "OR", "builtInControls": ["block"]},
        },
        headers={**headers, "If-Match": etag},
        timeout=10,
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["state"] == "enabled"
    assert switched.json()["grantControls"]["builtInControls"] == ["block"]
    # What the PATCH did not send stays.
    assert switched.json()["conditions"] == policy["conditions"]
    stale = requests.patch(
        policy_url, json={"state": "disabled"}, headers={**headers, "If-Match": etag}, timeout=10
    )
    assert stale.status_code == 412
    assert requests.get(policy_url, headers=headers, timeout=10).json()["state"] == "enabled"

    # The location is in use: it stays, and says by whom.
    in_use = requests.delete(location_url, headers=headers, timeout=10)
    assert in_use.status_code == 409
    assert f"MFA outside the office {tag}" in in_use.json()["detail"]

    renamed = requests.patch(
        location_url, json={"displayName": f"HQ {tag}"}, headers=headers, timeout=10
    )
    assert renamed.status_code == 200
    assert renamed.json()["isTrusted"] is True
    assert len(renamed.json()["ipRanges"]) == 2

    listed = requests.get(management_world.url(POLICIES), headers=headers, timeout=10)
    assert policy["id"] in [entry["id"] for entry in listed.json()["value"]]

    gone_etag = requests.get(policy_url, headers=headers, timeout=10).headers["ETag"]
    refused = requests.delete(policy_url, headers={**headers, "If-Match": etag}, timeout=10)
    assert refused.status_code == 412
    deleted = requests.delete(policy_url, headers={**headers, "If-Match": gone_etag}, timeout=10)
    assert deleted.status_code == 204
    assert requests.get(policy_url, headers=headers, timeout=10).status_code == 404
    assert requests.delete(location_url, headers=headers, timeout=10).status_code == 204

    assert _actions(management_world, policy["id"]) == [
        "ca_policy.added",
        "ca_policy.updated",
        "ca_policy.removed",
    ]
    assert _actions(management_world, location["id"]) == [
        "named_location.added",
        "named_location.updated",
        "named_location.removed",
    ]


def test_bad_policies_and_locations_are_field_problems(management_world: ManagementWorld) -> None:
    headers = management_world.headers()
    tag = uuid.uuid4().hex[:8]
    cases = [
        (_policy(""), "displayName"),
        ({**_policy(f"p {tag}"), "state": "on"}, "state"),
        (
            _policy(
                f"p {tag}", users={"includeUsers": ["All"], "excludeUsers": [str(uuid.uuid4())]}
            ),
            "conditions.users.excludeUsers",
        ),
        (
            _policy(
                f"p {tag}",
                locations={"includeLocations": [str(uuid.uuid4())], "excludeLocations": []},
            ),
            "conditions.locations.includeLocations",
        ),
        (
            _policy(
                f"p {tag}",
                locations={"includeLocations": ["AllTrusted"], "excludeLocations": ["AllTrusted"]},
            ),
            "conditions.locations.includeLocations",
        ),
        ({**_policy(f"p {tag}"), "sessionControls": {}}, "sessionControls"),
    ]
    for body, field in cases:
        response = requests.post(
            management_world.url(POLICIES), json=body, headers=headers, timeout=10
        )
        assert response.status_code == 400, (field, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert field in response.json()["errors"], (field, response.json())
    too_wide = requests.post(
        management_world.url(LOCATIONS),
        json={"displayName": f"World {tag}", "ipRanges": [{"cidrAddress": "0.0.0.0/0"}]},
        headers=headers,
        timeout=10,
    )
    assert too_wide.status_code == 400
    assert "ipRanges" in too_wide.json()["errors"]
    missing = requests.get(
        management_world.url(f"{POLICIES}/{uuid.uuid4()}"), headers=headers, timeout=10
    )
    assert missing.status_code == 404
