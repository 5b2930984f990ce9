"""/policies/tokenLifetimePolicy through the real server: read, change what is sent, If-Match,
the service's bounds as field problems, each change audited with the calling app, roles."""

import requests

from apps.selectors import token_settings
from tenants.models import AuditAction, AuditEntry
from tenants.schemas import in_tenant
from tests.factories.management import ManagementWorld

POLICY = "policies/tokenLifetimePolicy"


def test_change_a_lifetime_with_if_match_and_audit(
    management_world: ManagementWorld, db: None
) -> None:
    headers = management_world.headers()
    url = management_world.url(POLICY)
    read = requests.get(url, headers=headers, timeout=10)
    assert read.status_code == 200, read.text
    body = read.json()
    assert set(body) == {
        "id",
        "displayName",
        "accessTokenLifetimeInMinutes",
        "idTokenLifetimeInMinutes",
        "spaRefreshTokenLifetimeInHours",
        "refreshTokenLifetimeInDays",
    }
    etag = read.headers["ETag"]
    assert requests.get(url, headers=headers, timeout=10).headers["ETag"] == etag
    minutes = 45 if body["accessTokenLifetimeInMinutes"] != 45 else 50

    changed = requests.patch(
        url,
        json={"accessTokenLifetimeInMinutes": minutes},
        headers={**headers, "If-Match": etag},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**body, "accessTokenLifetimeInMinutes": minutes}
    assert changed.headers["ETag"] != etag
    with in_tenant(management_world.tenant):
        stored = token_settings()
    assert (stored.access_token_minutes, stored.refresh_token_days) == (
        minutes,
        body["refreshTokenLifetimeInDays"],
    )

    stale = requests.patch(
        url,
        json={"idTokenLifetimeInMinutes": 20},
        headers={**headers, "If-Match": etag},
        timeout=10,
    )
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    assert requests.get(url, headers=headers, timeout=10).json() == changed.json()

    entry = (
        AuditEntry.objects.filter(
            tenant_uuid=management_world.tenant.tenant_id,
            action=AuditAction.TOKEN_LIFETIMES_UPDATED,
        )
        .order_by("-id")
        .first()
    )
    assert entry is not None
    client_id = management_world.credentials["ALL"][0]
    assert entry.details["calling_app"] == client_id
    assert entry.actor_email == f"Automation ALL ({client_id})"
    assert entry.target == "Token lifetimes"
    assert entry.details["before"]["access_token_minutes"] == body["accessTokenLifetimeInMinutes"]
    assert entry.details["after"]["access_token_minutes"] == minutes


def test_out_of_bounds_and_unknown_fields_are_field_problems(
    management_world: ManagementWorld, db: None
) -> None:
    headers = management_world.headers()
    url = management_world.url(POLICY)
    before = requests.get(url, headers=headers, timeout=10).json()
    for body, field in [
        ({"accessTokenLifetimeInMinutes": 5}, "accessTokenLifetimeInMinutes"),
        ({"spaRefreshTokenLifetimeInHours": 25}, "spaRefreshTokenLifetimeInHours"),
        ({"refreshTokenLifetimeInDays": 0}, "refreshTokenLifetimeInDays"),
        ({"accessTokenMinutes": 30}, "accessTokenMinutes"),
    ]:
        response = requests.patch(url, json=body, headers=headers, timeout=10)
        assert response.status_code == 400, body
        assert response.headers["Content-Type"] == "application/problem+json"
        assert field in response.json()["errors"], response.json()
    assert requests.get(url, headers=headers, timeout=10).json() == before


def test_reading_takes_policy_read_and_writing_application_configuration(
    management_world: ManagementWorld,
) -> None:
    url = management_world.url(POLICY)
    reader = management_world.headers("Policy.Read.All")
    assert requests.get(url, headers=reader, timeout=10).status_code == 200
    assert requests.patch(url, json={}, headers=reader, timeout=10).status_code == 403
    writer = management_world.headers("Policy.ReadWrite.ApplicationConfiguration")
    current = requests.get(url, headers=writer, timeout=10)
    assert current.status_code == 200
    assert requests.patch(url, json={}, headers=writer, timeout=10).json() == current.json()
    other = management_world.headers("Policy.ReadWrite.AuthenticationMethod")
    assert requests.patch(url, json={}, headers=other, timeout=10).status_code == 403
    nobody = management_world.headers("NONE")
    assert requests.get(url, headers=nobody, timeout=10).status_code == 403
