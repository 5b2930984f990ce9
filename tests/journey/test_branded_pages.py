"""The hosted pages wear the branding of the app signing in: the sign-in page the authorization
endpoint answers with itself, and the journey's pages after it; without an app, the tenant's."""

from django.test import Client

from branding.services import branding_layer_save
from tenants.schemas import in_tenant
from tests.branding.images import image_bytes, upload
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld


def test_the_authorization_endpoints_sign_in_page_wears_the_apps_branding(
    flow_world: FlowWorld,
) -> None:
    tenant, app = flow_world.tenant, flow_world.app
    with in_tenant(tenant):
        branding_layer_save(app_id=None, locale="", values={"accent_color": "#123456"}, images={})
        branding_layer_save(
            app_id=app.pk,
            locale="",
            values={"accent_color": "#8a1538", "username_hint": "shopper@shop.example"},
            images={},
        )
        branding_layer_save(
            app_id=app.pk, locale="fr", values={"username_hint": "client@shop.example"}, images={}
        )
    client = Client()
    page = client.get(
        f"/{tenant.domain_name}/oauth2/v2.0/authorize?client_id={app.client_id}"
        f"&response_type=code&scope=openid&redirect_uri={FLOW_APP_REDIRECT}"
    ).content.decode()
    assert 'placeholder="shopper@shop.example"' in page
    assert f"app={app.client_id}" in page  # the app's theme stylesheet
    # The next page of the same journey too, and in the app's language layer when asked.
    again = client.get(f"/{tenant.domain_name}/account/login/").content.decode()
    assert 'placeholder="shopper@shop.example"' in again
    french = client.get(
        f"/{tenant.domain_name}/oauth2/v2.0/authorize?client_id={app.client_id}"
        f"&response_type=code&scope=openid&redirect_uri={FLOW_APP_REDIRECT}&ui_locales=fr"
    ).content.decode()
    assert 'placeholder="client@shop.example"' in french
    # A customer who came without an app: the tenant's branding.
    plain = Client().get(f"/{tenant.domain_name}/account/login/").content.decode()
    assert "shopper@shop.example" not in plain
    assert f"app={app.client_id}" not in plain


def test_sign_in_text_and_the_sspr_link_follow_the_branding(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    login = f"/{tenant.domain_name}/account/login/"
    assert "Forgot password?" in Client().get(login).content.decode()
    with in_tenant(tenant):
        branding_layer_save(
            app_id=None,
            locale="",
            values={
                "show_sspr_link": False,
                "sign_in_text": "Help: [desk](https://help.example) <script>x</script>",
            },
            images={},
        )
    page = Client().get(login).content.decode()
    assert "Forgot password?" not in page
    assert '<div class="brand-sign-in-text">' in page
    assert 'href="https://help.example"' in page
    assert "<script>x" not in page


def test_the_square_logos_are_the_pages_home_screen_icons(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    login = f"/{tenant.domain_name}/account/login/"
    assert "apple-touch-icon" not in Client().get(login).content.decode()
    with in_tenant(tenant):
        branding_layer_save(
            app_id=None,
            locale="",
            values={},
            images={
                "square_logo_light": upload(image_bytes(240, 240)),
                "square_logo_dark": upload(image_bytes(240, 240, color=(0, 0, 0))),
            },
        )
    page = Client().get(login).content.decode()
    assert '<link rel="apple-touch-icon" href="/' in page
    assert '<link rel="apple-touch-icon" media="(prefers-color-scheme: dark)" href="/' in page
    assert page.count('rel="icon"') == 0  # the favicon stays the favicon (none set here)
