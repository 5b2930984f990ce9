"""Branding stays inside its tenant: another tenant's app, layer or language file is never
read, shown or written through this tenant's addresses."""

from django.test import Client

from apps import services as app_services
from apps.models import AppRegistration, Platform
from branding.languages import language_overrides_upload
from branding.models import Branding
from branding.services import branding_layer_save
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.branding.images import image_bytes, upload


def app_of(tenant: Tenant, name: str) -> AppRegistration:
    with in_tenant(tenant):
        return app_services.app_register(
            name=name, platform=Platform.WEB, redirect_uris=["https://shop.example/cb"]
        )


def test_another_tenants_app_and_layers_never_dress_this_tenants_pages(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    other_app = app_of(tenant_b, "B's shop")
    with in_tenant(tenant_b):
        branding_layer_save(app_id=None, locale="", values={"accent_color": "#b0b0b0"}, images={})
        branding_layer_save(
            app_id=other_app.pk,
            locale="",
            values={"accent_color": "#8a1538", "username_hint": "b-secret-hint"},
            images={"banner_logo": upload(image_bytes(245, 36))},
        )
        language_overrides_upload(locale="en", data=b'{"SignIn_Title": "Tenant B only"}')
    # Tenant A's theme stylesheet asked for B's app: A's own (neutral) theme.
    theme = Client().get(
        f"/{tenant_a.domain_name}/branding/theme/x.css?app={other_app.client_id}&lang=en"
    )
    assert theme.status_code == 200
    css = theme.content.decode()
    assert "#8a1538" not in css
    assert "#b0b0b0" not in css
    # Tenant A's sign-in page shows nothing of B's, whatever the query says.
    page = (
        Client()
        .get(f"/{tenant_a.domain_name}/account/login/?client_id={other_app.client_id}")
        .content.decode()
    )
    assert "b-secret-hint" not in page
    assert "Tenant B only" not in page
    with in_tenant(tenant_a):
        assert not Branding.objects.exists()


def test_an_admin_cannot_brand_or_preview_another_tenants_app(
    admin_client: Client, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """`admin_client` administers tenant A only."""
    other_app = app_of(tenant_b, "B's shop")
    through_a = f"/admin-center/tenants/{tenant_a.tenant_id}/apps/{other_app.object_id}/branding/"
    assert admin_client.get(through_a).status_code == 404
    assert admin_client.post(through_a, {"accent_color": "#123456"}).status_code == 404
    through_b = f"/admin-center/tenants/{tenant_b.tenant_id}/branding/"
    assert admin_client.post(through_b, {"accent_color": "#123456"}).status_code in (403, 404)
    preview = admin_client.post(
        f"/admin-center/tenants/{tenant_a.tenant_id}/branding/preview/",
        {
            "preview_page": "sign-in",
            "preview_app": other_app.client_id,
            "preview_layer_app": str(other_app.pk),
            "preview_layer_locale": "",
            "username_hint": "draft-hint",
        },
    )
    assert preview.status_code == 200
    for tenant in (tenant_a, tenant_b):
        with in_tenant(tenant):
            assert not Branding.objects.filter(username_hint="draft-hint").exists()
    with in_tenant(tenant_b):
        assert not Branding.objects.exists()
