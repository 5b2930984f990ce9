"""Resolution: tenant → language → app → app's language, element by element, and cached."""

import time
from dataclasses import replace

import pytest
from django.core.cache import cache
from django.test import override_settings

from apps import services as app_services
from apps.models import Platform
from branding.images import validate_image
from branding.models import Branding, ImageElement
from branding.resolved import NEUTRAL_ACCENT_COLOR, NEUTRAL_BACKGROUND_COLOR, FooterLink
from branding.selectors import (
    branding_for,
    branding_layers,
    branding_preview_with_css,
    contrast_ratio,
    on_color,
)
from branding.services import BrandingInvalid, branding_layer_save
from tenants import changes
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.branding.images import image_bytes, upload


def save(app_id: int | None = None, locale: str = "", **values: object) -> Branding:
    return branding_layer_save(app_id=app_id, locale=locale, values=values, images={})


def test_the_neutral_default(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        resolved = branding_for(tenant_a, None, "en")
    assert resolved.company_name == tenant_a.display_name
    assert resolved.background_color == NEUTRAL_BACKGROUND_COLOR
    assert resolved.accent_color == NEUTRAL_ACCENT_COLOR
    assert resolved.layout_template == "full_screen"
    assert (resolved.show_header, resolved.show_footer, resolved.show_sspr_link) == (True,) * 3
    assert resolved.privacy_link is None
    assert resolved.terms_link is None
    assert not resolved.has_logo
    assert resolved.version
    assert resolved.stylesheet_url == (
        f"/{tenant_a.domain_name}/branding/theme/{resolved.version}.css?lang=en"
    )


def test_layer_order_and_a_per_app_override_of_one_element(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        shop = app_services.app_register(name="Shop", platform=Platform.SPA)
        other = app_services.app_register(name="Other", platform=Platform.SPA)
        save(
            background_color="#101010",
            accent_color="#202020",
            username_hint="Email",
            sign_in_text="**Welcome**",
            show_privacy_link=True,
            privacy_link_url="https://corp.example/privacy",
        )
        save(locale="fr", username_hint="Courriel")
        save(app_id=shop.pk, accent_color="#ff0000")
        save(app_id=shop.pk, locale="fr", sign_in_text="*Bienvenue*", show_header=False)

        tenant_en = branding_for(tenant_a, None, "en")
        tenant_fr = branding_for(tenant_a, None, "fr")
        shop_en = branding_for(tenant_a, shop.client_id, "en")
        shop_fr = branding_for(tenant_a, shop.client_id, "fr")
        other_fr = branding_for(tenant_a, other.client_id, "fr")
        unknown = branding_for(tenant_a, "not-an-app", "en")

    assert (tenant_en.username_hint, tenant_fr.username_hint) == ("Email", "Courriel")
    assert tenant_en.sign_in_html == "<p><strong>Welcome</strong></p>"
    assert tenant_en.privacy_link == FooterLink("Privacy & cookies", "https://corp.example/privacy")
    assert tenant_fr.privacy_link is not None
    assert tenant_fr.privacy_link.url == "https://corp.example/privacy"
    # The app overrides its accent only; everything else is the tenant's (in its language).
    assert shop_en.accent_color == "#ff0000"
    assert shop_en.background_color == "#101010"
    assert shop_en.username_hint == "Email"
    assert shop_fr.accent_color == "#ff0000"
    assert shop_fr.username_hint == "Courriel"
    assert shop_fr.sign_in_html == "<p><em>Bienvenue</em></p>"
    assert shop_fr.show_header is False
    assert shop_en.show_header is True
    # An app without layers wears the tenant's branding (its stylesheet address names it).
    assert replace(other_fr, stylesheet_url="") == replace(tenant_fr, stylesheet_url="")
    assert replace(unknown, stylesheet_url="") == replace(tenant_en, stylesheet_url="")
    assert len({tenant_en.version, tenant_fr.version, shop_en.version, shop_fr.version}) == 4
    assert f"app={shop.client_id}" in shop_fr.stylesheet_url


def test_a_footer_link_needs_a_url_to_show(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        save(show_terms_link=True, terms_link_text="Terms")
        assert branding_for(tenant_a, None, "en").terms_link is None
        save(terms_link_url="https://corp.example/terms")
        assert branding_for(tenant_a, None, "en").terms_link == FooterLink(
            "Terms", "https://corp.example/terms"
        )
        save(show_terms_link=False)
        assert branding_for(tenant_a, None, "en").terms_link is None


def test_images_resolve_to_the_tenants_asset_urls(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        layer = branding_layer_save(
            app_id=None,
            locale="",
            values={},
            images={ImageElement.BANNER_LOGO: upload(image_bytes(245, 36))},
        )
        resolved = branding_for(tenant_a, None, "en")
    file = layer.banner_logo.name.rsplit("/", 1)[1]
    assert resolved.banner_logo_url == f"/{tenant_a.domain_name}/branding/assets/{file}"
    assert resolved.has_logo


@override_settings(CIAM_BRANDING_CACHE_SECONDS=60)
def test_remembered_and_renewed_at_once_by_a_save_in_this_process(
    tenant_a: Tenant, django_assert_num_queries: object
) -> None:
    with in_tenant(tenant_a):
        save(accent_color="#123456")
        first = branding_for(tenant_a, None, "en")
        with django_assert_num_queries(0):  # type: ignore[operator]
            assert branding_for(tenant_a, None, "en") is first
        save(accent_color="#654321")
        assert branding_for(tenant_a, None, "en").accent_color == "#654321"
        tenant_a.display_name = "Renamed"
        assert branding_for(tenant_a, None, "en").company_name == "Renamed"


@override_settings(CIAM_BRANDING_CACHE_SECONDS=60)
def test_another_node_sees_a_change_within_the_window_through_the_change_feed(
    tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(changes, "_last_read", clock[0])  # the feed was read just now
    with in_tenant(tenant_a):
        save(accent_color="#123456")
        assert branding_for(tenant_a, None, "en").accent_color == "#123456"
        # Another node's save: the row changes and the shared generation moves, but this
        # process's memory is not told.
        Branding.objects.filter(app=None, locale="").update(accent_color="#abcdef")
        cache.set(f"branding:generation:{tenant_a.schema_name}", "from-another-node", None)
        assert branding_for(tenant_a, None, "en").accent_color == "#123456"
        clock[0] += 61  # the window: this process reads the change feed (tenants/changes.py)
        assert branding_for(tenant_a, None, "en").accent_color == "#abcdef"


def test_layers_are_listed_tenant_first(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        shop = app_services.app_register(name="Shop", platform=Platform.SPA)
        save(app_id=shop.pk, accent_color="#ff0000")
        save(locale="de", accent_color="#00ff00")
        save(accent_color="#0000ff")
        layers = branding_layers()
    assert [(layer.app_id, layer.locale) for layer in layers] == [
        (None, ""),
        (None, "de"),
        (shop.pk, ""),
    ]


def test_the_preview_puts_a_draft_on_top_without_storing_it(tenant_a: Tenant) -> None:
    logo = validate_image(ImageElement.BANNER_LOGO, upload(image_bytes(245, 36)))
    with in_tenant(tenant_a):
        save(background_color="#101010")
        resolved, css = branding_preview_with_css(
            tenant_a,
            client_id=None,
            language="en",
            draft_values={"accent_color": "#ffff00", "custom_css": "a{color:red}"},
            draft_images={ImageElement.BANNER_LOGO: logo},
        )
        assert resolved.background_color == "#101010"
        assert resolved.accent_color == "#ffff00"
        assert resolved.banner_logo_url.startswith("data:image/png;base64,")
        assert "a { color: red; }" in css
        assert "--brand-on-accent: #000000;" in css
        assert Branding.objects.get().accent_color is None
        with pytest.raises(BrandingInvalid) as caught:
            branding_preview_with_css(
                tenant_a,
                client_id=None,
                language="en",
                draft_values={"custom_css": "@import 'x';"},
                draft_images={},
            )
        assert "@import" in caught.value.errors["custom_css"][0]


def test_the_theme_css_and_the_accent_text_colour() -> None:
    assert on_color("#1f4fd1") == "#ffffff"
    assert on_color("#ffff00") == "#000000"
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    for accent in ("#1f4fd1", "#ffff00", "#777777", "#e81123", "#00ff00"):
        assert contrast_ratio(accent, on_color(accent)) >= 4.5
