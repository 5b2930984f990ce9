"""/identity/identityProviders through the real server: social providers added, read, changed
and removed over REST, secrets and private keys never answered, each write audited with the
calling app and without a secret, ETags guarding updates, problems for what the room refuses."""

from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tenants.models import AuditEntry
from tests.factories.management import ManagementWorld


def _call(
    world: ManagementWorld, method: str, path: str, *, etag: str | None = None, **kwargs: Any
) -> requests.Response:
    headers = world.headers()
    if etag is not None:
        headers["If-Match"] = etag
    return requests.request(method, world.url(path), headers=headers, timeout=15, **kwargs)


def _apple_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_google_is_added_read_changed_and_removed(
    management_world: ManagementWorld, db: None
) -> None:
    secret = "GOCSPX-very-secret-value"
    created = _call(
        management_world,
        "POST",
        "identity/identityProviders",
        json={
            "identityProviderType": "Google",
            "displayName": "Google",
            "clientId": "1234.apps.googleusercontent.com",
            "clientSecret": secret,
        },
    )
    assert created.status_code == 201, created.text
    google = created.json()
    assert google["id"] == "google"
    assert google["clientSecret"] == "******"
    assert google["trustedForEmail"] is True
    assert google["redirectUri"].endswith("/account/google/login/callback/")
    assert secret not in created.text
    path = "identity/identityProviders/google"

    twice = _call(
        management_world,
        "POST",
        "identity/identityProviders",
        json={
            "identityProviderType": "Google",
            "displayName": "Google again",
            "clientId": "x",
            "clientSecret": "y",
        },
    )
    assert twice.status_code == 400
    assert "identityProviderType" in twice.json()["errors"]

    read = _call(management_world, "GET", path)
    assert read.json() == google
    renamed = _call(
        management_world,
        "PATCH",
        path,
        etag=read.headers["ETag"],
        json={"displayName": "Sign in with Google", "clientSecret": "GOCSPX-rotated"},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["displayName"] == "Sign in with Google"
    assert "GOCSPX-rotated" not in renamed.text
    stale = _call(
        management_world, "PATCH", path, etag=read.headers["ETag"], json={"clientId": "other"}
    )
    assert stale.status_code == 412
    listed = _call(management_world, "GET", "identity/identityProviders").json()
    assert "google" in [provider["id"] for provider in listed["value"]]

    removed = _call(management_world, "DELETE", path, etag=renamed.headers["ETag"])
    assert removed.status_code == 204
    assert _call(management_world, "GET", path).status_code == 404

    entries = list(
        AuditEntry.objects.filter(
            tenant_uuid=management_world.tenant.tenant_id, target__endswith="(google)"
        ).order_by("occurred_at", "pk")
    )
    assert [entry.action for entry in entries] == [
        "identity_provider.added",
        "identity_provider.updated",
        "identity_provider.removed",
    ]
    client_id = management_world.credentials["ALL"][0]
    assert all(entry.details["calling_app"] == client_id for entry in entries)
    assert entries[1].details["secret_replaced"] is True
    assert all(secret not in str(entry.details) for entry in entries)
    assert all("GOCSPX-rotated" not in str(entry.details) for entry in entries)


def test_apple_takes_a_private_key_it_never_answers(
    management_world: ManagementWorld,
) -> None:
    pem = _apple_key()
    missing = _call(
        management_world,
        "POST",
        "identity/identityProviders",
        json={
            "identityProviderType": "Apple",
            "displayName": "Apple",
            "clientId": "com.example.web",
            "clientSecret": "not a key",
        },
    )
    assert missing.status_code == 400
    assert {"clientSecret", "developerId", "keyId"} <= set(missing.json()["errors"])
    created = _call(
        management_world,
        "POST",
        "identity/identityProviders",
        json={
            "identityProviderType": "Apple",
            "displayName": "Apple",
            "clientId": "com.example.web",
            "clientSecret": pem,
            "developerId": "TEAM123456",
            "keyId": "KEY1234567",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["developerId"] == "TEAM123456"
    assert created.json()["clientSecret"] == "******"
    assert "PRIVATE KEY" not in created.text
    assert _call(management_world, "DELETE", "identity/identityProviders/apple").status_code == 204


def test_an_openid_provider_needs_a_usable_discovery_url(
    management_world: ManagementWorld,
) -> None:
    refused = _call(
        management_world,
        "POST",
        "identity/identityProviders",
        json={
            "identityProviderType": "OpenIDConnect",
            "displayName": "Contoso",
            "clientId": "abc",
            "clientSecret": "def",
            "wellKnownEndpoint": "http://login.example.com/.well-known/openid-configuration",
            "scopes": ["profile"],
            "unknownThing": 1,
        },
    )
    assert refused.status_code == 400
    assert "unknownThing" in refused.json()["errors"]
    refused = _call(
        management_world,
        "POST",
        "identity/identityProviders",
        json={
            "identityProviderType": "OpenIDConnect",
            "displayName": "Contoso",
            "clientId": "abc",
            "clientSecret": "def",
            "wellKnownEndpoint": "http://login.example.com/.well-known/openid-configuration",
            "scopes": ["profile"],
        },
    )
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert {"wellKnownEndpoint", "scopes"} <= set(refused.json()["errors"])
