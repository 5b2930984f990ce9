"""Saving a branding layer: everything checked first, nothing stored in part."""

from pathlib import Path

import pytest

from apps import services as app_services
from apps.models import Platform
from branding.models import Branding, ImageElement
from branding.services import BrandingInvalid, branding_layer_delete, branding_layer_save
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.branding.images import image_bytes, png_bomb, upload


def test_a_bad_image_and_bad_values_store_nothing_and_every_error_is_listed(
    tenant_a: Tenant, branding_media: Path
) -> None:
    with in_tenant(tenant_a):
        with pytest.raises(BrandingInvalid) as caught:
            branding_layer_save(
                app_id=None,
                locale="",
                values={
                    "background_color": "#00ff00",  # good
                    "accent_color": "blue",
                    "privacy_link_url": "javascript:alert(1)",
                    "custom_css": "@import 'x.css';",
                    "sign_in_text": "x" * 1025,
                    "layout_template": "sideways",
                    "show_header": "yes",
                    "username_hint": "h" * 65,
                    "no_such_element": 1,
                },
                images={
                    ImageElement.BANNER_LOGO: upload(image_bytes(245, 36)),  # good
                    ImageElement.FAVICON: upload(png_bomb(), "favicon.png"),
                },
                clear_images=[],
            )
        errors = caught.value.errors
        assert set(errors) == {
            "accent_color",
            "privacy_link_url",
            "custom_css",
            "sign_in_text",
            "layout_template",
            "show_header",
            "username_hint",
            "no_such_element",
            "favicon",
        }
        assert "#rrggbb" in errors["accent_color"][0]
        assert "@import" in errors["custom_css"][0]
        assert not Branding.objects.exists()
    assert not branding_media.exists() or not any(branding_media.rglob("*.*"))


def test_a_layer_is_saved_with_hashed_images_and_sanitised_css(
    tenant_a: Tenant, branding_media: Path
) -> None:
    content = image_bytes(245, 36)
    with in_tenant(tenant_a):
        layer = branding_layer_save(
            app_id=None,
            locale="",
            values={
                "background_color": "#ABCDEF",
                "custom_css": "a{color:red}",
                "show_footer": False,
            },
            images={ImageElement.BANNER_LOGO: upload(content, "logo.jpg", "image/jpeg")},
            clear_images=[],
        )
        assert layer.background_color == "#abcdef"
        assert layer.custom_css == "a { color: red; }"
        assert layer.show_footer is False
        assert layer.banner_logo.name.startswith(f"{tenant_a.schema_name}/")
        assert layer.banner_logo.name.endswith(".png")
        assert (branding_media / layer.banner_logo.name).read_bytes() == content
        first_saved = layer.updated_at

        # Values not given keep what the layer had; None inherits; a cleared image goes.
        again = branding_layer_save(
            app_id=None,
            locale="",
            values={"background_color": None},
            images={},
            clear_images=[ImageElement.BANNER_LOGO],
        )
        assert again.pk == layer.pk
        assert again.background_color is None
        assert again.custom_css == "a { color: red; }"
        assert not again.banner_logo
        assert again.updated_at > first_saved


def test_per_locale_and_per_app_layers_and_delete(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        app = app_services.app_register(name="Shop", platform=Platform.SPA)
        branding_layer_save(app_id=None, locale="", values={"username_hint": "Email"}, images={})
        branding_layer_save(
            app_id=None, locale="fr", values={"username_hint": "Courriel"}, images={}
        )
        branding_layer_save(
            app_id=app.pk, locale="", values={"username_hint": "Shop ID"}, images={}
        )
        branding_layer_save(
            app_id=app.pk, locale="fr", values={"username_hint": "ID boutique"}, images={}
        )
        assert Branding.objects.count() == 4
        branding_layer_delete(app_id=app.pk, locale="fr")
        branding_layer_delete(app_id=app.pk, locale="fr")  # already gone: nothing happens
        assert set(Branding.objects.values_list("app_id", "locale")) == {
            (None, ""),
            (None, "fr"),
            (app.pk, ""),
        }


def test_an_unknown_locale_or_app_is_refused(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        with pytest.raises(BrandingInvalid) as caught:
            branding_layer_save(app_id=987654, locale="xx", values={}, images={})
        assert set(caught.value.errors) == {"app", "locale"}
        assert not Branding.objects.exists()
