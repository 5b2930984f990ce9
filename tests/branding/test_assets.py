"""The theme stylesheet and the branding images, as a browser fetches them."""

from pathlib import Path

from django.test import Client

from apps import services as app_services
from apps.models import Platform
from branding.models import ImageElement
from branding.selectors import branding_for
from branding.services import branding_layer_save
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.branding.images import image_bytes, upload

YEAR = "public, max-age=31536000, immutable"


def test_the_theme_stylesheet_of_the_current_version_is_kept_a_year(
    client: Client, tenant_a: Tenant
) -> None:
    with in_tenant(tenant_a):
        branding_layer_save(
            app_id=None,
            locale="",
            values={"accent_color": "#1f4fd1", "custom_css": ".card{border-radius:4px}"},
            images={ImageElement.BACKGROUND_IMAGE: upload(image_bytes(100, 50))},
        )
        resolved = branding_for(tenant_a, None, "en")
    response = client.get(resolved.stylesheet_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response["Cache-Control"] == YEAR
    assert response["X-Content-Type-Options"] == "nosniff"
    css = response.content.decode()
    assert "--brand-accent: #1f4fd1;" in css
    assert "--brand-on-accent: #ffffff;" in css
    assert f'--brand-background-image: url("{resolved.background_image_url}");' in css
    assert ".card { border-radius: 4px; }" in css


def test_an_unknown_version_gets_the_current_css_briefly(client: Client, tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        branding_layer_save(app_id=None, locale="", values={"accent_color": "#ff0000"}, images={})
    response = client.get(f"/{tenant_a.domain_name}/branding/theme/0123456789abcdef.css?lang=xx")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    assert "--brand-accent: #ff0000;" in response.content.decode()


def test_the_app_and_language_choose_the_stylesheet(client: Client, tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        app = app_services.app_register(name="Shop", platform=Platform.SPA)
        branding_layer_save(
            app_id=app.pk, locale="de", values={"accent_color": "#00aa00"}, images={}
        )
        resolved = branding_for(tenant_a, app.client_id, "de")
    response = client.get(resolved.stylesheet_url)
    assert response["Cache-Control"] == YEAR
    assert "--brand-accent: #00aa00;" in response.content.decode()
    bare = client.get(resolved.stylesheet_url.split("?")[0] + "?lang=de")
    assert "#00aa00" not in bare.content.decode()


def test_an_image_is_served_with_its_type_and_a_year_long_cache(
    client: Client, tenant_a: Tenant, tenant_b: Tenant, branding_media: Path
) -> None:
    content = image_bytes(245, 36)
    with in_tenant(tenant_a):
        branding_layer_save(
            app_id=None,
            locale="",
            values={},
            images={ImageElement.BANNER_LOGO: upload(content, "logo.jpg", "image/jpeg")},
        )
        url = branding_for(tenant_a, None, "en").banner_logo_url
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content  # type: ignore[attr-defined]
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == YEAR
    etag = response["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    # The same file name under another tenant's address is not theirs to serve.
    other = url.replace(f"/{tenant_a.domain_name}/", f"/{tenant_b.domain_name}/")
    assert client.get(other).status_code == 404


def test_bad_asset_names_are_404(client: Client, tenant_a: Tenant) -> None:
    base = f"/{tenant_a.domain_name}/branding/assets/"
    for name in ("../../etc/passwd", "x.png", "0" * 32 + ".svg", "0" * 32 + ".png", "%00.png"):
        assert client.get(base + name).status_code in (400, 404), name
    assert client.post(f"/{tenant_a.domain_name}/branding/theme/x.css").status_code in (403, 405)
