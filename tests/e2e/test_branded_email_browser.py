"""The HTML email a customer gets, opened in real Chromium as a mail client would show it: the
neutral default (a real email, sent by the live server during a real sign-up, whose code then
signs the customer up typed as "1234 5678"), and a fully branded one, left to right and right to
left. Each screenshot passes the axe check (WCAG 2.1 A/AA, colour contrast included)."""

import email
import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from PIL import Image
from playwright.sync_api import Page, expect

from branding.resolved import FooterLink, ResolvedBranding
from journey import emails
from tenants.models import Tenant
from tests.e2e.conftest import CommittedData, Screenshot, expect_hosted_page
from tests.e2e.test_hosted_pages_browser import browser_app, make_tenant, start
from tests.factories.flows import FLOW_APP_REDIRECT, make_flow_world
from tests.factories.mail import mail_files

pytestmark = pytest.mark.e2e


def latest_email(mail_dir: Path, to: str, before: set[Path], seconds: float = 15) -> Any:
    """The message to `to` in a mail file of the live server that was not there `before`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in mail_files(mail_dir) - before:
            for raw in path.read_text().split("-" * 79):
                if raw.strip():
                    message = email.message_from_string(raw.strip())
                    if message["To"] == to:
                        return message
        time.sleep(0.2)
    raise AssertionError(f"no email to {to} in {mail_dir}")


def part(message: Any, content_type: str) -> str:
    for item in message.walk():
        if item.get_content_type() == content_type:
            return str(item.get_payload(decode=True).decode())
    raise AssertionError(f"no {content_type} part")


def test_the_neutral_email_in_the_browser_and_its_code_typed_with_a_space(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    live_mail_dir: Path,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = make_tenant(committed, "e2e-email")
    world = make_flow_world(tenant)
    app, secret = browser_app(tenant, world.flow, app_server)
    start(page, live_server_url, tenant, app, secret, f"{app_server}/callback")
    page.get_by_role("link", name="Create one").click()
    sent_before = mail_files(live_mail_dir)
    page.get_by_label("Email address").fill("mailreader@example.com")
    page.get_by_role("button", name="Continue").click()
    expect_hosted_page(page, "Verify your email address")
    code_input = page.get_by_label("Code")
    expect(code_input).to_have_attribute("inputmode", "numeric")
    expect(code_input).to_have_attribute("autocomplete", "one-time-code")
    expect(code_input).to_have_attribute("pattern", "[0-9]*")

    message = latest_email(live_mail_dir, "mailreader@example.com", sent_before)
    assert message["Subject"] == "Verify your email address for Grocery app"
    code = part(message, "text/plain").split("is:", 1)[1].split()[0]
    assert re.fullmatch(r"[0-9]{8}", code), code
    hosted = page.url

    # A blank page first: content set into the hosted page would live under its CSP, which
    # blocks the inline styles an email must use.
    page.goto("about:blank")
    page.set_content(part(message, "text/html"))
    expect(page.get_by_role("heading", level=1, name="Verify your email address")).to_be_visible()
    expect(page.get_by_text(code, exact=True)).to_be_visible()
    expect(page.get_by_text("Grocery app", exact=True)).to_be_visible()  # no logo: the name
    screenshot(page, "email-neutral")

    page.goto(hosted)
    page.get_by_label("Code").fill(f"{code[:4]} {code[4:]}")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Finish signing up")).to_be_visible()
    assert page_errors == []


def _logo_png() -> bytes:
    image = Image.new("RGB", (280, 36), "#0b6e4f")
    for x in range(8, 36):
        for y in range(8, 28):
            image.putpixel((x, y), (255, 255, 255))
    data = io.BytesIO()
    image.save(data, format="PNG")
    return data.getvalue()


def _branded(tenant: Tenant, client_id: str | None, language: str) -> ResolvedBranding:
    return ResolvedBranding(
        company_name="Woodgrove Groceries",
        banner_logo_url="/media/branding/woodgrove/banner.png",
        background_color="#fdf6e3",
        accent_color="#0b6e4f",
        privacy_link=FooterLink(text="Privacy & cookies", url="https://woodgrove.example/p"),
        terms_link=FooterLink(text="Terms of use", url="https://woodgrove.example/t"),
    )


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ar", "rtl")])
def test_the_branded_email_in_the_browser(
    page: Page,
    committed: CommittedData,
    screenshot: Screenshot,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
    language: str,
    direction: str,
) -> None:
    # The email is rendered here (Django's test outbox) from a branding the resolver answers;
    # the logo's absolute URL is answered by the browser's router, as a mail client fetches it.
    monkeypatch.setattr(emails, "branding_for", _branded)
    tenant = make_tenant(committed, "e2e-branded-email")
    world = make_flow_world(tenant)
    client = Client()
    client.get(
        f"/{tenant.domain_name}/oauth2/v2.0/authorize?client_id={world.app.client_id}"
        f"&response_type=code&scope=openid&redirect_uri={FLOW_APP_REDIRECT}"
        f"&ui_locales={language}"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/{tenant.domain_name}/account/signup/", {"email": "fan@example.com"})
    [message] = mail.outbox
    [(html, _mimetype)] = message.alternatives
    assert f'dir="{direction}"' in html

    logo = _logo_png()
    page.route(
        "**/media/branding/woodgrove/banner.png",
        lambda route: route.fulfill(status=200, content_type="image/png", body=logo),
    )
    page.set_content(str(html), wait_until="load")
    expect(page.get_by_role("img", name="Woodgrove Groceries")).to_be_visible()
    expect(page.get_by_role("link", name="Privacy & cookies")).to_be_visible()
    assert page.evaluate("document.documentElement.dir") == direction
    screenshot(page, f"email-branded-{language}")
