"""/applications through the real server: an app's platforms as Graph shapes them, secrets
shown once, keys, ETags, audit with the calling app, problems for bad input."""

import uuid
from collections.abc import Iterator

import pytest
import requests

from apps.models import AppRegistration, ClientSecret
from apps.oidc.client_auth import client_secret_matches
from tenants.models import AuditAction, AuditEntry
from tenants.schemas import in_tenant
from tests.factories.admin_center import public_key_pem
from tests.factories.management import ManagementWorld

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture(autouse=True)
def _audit_entries_removed(committed_db: None, management_world: ManagementWorld) -> Iterator[None]:
    """The audit entries these calls commit are removed again: other tests count the log's
    app entries (one secret added, no app deleted) in the same database."""
    tenant_uuid = management_world.tenant.tenant_id
    last = AuditEntry.objects.filter(tenant_uuid=tenant_uuid).order_by("-pk").first()
    yield
    AuditEntry.objects.filter(tenant_uuid=tenant_uuid, pk__gt=last.pk if last else 0).delete()


def _create(world: ManagementWorld, **fields: object) -> requests.Response:
    return requests.post(
        world.url("applications"),
        json={"displayName": f"API app {uuid.uuid4().hex[:6]}", **fields},
        headers=world.headers(),
        timeout=10,
    )


def test_an_app_with_web_and_spa_platforms_over_rest(management_world: ManagementWorld) -> None:
    created = _create(
        management_world,
        web={"redirectUris": ["https://rest.example/cb"], "logoutUrl": "https://rest.example/fc"},
        spa={"redirectUris": ["https://rest.example/spa"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["web"] == {
        "redirectUris": ["https://rest.example/cb"],
        "logoutUrl": "https://rest.example/fc",
    }
    assert body["spa"] == {"redirectUris": ["https://rest.example/spa"]}
    assert body["publicClient"] == {"redirectUris": []}
    assert body["isFallbackPublicClient"] is False
    url = management_world.url(f"applications/{body['id']}")

    read = requests.get(url, headers=management_world.headers(), timeout=10)
    etag = read.headers["ETag"]
    # A URI moves from spa to web, and a mobile platform comes, in one request.
    moved = requests.patch(
        url,
        json={
            "web": {"redirectUris": ["https://rest.example/cb", "https://rest.example/spa"]},
            "spa": {"redirectUris": ["https://rest.example/spa2"]},
            "publicClient": {"redirectUris": ["com.example.rest:/cb"]},
        },
        headers={**management_world.headers(), "If-Match": etag},
        timeout=10,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["web"]["redirectUris"] == [
        "https://rest.example/cb",
        "https://rest.example/spa",
    ]
    assert moved.json()["spa"]["redirectUris"] == ["https://rest.example/spa2"]
    assert moved.json()["publicClient"]["redirectUris"] == ["com.example.rest:/cb"]
    stale = requests.patch(
        url,
        json={"displayName": "Overwritten"},
        headers={**management_world.headers(), "If-Match": etag},
        timeout=10,
    )
    assert stale.status_code == 412

    # Each platform keeps its rules; a URI belongs to one platform.
    refused = requests.patch(
        url,
        json={"spa": {"redirectUris": ["https://rest.example/cb"]}},
        headers=management_world.headers(),
        timeout=10,
    )
    assert refused.status_code == 400
    assert "already a redirect URI of the Web platform" in str(refused.json()["errors"])

    # Without its web platform the app is a public client.
    public = requests.patch(url, json={"web": None}, headers=management_world.headers(), timeout=10)
    assert public.status_code == 200, public.text
    assert public.json()["isFallbackPublicClient"] is True
    assert public.json()["web"] == {"redirectUris": [], "logoutUrl": "https://rest.example/fc"}
    no_secret = requests.post(
        f"{url}/addPassword", json={}, headers=management_world.headers(), timeout=10
    )
    assert no_secret.status_code == 400

    with in_tenant(management_world.tenant):
        app = AppRegistration.objects.get(object_id=body["id"])
        assert app.redirect_uris.split() == ["https://rest.example/spa2", "com.example.rest:/cb"]
    actions = list(
        AuditEntry.objects.filter(
            tenant_uuid=management_world.tenant.tenant_id, target__contains=body["appId"]
        )
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        AuditAction.APP_REGISTERED,
        AuditAction.APP_AUTHENTICATION_UPDATED,
        AuditAction.APP_AUTHENTICATION_UPDATED,
    ]

    deleted = requests.delete(url, headers=management_world.headers(), timeout=10)
    assert deleted.status_code == 204
    assert requests.get(url, headers=management_world.headers(), timeout=10).status_code == 404


def test_a_secret_is_shown_once_and_keys_come_and_go(management_world: ManagementWorld) -> None:
    body = _create(management_world, web={"redirectUris": ["https://keys.example/cb"]}).json()
    url = management_world.url(f"applications/{body['id']}")
    added = requests.post(
        f"{url}/addPassword",
        json={"passwordCredential": {"displayName": "ci"}},
        headers=management_world.headers(),
        timeout=10,
    )
    assert added.status_code == 200, added.text
    assert added.headers["Cache-Control"] == "no-store"
    secret = added.json()
    assert secret["displayName"] == "ci"
    read = requests.get(url, headers=management_world.headers(), timeout=10).json()
    assert secret["secretText"] not in str(read)
    assert read["passwordCredentials"] == [
        {key: value for key, value in secret.items() if key != "secretText"}
    ]
    with in_tenant(management_world.tenant):
        app = AppRegistration.objects.get(object_id=body["id"])
        assert client_secret_matches(app=app, secret=secret["secretText"])
    entries = AuditEntry.objects.filter(
        tenant_uuid=management_world.tenant.tenant_id, action=AuditAction.SECRET_ADDED
    )
    assert secret["secretText"] not in str(list(entries.values_list("details", flat=True)))
    removed = requests.post(
        f"{url}/removePassword",
        json={"keyId": secret["keyId"]},
        headers=management_world.headers(),
        timeout=10,
    )
    assert removed.status_code == 204
    with in_tenant(management_world.tenant):
        assert not ClientSecret.objects.filter(app=app).exists()

    key = requests.post(
        f"{url}/addKey",
        json={"keyCredential": {"key": public_key_pem(), "displayName": "signing"}},
        headers=management_world.headers(),
        timeout=10,
    )
    assert key.status_code == 200, key.text
    assert key.json()["type"] == "AsymmetricKey"
    private = requests.post(
        f"{url}/addKey",
        json={"keyCredential": {"key": "-----BEGIN PRIVATE KEY-----\nAAAA\n"}},
        headers=management_world.headers(),
        timeout=10,
    )
    assert private.status_code == 400
    gone = requests.post(
        f"{url}/removeKey",
        json={"keyId": key.json()["keyId"]},
        headers=management_world.headers(),
        timeout=10,
    )
    assert gone.status_code == 204
    assert (
        requests.get(url, headers=management_world.headers(), timeout=10).json()["keyCredentials"]
        == []
    )


def test_reading_takes_application_read_and_writing_readwrite(
    management_world: ManagementWorld,
) -> None:
    reader = management_world.headers("Application.Read.All")
    listed = requests.get(management_world.url("applications"), headers=reader, timeout=10)
    assert listed.status_code == 200
    names = [app["displayName"] for app in listed.json()["value"]]
    assert "Management API" not in names
    write = requests.post(
        management_world.url("applications"),
        json={"displayName": "Nope"},
        headers=reader,
        timeout=10,
    )
    assert write.status_code == 403


def test_an_api_its_scopes_roles_and_a_client_consented_to_them(
    management_world: ManagementWorld,
) -> None:
    headers = management_world.headers()
    api = _create(management_world).json()
    api_url = management_world.url(f"applications/{api['id']}")
    app_id_uri = f"api://orders-{uuid.uuid4().hex[:6]}"
    named = requests.patch(
        api_url, json={"identifierUris": [app_id_uri]}, headers=headers, timeout=10
    )
    assert named.json()["identifierUris"] == [app_id_uri]
    scope = requests.post(
        f"{api_url}/api/oauth2PermissionScopes",
        json={"value": "Orders.Read", "adminConsentDisplayName": "Read orders"},
        headers=headers,
        timeout=10,
    )
    assert scope.status_code == 201, scope.text
    role = requests.post(
        f"{api_url}/appRoles",
        json={"value": "Orders.Read.All", "displayName": "Read all orders"},
        headers=headers,
        timeout=10,
    )
    assert role.status_code == 201, role.text
    assert role.json()["allowedMemberTypes"] == ["Application"]
    for_customers = requests.post(
        f"{api_url}/appRoles",
        json={"value": "Orders.Admin", "displayName": "Admin", "allowedMemberTypes": ["User"]},
        headers=headers,
        timeout=10,
    )
    assert for_customers.json()["allowedMemberTypes"] == ["User"]
    listed = requests.get(api_url, headers=headers, timeout=10).json()
    assert [s["value"] for s in listed["api"]["oauth2PermissionScopes"]] == ["Orders.Read"]
    assert [(r["value"], r["allowedMemberTypes"]) for r in listed["appRoles"]] == [
        ("Orders.Read.All", ["Application"]),
        ("Orders.Admin", ["User"]),
    ]

    client = _create(management_world, web={"redirectUris": ["https://client.example/cb"]}).json()
    client_url = management_world.url(f"applications/{client['id']}")
    wanted = [
        {
            "resourceAppId": api["appId"],
            "resourceAccess": [
                {"id": scope.json()["id"], "type": "Scope"},
                {"id": role.json()["id"], "type": "Role"},
            ],
        }
    ]
    requested = requests.patch(
        client_url,
        json={
            "requiredResourceAccess": wanted,
            "optionalClaims": {"idToken": [{"name": "given_name"}], "accessToken": []},
        },
        headers=headers,
        timeout=10,
    )
    assert requested.status_code == 200, requested.text
    access = requested.json()["requiredResourceAccess"][0]["resourceAccess"]
    assert [(a["type"], a["adminConsented"]) for a in access] == [
        ("Scope", False),
        ("Role", False),
    ]
    assert requested.json()["optionalClaims"] == {
        "idToken": [{"name": "given_name"}],
        "accessToken": [],
    }
    granted = requests.post(f"{client_url}/grantAdminConsent", headers=headers, timeout=10)
    assert granted.json() == {"changed": 2}
    consented = requests.get(client_url, headers=headers, timeout=10).json()
    assert all(
        a["adminConsented"] for a in consented["requiredResourceAccess"][0]["resourceAccess"]
    )
    revoked = requests.post(f"{client_url}/revokeAdminConsent", headers=headers, timeout=10)
    assert revoked.json()["changed"] >= 2
    dropped = requests.patch(
        client_url, json={"requiredResourceAccess": []}, headers=headers, timeout=10
    )
    assert dropped.json()["requiredResourceAccess"] == []
    unknown = requests.patch(
        client_url,
        json={"optionalClaims": {"idToken": [{"name": "no_such_attribute"}]}},
        headers=headers,
        timeout=10,
    )
    assert unknown.status_code == 400
