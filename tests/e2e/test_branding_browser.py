"""Company branding in real Chromium: the neutral default, a tenant branded element by element
through the admin center's form (real PNG and JPEG uploads), the live preview changing before
anything is saved, an app's branding over the tenant's, and an error page in the branding."""

import io
import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from apps import services as app_services
from apps.models import Platform
from branding.models import Branding
from branding.services import branding_layer_save
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.e2e.conftest import (
    CommittedData,
    Credentials,
    Screenshot,
    expect_hosted_page,
    open_own_tenant,
)
from userflows import services as flow_services

pytestmark = pytest.mark.e2e

ACCENT = "#0b6e4f"
APP_ACCENT = "#8a1538"


def picture(path: Path, size: tuple[int, int], color: str, fmt: str = "PNG") -> Path:
    """An image file made with Pillow: a coloured field with a lighter band (a logo stand-in)."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((0, height // 3, width, 2 * height // 3), fill="#ffffff")
    draw.ellipse((height // 6, height // 6, 5 * height // 6, 5 * height // 6), fill=color)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"quality": 60} if fmt == "JPEG" else {}))
    path.write_bytes(buffer.getvalue())
    return path


def accent_of(page: Page, selector: str = "button[type=submit]") -> str:
    color: str = page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")
    return color


def test_a_new_tenant_shows_the_neutral_default(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Plain Co", "e2e-plain")
    page.goto(f"/{tenant.domain_name}/account/login/")
    expect_hosted_page(page, "Sign in")
    expect(page.locator(".tenant-name")).to_have_text("Plain Co")
    expect(page.locator(".brand-banner-logo")).to_have_count(0)
    expect(page.locator(".brand-footer")).to_have_count(0)
    expect(page.get_by_role("link", name="Forgot password?")).to_be_visible()
    screenshot(page, "branding-neutral-default")
    assert page_errors == []


def test_an_admin_brands_every_element_with_a_live_preview(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
    tmp_path: Path,
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Woodgrove Bank", "e2e-brand")
    page.get_by_role("link", name="Company branding").click()
    expect(page.get_by_role("heading", level=1, name="Company branding")).to_be_visible()
    preview = page.frame_locator("iframe[name=branding-preview]")
    expect(preview.get_by_role("heading", name="Sign in")).to_be_visible()

    # The preview follows the form before anything is saved.
    page.get_by_label("Accent colour (buttons and links)").fill(ACCENT)
    expect(preview.locator("button[type=submit]").first).to_have_css(
        "background-color", "rgb(11, 110, 79)"
    )
    page.get_by_label("Username hint").fill("name@woodgrove.example")
    expect(preview.get_by_label("Email address")).to_have_attribute(
        "placeholder", "name@woodgrove.example"
    )
    page.get_by_label("Page", exact=True).select_option("sign-up")
    expect(preview.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Page", exact=True).select_option("sign-in")
    expect(preview.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "branding-admin-preview")
    with in_tenant(tenant):
        assert not Branding.objects.exists()  # nothing saved yet

    # Every element, through the form.
    page.get_by_label("Favicon").set_input_files(picture(tmp_path / "fav.png", (32, 32), ACCENT))
    page.get_by_label("Background image").set_input_files(
        picture(tmp_path / "bg.jpg", (1280, 720), "#7fa99b", "JPEG")
    )
    page.get_by_label("Page background colour").fill("#dcebe5")
    page.get_by_label("Layout template").select_option("full_screen")
    page.get_by_label("Show header").select_option("shown")
    page.get_by_label("Show footer").select_option("shown")
    page.get_by_label("Header logo").set_input_files(
        picture(tmp_path / "header.png", (245, 36), "#1b1f24")
    )
    page.get_by_label("“Privacy & cookies” link").select_option("shown")
    page.get_by_label("“Privacy & cookies” URL").fill("https://woodgrove.example/privacy")
    page.get_by_label("“Terms of use” link").select_option("shown")
    page.get_by_label("“Terms of use” text").fill("Terms of service")
    page.get_by_label("“Terms of use” URL").fill("https://woodgrove.example/terms")
    page.get_by_label("Banner logo").set_input_files(
        picture(tmp_path / "banner.png", (245, 36), ACCENT)
    )
    page.get_by_label("Square logo (light theme)").set_input_files(
        picture(tmp_path / "sq-light.png", (240, 240), ACCENT)
    )
    page.get_by_label("Square logo (dark theme)").set_input_files(
        picture(tmp_path / "sq-dark.png", (240, 240), "#1b1f24")
    )
    page.get_by_label("Sign-in page text").fill(
        "Welcome to **Woodgrove**. [Get help](https://woodgrove.example/help)"
    )
    page.get_by_label("“Forgot password?” link").select_option("shown")
    page.get_by_role("textbox", name="Custom CSS").fill(".brand-card h1 { letter-spacing: .01em; }")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.get_by_role("img", name="Current Banner logo")).to_be_visible()
    expect(page.get_by_label("Remove Banner logo")).to_be_visible()

    page.goto(f"/{tenant.domain_name}/account/login/")
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    for logo in (".brand-header-logo", ".brand-banner-logo"):
        expect(page.locator(logo)).to_be_visible()
        assert page.locator(logo).evaluate("img => img.naturalWidth") == 245
    expect(page.locator("link[rel=icon]")).to_have_attribute("href", re.compile(r"\.png$"))
    expect(page.get_by_role("link", name="Privacy & cookies")).to_be_visible()
    expect(page.get_by_role("link", name="Terms of service")).to_be_visible()
    expect(page.get_by_role("link", name="Get help")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_attribute(
        "placeholder", "name@woodgrove.example"
    )
    assert accent_of(page) == "rgb(11, 110, 79)"
    background = page.locator(".brand-background").evaluate(
        "e => getComputedStyle(e).backgroundImage"
    )
    assert "/branding/assets/" in background
    screenshot(page, "branding-full")

    # An error page a customer can reach wears it too.
    page.goto(f"/{tenant.domain_name}/no-such-page/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator(".brand-banner-logo")).to_be_visible()
    screenshot(page, "branding-error-page")
    assert page_errors == []


def test_an_apps_branding_differs_from_the_tenants(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
    tmp_path: Path,
) -> None:
    tenant: Tenant = open_own_tenant(page, committed, operator, "Tailspin Toys", "e2e-appbrand")
    redirect_uri = "https://toys.example/callback"
    with in_tenant(tenant):
        app = app_services.app_register(
            name="Toy Shop", platform=Platform.WEB, redirect_uris=[redirect_uri]
        )
        flow = flow_services.userflow_create(name="Shoppers")
        flow_services.flow_apps_assign(flow=flow, apps=[app])
        branding_layer_save(app_id=None, locale="", values={"accent_color": ACCENT}, images={})
    # The app's own branding, set on its Branding tab.
    page.goto(f"/admin-center/tenants/{tenant.tenant_id}/apps/{app.object_id}/")
    page.get_by_role("link", name="Branding", exact=True).click()
    expect(page.get_by_text(f"Inherited: {ACCENT} (default branding).")).to_be_visible()
    page.get_by_label("Accent colour (buttons and links)").fill(APP_ACCENT)
    page.get_by_label("Banner logo").set_input_files(
        picture(tmp_path / "toys.png", (245, 36), APP_ACCENT)
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    screenshot(page, "branding-app-tab")

    page.goto(f"/{tenant.domain_name}/account/login/")
    assert accent_of(page) == "rgb(11, 110, 79)"
    expect(page.locator(".brand-banner-logo")).to_have_count(0)
    page.goto(
        f"/{tenant.domain_name}/oauth2/v2.0/authorize?client_id={app.client_id}"
        f"&response_type=code&scope=openid&redirect_uri={redirect_uri}"
    )
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    expect(page.locator(".brand-banner-logo")).to_be_visible()
    assert accent_of(page) == "rgb(138, 21, 56)"
    screenshot(page, "branding-app-override")
    assert page_errors == []
