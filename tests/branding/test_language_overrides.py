"""Language customizations as Entra does them (branding/languages.py, branding/strings.py,
branding/overrides.py, the `text` tag and the admin center's Languages pages): every bad file is
a clear error naming its key and stores nothing; defaults list every string ID, custom
attributes included; pages show the override of their language, else the translated default."""

import io
import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.attributes import BUILTIN_ATTRIBUTES
from accounts.models import Directory
from branding.languages import (
    OVERRIDES_FILE_MAX_BYTES,
    LanguageOverridesInvalid,
    language_defaults,
    language_file_read,
    language_overrides_get,
    language_overrides_remove,
    language_overrides_upload,
)
from branding.models import LanguageOverride
from branding.overrides import customized_text, forget_all, overrides_for
from branding.selectors import branding_forget_all
from branding.strings import STRINGS, StringGroup
from journey.forms import attribute_field_label
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.accounts import MakeOperator, operator_client
from tests.factories.flows import FlowWorld

ENTRA_IDS = {
    "AttributeCollection_Description",
    "AttributeCollection_Title",
    "Attribute_City",
    "Attribute_Country",
    "Attribute_DisplayName",
    "Attribute_Email",
    "Attribute_Generic_ConfirmationLabel",
    "Attribute_GivenName",
    "Attribute_JobTitle",
    "Attribute_Password",
    "Attribute_Password_MismatchErrorString",
    "Attribute_PostalCode",
    "Attribute_State",
    "Attribute_StreetAddress",
    "Attribute_Surname",
    "SignIn_Description",
    "SignIn_Title",
    "SignUp_Description",
    "SignUp_Title",
    "SisuOtc_Title",
}


def extension_id(tenant: Tenant, name: str) -> str:
    with in_tenant(tenant):
        app_id = Directory.objects.get_or_create(singleton=True)[0].extensions_app_id
    return f"Attribute_extension_{app_id.hex}_{name}"


def refused(tenant: Tenant, data: bytes, locale: str = "fr") -> list[str]:
    with in_tenant(tenant), pytest.raises(LanguageOverridesInvalid) as raised:
        language_overrides_upload(locale=locale, data=data)
    return raised.value.errors


def test_the_table_has_every_entra_id_in_its_group() -> None:
    assert set(STRINGS) == ENTRA_IDS
    assert STRINGS["SisuOtc_Title"].group == StringGroup.SISU_OTC
    assert STRINGS["AttributeCollection_Title"].group == StringGroup.ATTRIBUTE_COLLECTION
    assert {row.group for row in STRINGS.values()} == set(StringGroup)


def test_defaults_have_every_key_custom_attributes_included(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    with in_tenant(tenant):
        defaults = language_defaults(locale="fr")
    loyalty = extension_id(tenant, "LoyaltyNumber")
    customs = {key for key in defaults if key.startswith("Attribute_extension_")}
    assert set(defaults) == ENTRA_IDS | customs
    assert loyalty in customs
    assert len(customs) == 5  # the flow world's five custom attributes
    assert defaults[loyalty] == "LoyaltyNumber"
    assert defaults["SignIn_Description"].count("{0}") == 1
    assert all(isinstance(text, str) and text for text in defaults.values())


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'{"SignIn_Titel": "x"}', "“SignIn_Titel” is not a known string ID"),
        (b'{"SignIn_Title": 3}', "“SignIn_Title” must be text"),
        (b'{"SignIn_Title": ["a"]}', "“SignIn_Title” must be text"),
        (b'{"SignIn_Title": null}', "“SignIn_Title” must be text"),
        (b'{"SignIn_Title": "  "}', "“SignIn_Title” is empty"),
        (b'{"SignIn_Title": "a\\u0000b"}', "“SignIn_Title” holds characters"),
        (json.dumps({"SignIn_Title": "x" * 129}).encode(), "“SignIn_Title” is 129 characters"),
        (b'{"SignIn_Title": "a", "SignIn_Title": "b"}', "“SignIn_Title” appears twice"),
        (b'{"SignIn_Title": "a",}', "not valid JSON"),
        (b"", "not valid JSON"),
        (b'["SignIn_Title"]', "one JSON object"),
        (b'"text"', "one JSON object"),
        (b"[" * 60_000, "nests too deeply"),
        (b'{"SignIn_Title": "\xff\xfe"}', "not UTF-8"),
        (b"{" + b" " * OVERRIDES_FILE_MAX_BYTES + b"}", "larger than 64 KB"),
    ],
)
def test_a_bad_file_is_a_clear_error_and_stores_nothing(
    tenant_a: Tenant, data: bytes, says: str
) -> None:
    with in_tenant(tenant_a):
        language_overrides_upload(locale="fr", data=b'{"SignIn_Title": "Bonjour"}')
    errors = refused(tenant_a, data)
    assert any(says in error for error in errors), errors
    with in_tenant(tenant_a):
        assert language_overrides_get(locale="fr") == {"SignIn_Title": "Bonjour"}


def test_every_problem_is_named_and_nothing_is_stored_in_part(tenant_a: Tenant) -> None:
    data = json.dumps(
        {"SignIn_Title": "Fine", "Nope": "x", "SignUp_Title": 1, "SisuOtc_Title": "y" * 500}
    ).encode()
    errors = refused(tenant_a, data)
    assert len(errors) == 3
    assert "Nope" in errors[0]
    assert "SignUp_Title" in errors[1]
    assert "SisuOtc_Title" in errors[2]
    with in_tenant(tenant_a):
        assert not LanguageOverride.objects.exists()


def test_a_file_of_many_problems_reports_the_first(tenant_a: Tenant) -> None:
    data = json.dumps({f"Unknown{n}": "x" for n in range(500)}).encode()
    errors = refused(tenant_a, data)
    assert len(errors) == 21
    assert "480 more" in errors[-1]


def test_only_shipped_languages(tenant_a: Tenant) -> None:
    assert "not a shipped language" in refused(tenant_a, b"{}", locale="pt")[0]


class _CountingFile(io.RawIOBase):
    """10 MB that count how much of them is read."""

    def __init__(self, size: int) -> None:
        self.size, self.served = size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.served if n < 0 else min(n, self.size - self.served)
        self.served += n
        return b" " * n


def test_ten_megabytes_are_refused_without_reading_them() -> None:
    ten_mb = _CountingFile(10 * 1024 * 1024)
    with pytest.raises(LanguageOverridesInvalid) as raised:
        language_file_read(file=ten_mb)
    assert "larger than 64 KB" in raised.value.errors[0]
    assert ten_mb.served <= OVERRIDES_FILE_MAX_BYTES + 1
    announced = _CountingFile(10 * 1024 * 1024)
    with pytest.raises(LanguageOverridesInvalid):
        language_file_read(file=announced, size=announced.size)
    assert announced.served == 0


def test_upload_replaces_and_remove_restores_the_defaults(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    loyalty = extension_id(tenant, "LoyaltyNumber")
    upload = {"SignIn_Title": "Connexion", loyalty: "Numéro de fidélité"}
    with in_tenant(tenant):
        # A byte-order mark, as some editors write it, is accepted.
        stored = language_overrides_upload(
            locale="fr", data=b"\xef\xbb\xbf" + json.dumps(upload).encode()
        )
        assert stored == upload
        language_overrides_upload(locale="fr", data=b'{"SignUp_Title": "Inscription"}')
        assert language_overrides_get(locale="fr") == {"SignUp_Title": "Inscription"}
        assert language_overrides_remove(locale="fr") is True
        assert language_overrides_get(locale="fr") == {}
        assert language_overrides_remove(locale="fr") is False


def test_the_tag_gives_the_override_of_the_page_language_else_the_default(
    tenant_a: Tenant,
) -> None:
    template = Template(
        '{% load branding_text %}{% text "SignIn_Title" %}|{% text "SignIn_Description" app %}'
        '|{% text "Nope" %}'
    )
    with in_tenant(tenant_a):
        language_overrides_upload(
            locale="fr",
            data=json.dumps(
                {"SignIn_Title": "Bienvenue <chez nous>", "SignIn_Description": "vers {0} {0.x}"}
            ).encode(),
        )
        with translation.override("fr"):
            french = template.render(Context({"app": "<Shop>"}))
        with translation.override("de"):
            german = template.render(Context({"app": "Shop"}))
            title = str(STRINGS["SignIn_Title"].default)
            description = customized_text("SignIn_Description", "Shop")
    assert french == "Bienvenue &lt;chez nous&gt;|vers &lt;Shop&gt; {0.x}|"
    # No German override: the default (German once the translations ship; English until then).
    assert german == f"{title}|{description}|"
    assert "Shop" in description


def test_the_form_labels_use_the_override(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    loyalty = extension_id(tenant, "LoyaltyNumber")
    with in_tenant(tenant):
        items = {
            (item.custom_attribute.name if item.custom_attribute else item.builtin): item
            for item in flow_world.flow.attributes.select_related("custom_attribute")
        }
        language_overrides_upload(
            locale="fr",
            data=json.dumps(
                {loyalty: "Numéro de fidélité", "Attribute_GivenName": "Prénom"}
            ).encode(),
        )
        with translation.override("fr"):
            assert attribute_field_label(items["LoyaltyNumber"]) == "Numéro de fidélité"
            # The override wins over the flow's own label ("First name").
            assert attribute_field_label(items["given_name"]) == "Prénom"
            assert attribute_field_label(items["surname"]) == str(
                BUILTIN_ATTRIBUTES["surname"].label
            )
        with translation.override("en"):
            assert attribute_field_label(items["given_name"]) == "First name"


def test_the_hosted_sign_in_page_shows_the_override(flow_world: FlowWorld) -> None:
    with in_tenant(flow_world.tenant):
        language_overrides_upload(
            locale="fr",
            data=json.dumps(
                {"SignIn_Title": "Bienvenue", "SignIn_Description": "pour aller vers {0}"}
            ).encode(),
        )
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get(authorize_url(flow_world))
    assert "<h1>Bienvenue</h1>" in page.text
    assert f"<p>pour aller vers {flow_world.app.name}</p>" in page.text
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(authorize_url(flow_world))
    assert "<h1>Sign in</h1>" in english.text


# --- The admin center's pages ----------------------------------------------------------------


def branding_url(tenant: Tenant, rest: str = "") -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/branding/languages/{rest}"


def flow_url(world: FlowWorld, rest: str = "") -> str:
    return (
        f"/admin-center/tenants/{world.tenant.tenant_id}/user-flows/"
        f"{world.flow.flow_id}/languages/{rest}"
    )


def test_admin_center_downloads_uploads_and_removes(
    admin_client: Client, flow_world: FlowWorld
) -> None:
    tenant = flow_world.tenant
    page = admin_client.get(branding_url(tenant))
    assert page.status_code == 200
    assert "Download defaults" in page.text
    defaults = admin_client.get(branding_url(tenant, "ja/defaults/"))
    assert defaults["Content-Disposition"] == 'attachment; filename="ja-defaults.json"'
    assert set(json.loads(defaults.content)) >= ENTRA_IDS
    assert admin_client.get(branding_url(tenant, "pt/defaults/")).status_code == 404

    bad = admin_client.post(
        branding_url(tenant, "fr/upload/"),
        {"file": SimpleUploadedFile("fr.json", b'{"Sign_In": "x"}', "application/json")},
    )
    assert bad.status_code == 400
    assert "“Sign_In” is not a known string ID." in bad.text
    huge = admin_client.post(
        branding_url(tenant, "fr/upload/"),
        {"file": SimpleUploadedFile("fr.json", b" " * (10 * 1024 * 1024), "application/json")},
    )
    assert huge.status_code == 400
    assert "larger than 64 KB" in huge.text
    missing = admin_client.post(branding_url(tenant, "fr/upload/"), {})
    assert missing.status_code == 400

    good = admin_client.post(
        flow_url(flow_world, "fr/upload/"),
        {"file": SimpleUploadedFile("fr.json", b'{"SignIn_Title": "Salut"}', "application/json")},
    )
    assert good.status_code == 302
    assert good["Location"] == flow_url(flow_world)
    # The same file from Company branding (as in Entra).
    overrides = admin_client.get(branding_url(tenant, "fr/overrides/"))
    assert json.loads(overrides.content) == {"SignIn_Title": "Salut"}
    assert "Customized" in admin_client.get(flow_url(flow_world)).text
    removed = admin_client.post(branding_url(tenant, "fr/remove/"))
    assert removed.status_code == 302
    with in_tenant(tenant):
        assert not LanguageOverride.objects.exists()
    actions = list(
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id)
        .filter(action__startswith="language_overrides")
        .order_by("id")
        .values_list("action", "target", "details")
    )
    assert [(action, target) for action, target, _details in actions] == [
        (AuditAction.LANGUAGE_OVERRIDES_UPLOADED, "language overrides fr"),
        (AuditAction.LANGUAGE_OVERRIDES_REMOVED, "language overrides fr"),
    ]
    assert actions[0][2]["keys"] == ["SignIn_Title"]
    assert actions[0][2]["from"].startswith("user flow ")


def test_who_may_open_the_languages_pages(
    flow_world: FlowWorld, operator_factory: MakeOperator
) -> None:
    tenant = flow_world.tenant
    flows = operator_factory(tenant=tenant, roles=[AdminRole.USER_FLOW_ADMINISTRATOR])
    branding = operator_factory(tenant=tenant, roles=[AdminRole.BRANDING_ADMINISTRATOR])
    apps = operator_factory(tenant=tenant, roles=[AdminRole.APPLICATION_ADMINISTRATOR])
    flows_client = operator_client(flows.email)
    branding_client = operator_client(branding.email)
    apps_client = operator_client(apps.email)
    assert flows_client.get(flow_url(flow_world)).status_code == 200
    assert branding_client.get(flow_url(flow_world)).status_code == 200
    assert apps_client.get(flow_url(flow_world)).status_code == 403
    assert branding_client.get(branding_url(tenant)).status_code == 200
    assert flows_client.get(branding_url(tenant)).status_code == 403


@override_settings(CIAM_BRANDING_CACHE_SECONDS=60)
def test_overrides_are_remembered_until_the_generation_moves(tenant_a: Tenant) -> None:
    forget_all()
    branding_forget_all()
    with in_tenant(tenant_a):
        LanguageOverride.objects.create(locale="fr", strings={"SignIn_Title": "Un"})
        assert overrides_for("fr") == {"SignIn_Title": "Un"}
        LanguageOverride.objects.filter(locale="fr").update(strings={"SignIn_Title": "Deux"})
        with CaptureQueriesContext(connection) as queries:
            assert overrides_for("fr") == {"SignIn_Title": "Un"}  # remembered: no query
        assert len(queries) == 0
        # Another node's change: seen once this node's few seconds are up.
        cache.set(f"branding:generation:{tenant_a.schema_name}", "another", None)
        assert overrides_for("fr") == {"SignIn_Title": "Un"}
        branding_forget_all()  # the few seconds are up
        assert overrides_for("fr") == {"SignIn_Title": "Deux"}
        # A change through the service shows on this node at once.
        language_overrides_upload(locale="fr", data=b'{"SignIn_Title": "Trois"}')
        assert overrides_for("fr") == {"SignIn_Title": "Trois"}
    forget_all()
    branding_forget_all()


def test_the_admin_sets_the_tenants_default_language(
    admin_client: Client, flow_world: FlowWorld
) -> None:
    """Company branding → Languages: the default language, spoken when nothing else decides,
    audited with before and after; an unshipped language is a form error, nothing changed."""
    tenant = flow_world.tenant
    page = admin_client.get(branding_url(tenant))
    assert 'name="language"' in page.text
    odd = admin_client.post(branding_url(tenant, "default/"), {"language": "pt"})
    assert odd.status_code == 400
    assert "Select a valid choice" in odd.text
    tenant.refresh_from_db()
    assert tenant.default_language == "en"
    saved = admin_client.post(branding_url(tenant, "default/"), {"language": "de"})
    assert saved.status_code == 302
    tenant.refresh_from_db()
    assert tenant.default_language == "de"
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant.tenant_id, action=AuditAction.TENANT_LANGUAGE_CHANGED
    )
    assert entry.details == {"before": "en", "after": "de"}
    # A customer whose browser asks for nothing is spoken to in German, at once.
    sign_in = Client().get(f"/{tenant.domain_name}/account/login/")
    assert '<html lang="de"' in sign_in.text
    # The same language again changes nothing and writes no entry.
    admin_client.post(branding_url(tenant, "default/"), {"language": "de"})
    assert (
        AuditEntry.objects.filter(
            tenant_uuid=tenant.tenant_id, action=AuditAction.TENANT_LANGUAGE_CHANGED
        ).count()
        == 1
    )


def test_only_branding_admins_set_the_default_language(
    operator_factory: MakeOperator, flow_world: FlowWorld
) -> None:
    tenant = flow_world.tenant
    user_admin = operator_client(
        operator_factory(tenant=tenant, roles=[AdminRole.USER_ADMINISTRATOR]).email
    )
    assert user_admin.post(branding_url(tenant, "default/"), {"language": "fr"}).status_code == 403
    tenant.refresh_from_db()
    assert tenant.default_language == "en"
