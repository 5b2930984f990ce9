"""/users through the real server: the customer's life over REST, each write audited with the
calling app, ETags guarding updates, problems for bad input."""

import uuid

import requests

from tenants.models import AuditEntry
from tests.factories.management import ManagementWorld


def _create(world: ManagementWorld, **fields: object) -> requests.Response:
    mail = f"api-{uuid.uuid4().hex[:8]}@example.com"
    return requests.post(
        world.url("users"), json={"mail": mail, **fields}, headers=world.headers(), timeout=10
    )


def test_create_read_update_and_list_a_customer(
    management_world: ManagementWorld, db: None
) -> None:
    created = _create(management_world, displayName="Ada Lovelace", city="London")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["displayName"] == "Ada Lovelace"
    assert body["city"] == "London"
    assert body["accountEnabled"] is True
    assert len(body["passwordProfile"]["temporaryPassword"]) >= 12
    assert created.headers["Cache-Control"] == "no-store"
    user_url = management_world.url(f"users/{body['id']}")

    read = requests.get(user_url, headers=management_world.headers(), timeout=10)
    assert read.status_code == 200
    assert "passwordProfile" not in read.json()
    etag = read.headers["ETag"]

    updated = requests.patch(
        user_url,
        json={"jobTitle": "Analyst"},
        headers={**management_world.headers(), "If-Match": etag},
        timeout=10,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["jobTitle"] == "Analyst"
    assert updated.headers["ETag"] != etag

    # A second admin still holding the old ETag is refused, and nothing changes.
    stale = requests.patch(
        user_url,
        json={"jobTitle": "Overwritten"},
        headers={**management_world.headers(), "If-Match": etag},
        timeout=10,
    )
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    assert stale.json()["status"] == 412
    again = requests.get(user_url, headers=management_world.headers(), timeout=10)
    assert again.json()["jobTitle"] == "Analyst"

    listed = requests.get(
        management_world.url("users"),
        params={"search": body["mail"][:12]},
        headers=management_world.headers(),
        timeout=10,
    )
    assert listed.status_code == 200
    assert [user["id"] for user in listed.json()["value"]] == [body["id"]]

    entries = AuditEntry.objects.filter(
        tenant_uuid=management_world.tenant.tenant_id, target=body["mail"]
    ).order_by("occurred_at")
    assert [entry.action for entry in entries] == ["customer.created", "customer.updated"]
    client_id = management_world.credentials["ALL"][0]
    assert all(entry.details["calling_app"] == client_id for entry in entries)
    assert entries[0].actor_email == f"Automation ALL ({client_id})"


def test_paging_walks_every_customer_once(management_world: ManagementWorld) -> None:
    prefix = f"page-{uuid.uuid4().hex[:6]}"
    made = set()
    for number in range(5):
        response = requests.post(
            management_world.url("users"),
            json={"mail": f"{prefix}-{number}@example.com"},
            headers=management_world.headers(),
            timeout=10,
        )
        made.add(response.json()["id"])
    seen: list[str] = []
    url: str | None = management_world.url(f"users?search={prefix}&limit=2")
    pages = 0
    while url:
        page = requests.get(url, headers=management_world.headers(), timeout=10).json()
        seen += [user["id"] for user in page["value"]]
        url = page.get("nextLink")
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(made)


def test_block_delete_restore_reset_and_revoke(management_world: ManagementWorld) -> None:
    user = _create(management_world).json()
    url = management_world.url(f"users/{user['id']}")
    headers = management_world.headers()
    blocked = requests.patch(url, json={"accountEnabled": False}, headers=headers, timeout=10)
    assert blocked.json()["accountEnabled"] is False
    reset = requests.post(f"{url}/resetPassword", headers=headers, timeout=10)
    assert reset.status_code == 200
    assert reset.json()["temporaryPassword"] != user["passwordProfile"]["temporaryPassword"]
    revoked = requests.post(f"{url}/revokeSignInSessions", headers=headers, timeout=10)
    assert revoked.json()["value"] is True
    assert requests.delete(url, headers=headers, timeout=10).status_code == 204
    assert requests.get(url, headers=headers, timeout=10).json()["deletedDateTime"]
    refused = requests.patch(url, json={"city": "Paris"}, headers=headers, timeout=10)
    assert refused.status_code == 409
    restored = requests.post(f"{url}/restore", headers=headers, timeout=10)
    assert restored.status_code == 200
    assert restored.json()["deletedDateTime"] is None
    assert restored.json()["accountEnabled"] is True


def test_bad_input_gets_problem_details(management_world: ManagementWorld) -> None:
    headers = management_world.headers()
    bad_mail = requests.post(
        management_world.url("users"), json={"mail": "not-an-address"}, headers=headers, timeout=10
    )
    assert bad_mail.status_code == 400
    assert bad_mail.headers["Content-Type"] == "application/problem+json"
    assert "mail" in bad_mail.json()["errors"]
    unknown = requests.post(
        management_world.url("users"),
        json={"mail": "x@example.com", "isAdmin": True},
        headers=headers,
        timeout=10,
    )
    assert unknown.status_code == 400
    assert "isAdmin" in unknown.json()["errors"]
    too_long = _create(management_world, displayName="x" * 300)
    assert too_long.status_code == 400
    assert "displayName" in too_long.json()["errors"]
    not_json = requests.post(
        management_world.url("users"),
        data=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert not_json.status_code == 400
    assert not_json.headers["Content-Type"] == "application/problem+json"
    form = requests.post(
        management_world.url("users"), data={"mail": "a@b.c"}, headers=headers, timeout=10
    )
    assert form.status_code == 415
    missing = requests.get(
        management_world.url(f"users/{uuid.uuid4()}"), headers=headers, timeout=10
    )
    assert missing.status_code == 404
    assert missing.json()["status"] == 404
    nowhere = requests.get(management_world.url("no/such/thing"), headers=headers, timeout=10)
    assert nowhere.status_code == 404
    assert nowhere.headers["Content-Type"] == "application/problem+json"
    bad_cursor = requests.get(
        management_world.url("users?cursor=bogus"), headers=headers, timeout=10
    )
    assert bad_cursor.status_code == 400
    bad_limit = requests.get(management_world.url("users?limit=0"), headers=headers, timeout=10)
    assert bad_limit.status_code == 400


def test_no_token_or_a_bad_one_is_401_with_a_bearer_challenge(
    management_world: ManagementWorld,
) -> None:
    anonymous = requests.get(management_world.url("users"), timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="management"'
    forged = requests.get(
        management_world.url("users"),
        headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
        timeout=10,
    )
    assert forged.status_code == 401
    assert 'error="invalid_token"' in forged.headers["WWW-Authenticate"]


def test_a_foreign_host_is_refused_as_a_problem(management_world: ManagementWorld) -> None:
    """Django refuses a Host outside ALLOWED_HOSTS (the tenant's 400 handler): on the API's
    paths, in the API's own error format."""
    refused = requests.get(
        management_world.url("users"),
        headers={**management_world.headers(), "Host": "evil.example"},
        timeout=10,
    )
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 400
