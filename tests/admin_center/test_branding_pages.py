"""Company branding in the admin center: who may open it, what a save stores and audits, bad
uploads as field errors with nothing stored, per-language and per-app layers, and the preview."""

import re
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.test import Client

from apps import services as app_services
from apps.models import AppRegistration, Platform
from branding.languages import language_overrides_upload
from branding.models import Branding
from branding.services import branding_layer_save
from branding.storage import branding_storage
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.branding.images import image_bytes, png_bomb, upload
from tests.factories.accounts import MakeOperator, operator_client

EMPTY = {"preview_page": "sign-in"}


def branding_url(tenant: Tenant, query: str = "") -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/branding/{query}"


def app_branding_url(tenant: Tenant, app: AppRegistration) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/apps/{app.object_id}/branding/"


@pytest.fixture
def web_app(tenant_a: Tenant) -> AppRegistration:
    with in_tenant(tenant_a):
        return app_services.app_register(
            name="Shop", platform=Platform.WEB, redirect_uris=["https://shop.example/cb"]
        )


def layers(tenant: Tenant) -> list[Branding]:
    with in_tenant(tenant):
        return list(Branding.objects.all())


def stored_files(tenant: Tenant) -> set[str]:
    storage = branding_storage()
    assert isinstance(storage, FileSystemStorage)
    folder = Path(storage.location) / tenant.schema_name
    return {path.name for path in folder.glob("*")} if folder.exists() else set()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (AdminRole.BRANDING_ADMINISTRATOR, True),
        (AdminRole.GLOBAL_ADMINISTRATOR, True),
        (AdminRole.APPLICATION_ADMINISTRATOR, False),
        (AdminRole.USER_ADMINISTRATOR, False),
    ],
)
def test_only_branding_and_global_admins_may_brand(
    operator_factory: MakeOperator,
    tenant_a: Tenant,
    web_app: AppRegistration,
    role: AdminRole,
    allowed: bool,
) -> None:
    operator = operator_factory(tenant=tenant_a, roles=[role])
    client = operator_client(operator.email)
    for url in (
        branding_url(tenant_a),
        branding_url(tenant_a, "?locale=fr"),
        app_branding_url(tenant_a, web_app),
        branding_url(tenant_a, "preview/"),
    ):
        assert client.get(url).status_code == (200 if allowed else 403), url
    answer = client.post(branding_url(tenant_a), {**EMPTY, "accent_color": "#aa0000"})
    assert answer.status_code == (302 if allowed else 403)
    assert bool(layers(tenant_a)) is allowed
    # The app's pages show the Branding tab to those who may open it.
    if role in (AdminRole.APPLICATION_ADMINISTRATOR, AdminRole.GLOBAL_ADMINISTRATOR):
        app_page = client.get(
            f"/admin-center/tenants/{tenant_a.tenant_id}/apps/{web_app.object_id}/"
        )
        assert ("/branding/" in app_page.content.decode()) is allowed


def test_a_save_stores_the_layer_and_is_audited(admin_client: Client, tenant_a: Tenant) -> None:
    answer = admin_client.post(
        branding_url(tenant_a),
        {
            **EMPTY,
            "accent_color": "#0B6E4F",
            "background_color": "#f0f4f8",
            "layout_template": "full_screen",
            "show_footer": "shown",
            "show_privacy_link": "shown",
            "privacy_link_url": "https://contoso.example/privacy",
            "username_hint": "you@contoso.example",
            "sign_in_text": "Need help? [Contact us](https://contoso.example/help)",
            "banner_logo": upload(image_bytes(245, 36)),
        },
    )
    assert answer.status_code == 302
    [layer] = layers(tenant_a)
    assert (layer.app_id, layer.locale) == (None, "")
    assert layer.accent_color == "#0b6e4f"
    assert layer.layout_template == "full_screen"
    assert layer.show_footer is True
    assert layer.show_header is None  # left empty: inherited
    assert layer.banner_logo.name.endswith(".png")
    [entry] = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.BRANDING_UPDATED
    )
    assert entry.actor_email == "global@admins.example"
    assert entry.target == "Company branding (default)"
    assert entry.details["before"]["accent_color"] is None
    assert entry.details["after"]["accent_color"] == "#0b6e4f"
    assert entry.details["after"]["banner_logo"] == layer.banner_logo.name

    # The page shows the current image with a Remove box; removing it is audited too.
    page = admin_client.get(branding_url(tenant_a)).content.decode()
    assert 'name="remove_banner_logo"' in page
    assert "Inherited: " in page
    admin_client.post(branding_url(tenant_a), {**EMPTY, "remove_banner_logo": "on"})
    [layer] = layers(tenant_a)
    assert not layer.banner_logo
    assert layer.accent_color is None  # the form sets every element: empty is inherit


@pytest.mark.parametrize(
    ("field", "content", "name"),
    [
        ("banner_logo", image_bytes(2000, 300), "huge.png"),  # over the pixel limit
        ("banner_logo", b"<html><script>alert(1)</script></html>", "page.png"),
        ("favicon", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "icon.svg"),
        ("background_image", png_bomb(), "bomb.png"),
    ],
    ids=["oversized", "html-named-png", "svg", "decompression-bomb"],
)
def test_bad_uploads_are_field_errors_and_nothing_is_stored(
    admin_client: Client, tenant_a: Tenant, field: str, content: bytes, name: str
) -> None:
    before = stored_files(tenant_a)
    answer = admin_client.post(
        branding_url(tenant_a),
        {
            **EMPTY,
            "accent_color": "#123456",
            "header_logo": upload(image_bytes(245, 36)),  # a good image beside the bad one
            field: upload(content, name),
        },
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert re.search(rf'id="id_{field}_error"', page), page
    assert "Nothing was saved" in page
    assert layers(tenant_a) == []
    assert stored_files(tenant_a) == before
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.BRANDING_UPDATED
    ).exists()


def test_bad_values_are_field_errors(admin_client: Client, tenant_a: Tenant) -> None:
    answer = admin_client.post(
        branding_url(tenant_a),
        {
            **EMPTY,
            "accent_color": "red",
            "privacy_link_url": "javascript:alert(1)",
            "custom_css": "@import url(https://evil.example/x.css);",
        },
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    for field in ("accent_color", "privacy_link_url", "custom_css"):
        assert f'id="id_{field}_error"' in page, field
    assert layers(tenant_a) == []


def test_language_and_app_layers_and_their_removal(
    admin_client: Client, tenant_a: Tenant, web_app: AppRegistration
) -> None:
    admin_client.post(branding_url(tenant_a), {**EMPTY, "accent_color": "#111111"})
    page = admin_client.get(branding_url(tenant_a, "?locale=fr")).content.decode()
    assert "Inherited: #111111 (default branding)." in page
    assert (
        admin_client.post(
            branding_url(tenant_a, "?locale=fr"), {**EMPTY, "username_hint": "vous@exemple.fr"}
        ).status_code
        == 302
    )
    assert (
        admin_client.post(
            app_branding_url(tenant_a, web_app), {**EMPTY, "accent_color": "#222222"}
        ).status_code
        == 302
    )
    keys = {(layer.app_id, layer.locale) for layer in layers(tenant_a)}
    assert keys == {(None, ""), (None, "fr"), (web_app.pk, "")}
    assert admin_client.get(branding_url(tenant_a, "?locale=xx")).status_code == 404

    answer = admin_client.post(
        branding_url(tenant_a, "remove/"), {"app": str(web_app.object_id), "locale": ""}
    )
    assert answer.status_code == 302
    keys = {(layer.app_id, layer.locale) for layer in layers(tenant_a)}
    assert keys == {(None, ""), (None, "fr")}
    [removed] = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.BRANDING_REMOVED
    )
    assert removed.target == f"Shop ({web_app.client_id}) (default)"


def test_the_preview_shows_the_draft_without_saving_it(
    admin_client: Client, tenant_a: Tenant, web_app: AppRegistration
) -> None:
    answer = admin_client.post(
        branding_url(tenant_a, "preview/"),
        {
            "preview_page": "sign-in",
            "preview_language": "fr",
            "preview_app": web_app.client_id,
            "accent_color": "#8a1538",
            "username_hint": "client@exemple.fr",
            "accent_color_bad": "x",
            "banner_logo": upload(image_bytes(245, 36)),
        },
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "--brand-accent: #8a1538" in page
    assert 'placeholder="client@exemple.fr"' in page
    assert 'src="data:image/png;base64,' in page
    assert 'lang="fr"' in page
    policy = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "'sha256-" in policy
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert layers(tenant_a) == []
    for page_name in ("sign-up", "code"):
        other = admin_client.get(branding_url(tenant_a, f"preview/?preview_page={page_name}"))
        assert other.status_code == 200
    # A refused value is left out of the preview, never an error.
    bad = admin_client.post(
        branding_url(tenant_a, "preview/"),
        {"accent_color": "nope", "custom_css": "@import 'x';", "favicon": upload(b"nope")},
    )
    assert bad.status_code == 200


def test_the_preview_puts_the_draft_in_the_place_of_the_layer_being_edited(
    admin_client: Client, tenant_a: Tenant, web_app: AppRegistration
) -> None:
    """The draft is the layer being edited: an element the admin empties shows what it would
    inherit, a removed image what lies beneath, and an app's saved layer still lies above a
    draft of the tenant's."""
    with in_tenant(tenant_a):
        branding_layer_save(
            app_id=None,
            locale="",
            values={"accent_color": "#114477", "username_hint": "tenant-hint"},
            images={"banner_logo": upload(image_bytes(245, 36))},
            clear_images=(),
        )
        branding_layer_save(
            app_id=None,
            locale="fr",
            values={"accent_color": "#8a1538", "username_hint": "hint-fr"},
            images={},
            clear_images=(),
        )
        branding_layer_save(
            app_id=web_app.pk,
            locale="",
            values={"username_hint": "app-hint"},
            images={},
            clear_images=(),
        )
    editing_french = {
        "preview_page": "sign-in",
        "preview_language": "fr",
        "preview_layer_app": "",
        "preview_layer_locale": "fr",
        "accent_color": "",  # emptied in the draft: inherits the tenant's
        "username_hint": "",
    }
    page = admin_client.post(branding_url(tenant_a, "preview/"), editing_french).content.decode()
    assert "--brand-accent: #114477" in page
    assert 'placeholder="tenant-hint"' in page
    # With the app picked, the app's own layer still wins over the draft beneath it.
    with_app = {**editing_french, "preview_app": web_app.client_id, "username_hint": "draft"}
    page = admin_client.post(branding_url(tenant_a, "preview/"), with_app).content.decode()
    assert 'placeholder="app-hint"' in page
    # Removing the tenant's banner logo in a draft of the tenant's layer: the name shows.
    removing = {
        "preview_page": "sign-in",
        "preview_layer_app": "",
        "preview_layer_locale": "",
        "accent_color": "#114477",
        "remove_banner_logo": "on",
    }
    page = admin_client.post(branding_url(tenant_a, "preview/"), removing).content.decode()
    assert "/branding/assets/" not in page.split("<main", 1)[-1].split("</main>", 1)[0]
    assert tenant_a.display_name in page
    # Malformed layer fields are no error: the draft lies on top, as without them.
    odd = {**editing_french, "preview_layer_app": "x1", "accent_color": "#222222"}
    assert admin_client.post(branding_url(tenant_a, "preview/"), odd).status_code == 200


def test_the_preview_speaks_the_tenants_language_files(
    admin_client: Client, tenant_a: Tenant
) -> None:
    with in_tenant(tenant_a):
        language_overrides_upload(locale="fr", data=b'{"SignIn_Title": "Bonjour chez nous"}')
    page = admin_client.get(branding_url(tenant_a, "preview/?preview_language=fr"))
    assert "Bonjour chez nous" in page.content.decode()
    english = admin_client.get(branding_url(tenant_a, "preview/?preview_language=en"))
    assert "Bonjour chez nous" not in english.content.decode()
