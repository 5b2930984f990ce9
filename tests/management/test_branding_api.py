"""/organization/branding through the real server: the default layer and a language's, images
as raw bodies, the string overrides and the default language; each write audited with the
calling app, ETags guarding updates, the room's checks answered as problems."""

from typing import Any

import requests

from tenants.models import AuditEntry, Tenant
from tests.branding.images import image_bytes
from tests.factories.management import ManagementWorld


def _call(
    world: ManagementWorld, method: str, path: str, *, etag: str | None = None, **kwargs: Any
) -> requests.Response:
    headers = {**world.headers(), **kwargs.pop("headers", {})}
    if etag is not None:
        headers["If-Match"] = etag
    return requests.request(method, world.url(path), headers=headers, timeout=10, **kwargs)


def _entries(world: ManagementWorld, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(tenant_uuid=world.tenant.tenant_id, action=action).order_by(
            "occurred_at", "pk"
        )
    )


def test_the_default_branding_and_a_language_layer(
    management_world: ManagementWorld, db: None
) -> None:
    read = _call(management_world, "GET", "organization/branding")
    assert read.status_code == 200
    assert read.json()["id"] == "0"
    etag = read.headers["ETag"]
    updated = _call(
        management_world,
        "PATCH",
        "organization/branding",
        etag=etag,
        json={
            "backgroundColor": "#1F4FD1",
            "signInPageText": "Welcome **back**",
            "showFooter": False,
            "customCss": ".ext-title { color: #123456; }",
        },
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["backgroundColor"] == "#1f4fd1"
    assert body["showFooter"] is False
    assert "color" in body["customCss"]
    stale = _call(
        management_world, "PATCH", "organization/branding", etag=etag, json={"showHeader": False}
    )
    assert stale.status_code == 412
    assert _call(management_world, "GET", "organization/branding").json()["showHeader"] is None

    invalid = _call(
        management_world,
        "PATCH",
        "organization/branding",
        json={
            "backgroundColor": "blue",
            "customPrivacyAndCookiesUrl": "javascript:alert(1)",
            "customCss": "body { background: url(https://evil.example/x.png); }",
        },
    )
    assert invalid.status_code == 400
    assert invalid.headers["Content-Type"] == "application/problem+json"
    assert set(invalid.json()["errors"]) == {
        "backgroundColor",
        "customPrivacyAndCookiesUrl",
        "customCss",
    }
    assert _call(management_world, "GET", "organization/branding").json()["backgroundColor"] == (
        "#1f4fd1"
    )

    assert _call(management_world, "GET", "organization/branding/localizations/fr").status_code == (
        404
    )
    french = _call(
        management_world,
        "PATCH",
        "organization/branding/localizations/fr",
        json={"usernameHintText": "Adresse e-mail"},
    )
    assert french.status_code == 200, french.text
    assert french.json()["id"] == "fr"
    assert french.json()["backgroundColor"] is None
    listed = _call(management_world, "GET", "organization/branding/localizations").json()
    assert [layer["id"] for layer in listed["value"]] == ["fr"]
    assert _call(management_world, "GET", "organization/branding/localizations/xx").status_code == (
        404
    )
    removed = _call(
        management_world,
        "DELETE",
        "organization/branding/localizations/fr",
        etag=french.headers["ETag"],
    )
    assert removed.status_code == 204

    entries = _entries(management_world, "branding.updated")
    assert [entry.target for entry in entries] == [
        "Company branding (default)",
        "Company branding (Français)",
    ]
    assert entries[0].details["after"]["background_color"] == "#1f4fd1"
    client_id = management_world.credentials["ALL"][0]
    assert all(entry.details["calling_app"] == client_id for entry in entries)
    assert [entry.target for entry in _entries(management_world, "branding.removed")] == [
        "Company branding (Français)"
    ]


def test_images_go_up_and_come_back_as_bytes(management_world: ManagementWorld, db: None) -> None:
    png = image_bytes(32, 32)
    assert _call(management_world, "GET", "organization/branding/favicon").status_code == 404
    stored = _call(
        management_world,
        "PUT",
        "organization/branding/favicon",
        data=png,
        headers={"Content-Type": "image/png"},
    )
    assert stored.status_code == 204, stored.text
    fetched = _call(management_world, "GET", "organization/branding/favicon")
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "image/png"
    assert fetched.content == png
    relative = _call(management_world, "GET", "organization/branding").json()["faviconRelativeUrl"]
    assert relative.endswith(".png")

    # A JPEG sent as image/png is stored as what it is.
    jpeg = image_bytes(200, 30, "JPEG")
    as_jpeg = _call(
        management_world,
        "PUT",
        "organization/branding/headerLogo",
        data=jpeg,
        headers={"Content-Type": "image/png"},
        etag="*",
    )
    assert as_jpeg.status_code == 204, as_jpeg.text
    header = _call(management_world, "GET", "organization/branding/headerLogo")
    assert header.headers["Content-Type"] == "image/jpeg"

    too_big = _call(
        management_world,
        "PUT",
        "organization/branding/favicon",
        data=image_bytes(200, 200),
        headers={"Content-Type": "image/png"},
    )
    assert too_big.status_code == 400
    assert "favicon" in too_big.json()["errors"]
    not_an_image = _call(
        management_world,
        "PUT",
        "organization/branding/bannerLogo",
        data=b"<html>hello</html>",
        headers={"Content-Type": "image/png"},
    )
    assert not_an_image.status_code == 400
    assert "bannerLogo" in not_an_image.json()["errors"]
    wrong_type = _call(
        management_world,
        "PUT",
        "organization/branding/favicon",
        data=png,
        headers={"Content-Type": "text/plain"},
    )
    assert wrong_type.status_code == 415
    unknown = _call(
        management_world,
        "PUT",
        "organization/branding/wallpaper",
        data=png,
        headers={"Content-Type": "image/png"},
    )
    assert unknown.status_code == 404
    stale = _call(
        management_world,
        "DELETE",
        "organization/branding/favicon",
        etag=header.headers["ETag"],
    )
    assert stale.status_code == 412
    gone = _call(
        management_world, "DELETE", "organization/branding/favicon", etag=fetched.headers["ETag"]
    )
    assert gone.status_code == 204
    assert _call(management_world, "GET", "organization/branding/favicon").status_code == 404

    images = [
        entry
        for entry in _entries(management_world, "branding.updated")
        if {"favicon", "header_logo"} & set(entry.details.get("after", {}))
    ]
    assert len(images) == 3
    assert all(entry.details["via"] == "management_api" for entry in images)


def test_language_overrides_and_the_default_language(
    management_world: ManagementWorld, db: None
) -> None:
    path = "organization/branding/languages/de/overrides"
    empty = _call(management_world, "GET", path)
    assert empty.status_code == 200
    assert empty.json() == {}
    put = _call(
        management_world, "PUT", path, etag=empty.headers["ETag"], json={"SignIn_Title": "Hallo"}
    )
    assert put.status_code == 200, put.text
    assert put.json() == {"SignIn_Title": "Hallo"}
    assert _call(management_world, "GET", path).json() == {"SignIn_Title": "Hallo"}
    stale = _call(management_world, "PUT", path, etag=empty.headers["ETag"], json={})
    assert stale.status_code == 412
    bad = _call(management_world, "PUT", path, json={"No_Such_String": "x", "SignIn_Title": ""})
    assert bad.status_code == 400
    assert len(bad.json()["errors"]["overrides"]) == 2
    assert _call(management_world, "GET", path).json() == {"SignIn_Title": "Hallo"}
    assert (
        _call(management_world, "GET", "organization/branding/languages/xx/overrides").status_code
        == 404
    )

    languages = _call(management_world, "GET", "organization/branding/languages")
    assert languages.json()["defaultLanguage"] == "en"
    assert {"id": "de", "displayName": "Deutsch", "hasOverrides": True} in languages.json()["value"]
    changed = _call(
        management_world,
        "PATCH",
        "organization/branding/languages",
        etag=languages.headers["ETag"],
        json={"defaultLanguage": "fr"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["defaultLanguage"] == "fr"
    assert Tenant.objects.get(pk=management_world.tenant.pk).default_language == "fr"
    unknown = _call(
        management_world, "PATCH", "organization/branding/languages", json={"defaultLanguage": "xx"}
    )
    assert unknown.status_code == 400
    assert "defaultLanguage" in unknown.json()["errors"]
    _call(
        management_world, "PATCH", "organization/branding/languages", json={"defaultLanguage": "en"}
    )

    removed = _call(management_world, "DELETE", path, etag=put.headers["ETag"])
    assert removed.status_code == 204
    assert _call(management_world, "GET", path).json() == {}

    client_id = management_world.credentials["ALL"][0]
    for action in (
        "language_overrides.uploaded",
        "language_overrides.removed",
        "tenant.language_changed",
    ):
        entries = _entries(management_world, action)
        assert entries, action
        assert all(entry.details["calling_app"] == client_id for entry in entries)
    language_changes = _entries(management_world, "tenant.language_changed")
    assert language_changes[0].actor_email == f"Automation ALL ({client_id})"
    assert (language_changes[0].details["before"], language_changes[0].details["after"]) == (
        "en",
        "fr",
    )


def test_an_app_wears_its_own_layers(management_world: ManagementWorld, db: None) -> None:
    app_path = f"organization/branding/applications/{management_world.web.object_id}"
    assert _call(management_world, "GET", app_path).status_code == 404
    created = _call(management_world, "PATCH", app_path, json={"accentColor": "#aa0000"})
    assert created.status_code == 200, created.text
    assert created.json()["accentColor"] == "#aa0000"
    read = _call(management_world, "GET", app_path)
    assert read.json() == created.json()
    french = _call(
        management_world,
        "PATCH",
        f"{app_path}/localizations/fr",
        json={"signInPageText": "Bonjour"},
    )
    assert french.status_code == 200, french.text
    assert french.json()["id"] == "fr"
    assert french.json()["accentColor"] is None
    stale = _call(
        management_world, "PATCH", app_path, etag='"stale"', json={"accentColor": "#00aa00"}
    )
    assert stale.status_code == 412
    assert _call(management_world, "DELETE", f"{app_path}/localizations/fr").status_code == 204
    removed = _call(management_world, "DELETE", app_path, etag=read.headers["ETag"])
    assert removed.status_code == 204
    assert _call(management_world, "GET", app_path).status_code == 404
    nobody = _call(
        management_world,
        "GET",
        "organization/branding/applications/00000000-0000-0000-0000-000000000001",
    )
    assert nobody.status_code == 404

    target = f"{management_world.web.name} ({management_world.web.client_id}) (default)"
    actions = [
        entry.action
        for entry in AuditEntry.objects.filter(
            tenant_uuid=management_world.tenant.tenant_id, target=target
        ).order_by("occurred_at", "pk")
    ]
    assert actions == ["branding.updated", "branding.removed"]
