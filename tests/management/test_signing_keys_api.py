"""/signingKeys through the real server: the lifecycle with public JWKs only, a rotation that
moves next → active → retiring, audited with the calling app; reading needs a key role."""

import requests

from tenants.models import AuditEntry
from tests.factories.management import ManagementWorld

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def _by_status(world: ManagementWorld) -> dict[str, list[dict[str, object]]]:
    response = requests.get(world.url("signingKeys"), headers=world.headers(), timeout=10)
    assert response.status_code == 200, response.text
    keys: dict[str, list[dict[str, object]]] = {}
    for key in response.json()["value"]:
        keys.setdefault(str(key["status"]), []).append(key)
    return keys


def test_list_and_rotate(management_world: ManagementWorld, db: None) -> None:
    before = _by_status(management_world)
    assert len(before["active"]) == 1
    assert len(before["next"]) == 1
    for keys in before.values():
        for key in keys:
            public = key["publicKey"]
            assert isinstance(public, dict)
            assert public["kid"] == key["kid"]
            assert not PRIVATE_MEMBERS & set(public)

    rotated = requests.post(
        management_world.url("signingKeys/rotate"), headers=management_world.headers(), timeout=30
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["kid"] == before["next"][0]["kid"]
    assert rotated.json()["status"] == "active"

    after = _by_status(management_world)
    assert after["active"][0]["kid"] == before["next"][0]["kid"]
    assert before["active"][0]["kid"] in [key["kid"] for key in after["retiring"]]
    assert after["next"][0]["kid"] not in {key["kid"] for keys in before.values() for key in keys}

    entry = (
        AuditEntry.objects.filter(
            tenant_uuid=management_world.tenant.tenant_id, action="signing_key.rotated"
        )
        .order_by("-occurred_at")
        .first()
    )
    assert entry is not None
    assert entry.target == rotated.json()["kid"]
    assert entry.details["calling_app"] == management_world.credentials["ALL"][0]
    assert entry.details["after"] == {"active_kid": rotated.json()["kid"]}


def test_rotating_takes_the_write_role(management_world: ManagementWorld) -> None:
    reader = management_world.headers("TrustFrameworkKeySet.Read.All")
    assert requests.get(management_world.url("signingKeys"), headers=reader, timeout=10).ok
    refused = requests.post(management_world.url("signingKeys/rotate"), headers=reader, timeout=10)
    assert refused.status_code == 403
    bad_cursor = requests.get(
        management_world.url("signingKeys?cursor=nope"), headers=reader, timeout=10
    )
    assert bad_cursor.status_code == 400
