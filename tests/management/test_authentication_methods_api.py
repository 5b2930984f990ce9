"""/policies/authenticationMethodsPolicy and its passwordProtection through the real server:
read, change what is sent, If-Match, field problems, each change audited with the calling app."""

import requests

from tenants.models import AuditEntry
from tests.factories.management import ManagementWorld

POLICY = "policies/authenticationMethodsPolicy"
PROTECTION = "policies/authenticationMethodsPolicy/passwordProtection"


def _states(body: dict[str, object]) -> dict[str, str]:
    configurations = body["authenticationMethodConfigurations"]
    assert isinstance(configurations, list)
    return {entry["id"]: entry["state"] for entry in configurations}


def test_enable_a_method_with_if_match_and_audit(
    management_world: ManagementWorld, db: None
) -> None:
    headers = management_world.headers()
    read = requests.get(management_world.url(POLICY), headers=headers, timeout=10)
    assert read.status_code == 200, read.text
    assert set(_states(read.json())) == {"email", "softwareOath", "fido2"}
    etag = read.headers["ETag"]
    # The defaults' ETag holds between reads: nothing changed.
    again = requests.get(management_world.url(POLICY), headers=headers, timeout=10)
    assert again.headers["ETag"] == etag
    wanted = "disabled" if _states(read.json())["fido2"] == "enabled" else "enabled"

    changed = requests.patch(
        management_world.url(POLICY),
        json={"authenticationMethodConfigurations": [{"id": "fido2", "state": wanted}]},
        headers={**headers, "If-Match": etag},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    assert _states(changed.json())["fido2"] == wanted
    assert _states(changed.json())["email"] == _states(read.json())["email"]
    assert changed.json()["lastModifiedDateTime"] is not None
    assert changed.headers["ETag"] != etag

    stale = requests.patch(
        management_world.url(POLICY),
        json={"authenticationMethodConfigurations": [{"id": "email", "state": "disabled"}]},
        headers={**headers, "If-Match": etag},
        timeout=10,
    )
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    after = requests.get(management_world.url(POLICY), headers=headers, timeout=10).json()
    assert _states(after) == _states(changed.json())

    entry = (
        AuditEntry.objects.filter(
            tenant_uuid=management_world.tenant.tenant_id,
            action="authentication_methods.updated",
        )
        .order_by("-occurred_at")
        .first()
    )
    assert entry is not None
    client_id = management_world.credentials["ALL"][0]
    assert entry.details["calling_app"] == client_id
    assert entry.actor_email == f"Automation ALL ({client_id})"


def test_bad_method_bodies_are_field_problems(management_world: ManagementWorld) -> None:
    headers = management_world.headers()
    for body, field in [
        ({"authenticationMethodConfigurations": [{"id": "sms", "state": "enabled"}]}, "id"),
        ({"authenticationMethodConfigurations": [{"id": "email", "state": "on"}]}, "state"),
        ({"methods": []}, "methods"),
    ]:
        response = requests.patch(
            management_world.url(POLICY), json=body, headers=headers, timeout=10
        )
        assert response.status_code == 400, body
        assert response.headers["Content-Type"] == "application/problem+json"
        assert any(name.endswith(field) for name in response.json()["errors"]), response.json()
    twice = requests.patch(
        management_world.url(POLICY),
        json={
            "authenticationMethodConfigurations": [
                {"id": "email", "state": "enabled"},
                {"id": "email", "state": "disabled"},
            ]
        },
        headers=headers,
        timeout=10,
    )
    assert twice.status_code == 400
    assert "authenticationMethodConfigurations" in twice.json()["errors"]


def test_password_protection_update_if_match_problems_and_audit(
    management_world: ManagementWorld, db: None
) -> None:
    headers = management_world.headers()
    url = management_world.url(PROTECTION)
    read = requests.get(url, headers=headers, timeout=10)
    assert read.status_code == 200
    body = read.json()
    assert {"lockoutThreshold", "lockoutDurationInSeconds", "breachedPasswordsRefused"} <= set(body)
    threshold = 7 if body["lockoutThreshold"] != 7 else 8
    changed = requests.patch(
        url,
        json={"lockoutThreshold": threshold},
        headers={**headers, "If-Match": read.headers["ETag"]},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["lockoutThreshold"] == threshold
    assert changed.json()["lockoutDurationInSeconds"] == body["lockoutDurationInSeconds"]

    stale = requests.patch(
        url,
        json={"lockoutThreshold": 20},
        headers={**headers, "If-Match": read.headers["ETag"]},
        timeout=10,
    )
    assert stale.status_code == 412
    assert requests.get(url, headers=headers, timeout=10).json()["lockoutThreshold"] == threshold

    out_of_range = requests.patch(url, json={"lockoutThreshold": 0}, headers=headers, timeout=10)
    assert out_of_range.status_code == 400
    assert "lockoutThreshold" in out_of_range.json()["errors"]
    # The service's own rule, under the API's name of the field.
    above_tenant = requests.patch(
        url,
        json={"requestsPerSecondPerAddress": 500, "requestsPerSecondPerTenant": 100},
        headers=headers,
        timeout=10,
    )
    assert above_tenant.status_code == 400
    assert "requestsPerSecondPerAddress" in above_tenant.json()["errors"]

    entry = (
        AuditEntry.objects.filter(
            tenant_uuid=management_world.tenant.tenant_id, action="sign_in_protection.updated"
        )
        .order_by("-occurred_at")
        .first()
    )
    assert entry is not None
    assert entry.details["calling_app"] == management_world.credentials["ALL"][0]
    assert entry.details["after"]["lockout_threshold"] == threshold


def test_reading_takes_policy_read_and_writing_its_own_role(
    management_world: ManagementWorld,
) -> None:
    reader = management_world.headers("Policy.Read.All")
    assert requests.get(management_world.url(POLICY), headers=reader, timeout=10).ok
    refused = requests.patch(management_world.url(PROTECTION), json={}, headers=reader, timeout=10)
    assert refused.status_code == 403
