"""Every email a customer gets is ours: an HTML part in the tenant's (or the signing-in app's)
branding and a plain-text part, from and about the app signing in (else the tenant), in the
page's language, with links on the tenant's base URL and none of allauth's stock wording; its
codes are 8 digits, typed or pasted as a customer would."""

import re
from collections.abc import Callable
from dataclasses import replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from allauth.account import app_settings as account_settings
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template
from django.test import Client

from branding.models import Branding
from branding.resolved import (
    NEUTRAL_ACCENT_COLOR,
    NEUTRAL_BACKGROUND_COLOR,
    FooterLink,
    ResolvedBranding,
)
from journey import emails
from journey.emails import readable_text_on
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_base_url
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.accounts import make_customer
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld, make_flow_world
from userflows.models import SignInMethod

Capture = Callable[..., Any]
CODE = re.compile(r"^\s*(\d{8})\s*$", re.MULTILINE)
# What allauth's own templates say, which no email of ours may.
STOCK_WORDING = (
    "Hello from",
    "Thank you for using",
    "has given your email address",
    "You are receiving this email",
    "This mail can be safely ignored",
    "password forgotten procedure",
    "testserver",
    "example.com!",
)


# Every email allauth sends with our settings (codes for sign-in, sign-up and password reset,
# verification of an address at sign-in, "account already exists", "unknown account").
SENT_WITH_OUR_SETTINGS = (
    "login_code",
    "email_confirmation",
    "email_confirmation_signup",
    "password_reset_code",
    "account_already_exists",
    "unknown_account",
)


@pytest.fixture
def otp_world(tenant_b: Tenant) -> FlowWorld:
    return make_flow_world(tenant_b, SignInMethod.EMAIL_OTP)


def parts(message: Any) -> tuple[str, str]:
    """The plain-text and the HTML part of a sent message (both must be there)."""
    assert isinstance(message, EmailMultiAlternatives)
    html = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert len(html) == 1, "no HTML part"
    assert message.body.strip(), "no text part"
    return message.body, str(html[0])


def code_in(message: Any) -> str:
    text, html = parts(message)
    found = CODE.search(text)
    assert found, text
    assert f">{found.group(1)}</span>" in html
    return found.group(1)


def sign_up(world: FlowWorld, capture: Capture, email: str, **params: str) -> tuple[Client, str]:
    """Starts a sign-up from the app's authorization request; returns the client and the URL
    of the code page."""
    client = Client()
    extra = "".join(f"&{key}={value}" for key, value in params.items())
    client.get(authorize_url(world) + extra)
    with capture(execute=True):
        sent = client.post(f"/{world.tenant.domain_name}/account/signup/", {"email": email})
    assert sent.status_code == 302, sent.content[:300]
    return client, str(sent["Location"])


def request_sign_in_code(world: FlowWorld, capture: Capture, email: str) -> tuple[Client, str]:
    client = Client()
    to_code_page = client.get(authorize_url(world))
    with capture(execute=True):
        sent = client.post(to_code_page["Location"], {"email": email})
    assert sent.status_code == 302
    return client, str(sent["Location"])


def assert_ours(message: Any) -> None:
    text, html = parts(message)
    for stock in STOCK_WORDING:
        assert stock not in message.subject
        assert stock not in text, stock
        assert stock not in html, stock
    assert not message.subject.startswith("[")


@pytest.fixture
def branded(monkeypatch: pytest.MonkeyPatch) -> ResolvedBranding:
    """The resolver answers a fully branded tenant (images as the storage gives them: a path
    from the root, a path relative to the tenant)."""

    def resolved(tenant: Tenant, client_id: str | None, language: str) -> ResolvedBranding:
        return ResolvedBranding(
            company_name="Contoso Ltd",
            banner_logo_url="/media/branding/contoso/0a1b2c.png",
            square_logo_light_url="contoso/3d4e5f.png",
            background_color="#fdf6e3",
            accent_color="#0b6e4f",
            privacy_link=FooterLink(text="Privacy & cookies", url="https://contoso.example/p"),
            terms_link=FooterLink(text="Terms of use", url="https://contoso.example/t"),
        )

    monkeypatch.setattr(emails, "branding_for", resolved)
    return resolved(Tenant(), None, "en")


def test_every_email_our_settings_send_has_our_subject_text_and_html() -> None:
    ours = Path(settings.BASE_DIR) / "templates"
    for prefix in SENT_WITH_OUR_SETTINGS:
        for suffix in ("_subject.txt", "_message.txt", "_message.html"):
            origin = get_template(f"account/email/{prefix}{suffix}").origin.name
            assert Path(origin).is_relative_to(ours), f"{prefix}{suffix} is allauth's"
    # allauth's notices (password changed, email changed, ...) are off; turning them on needs
    # our templates for them first.
    assert not account_settings.EMAIL_NOTIFICATIONS


def test_a_sign_up_code_comes_from_the_app_in_its_name_with_both_parts(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    sign_up(flow_world, django_capture_on_commit_callbacks, "new@example.com")
    [message] = mail.outbox
    assert message.subject == "Verify your email address for Shop"
    name, address = parseaddr(message.from_email)
    assert (name, address) == ("Shop", parseaddr(settings.DEFAULT_FROM_EMAIL)[1])
    text, html = parts(message)
    assert re.fullmatch(r"\d{8}", code_in(message))
    assert "Your code to verify your email address for Shop is:" in text
    assert "It expires in 15 minutes." in text
    # The neutral default: no logo, the sender's name instead; the neutral colours.
    assert "<img" not in html
    assert ">Shop</p>" in html
    assert f"background-color:{NEUTRAL_ACCENT_COLOR}" in html
    assert f"background-color:{NEUTRAL_BACKGROUND_COLOR}" in html
    assert flow_world.tenant.display_name in html  # the company name, in the footer
    assert '<html lang="en" dir="ltr">' in html
    assert "max-width:600px" in html
    assert_ours(message)


def test_without_an_app_the_email_is_in_the_tenants_name(
    tenant_a: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    make_customer(tenant_a, "forgetful@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            f"/{tenant_a.domain_name}/account/password/reset/", {"email": "forgetful@example.com"}
        )
    [message] = mail.outbox
    assert message.subject == f"Your {tenant_a.display_name} password reset code"
    assert parseaddr(message.from_email)[0] == tenant_a.display_name
    text, _html = parts(message)
    assert f"Your code to reset your password for {tenant_a.display_name} is:" in text
    assert "It expires in 3 minutes." in text
    code_in(message)
    assert_ours(message)


def test_a_sign_in_code_in_the_apps_name(
    otp_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    make_customer(otp_world.tenant, "otp@example.com")
    request_sign_in_code(otp_world, django_capture_on_commit_callbacks, "otp@example.com")
    [message] = mail.outbox
    assert message.subject == "Your Shop sign-in code"
    assert parseaddr(message.from_email)[0] == "Shop"
    code_in(message)
    assert_ours(message)


def test_account_exists_and_unknown_account_link_to_the_tenants_base_url(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    tenant = flow_world.tenant
    make_customer(tenant, "known@example.com")
    sign_up(flow_world, django_capture_on_commit_callbacks, "known@example.com")
    [exists] = mail.outbox
    assert exists.subject == "You already have an account with Shop"
    text, html = parts(exists)
    reset = f"{tenant_base_url(tenant)}/account/password/reset/"
    assert f"Reset your password: {reset}" in text
    assert f'href="{reset}"' in html
    assert "known@example.com" in text
    assert "with known@example.com. An account" in html
    assert_ours(exists)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            f"/{tenant.domain_name}/account/password/reset/", {"email": "nobody@example.com"}
        )
    [unknown] = mail.outbox
    assert unknown.subject == f"No {tenant.display_name} account uses this email address"
    assert "nobody@example.com" in parts(unknown)[0]
    assert_ours(unknown)


def test_the_email_wears_the_resolved_branding_with_absolute_urls(
    flow_world: FlowWorld,
    branded: ResolvedBranding,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    sign_up(flow_world, django_capture_on_commit_callbacks, "brand@example.com")
    [message] = mail.outbox
    text, html = parts(message)
    origin = "/".join(settings.CIAM_BASE_URL.split("/")[:3])
    assert f'<img src="{origin}/media/branding/contoso/0a1b2c.png" alt="Contoso Ltd"' in html
    assert "background-color:#fdf6e3" in html
    # The code box in the accent colour, its text readable on it.
    assert f"background-color:#0b6e4f;color:{readable_text_on('#0b6e4f')}" in html
    assert 'href="https://contoso.example/p"' in html
    assert "Privacy &amp; cookies" in html
    assert 'href="https://contoso.example/t"' in html
    assert "Contoso Ltd" in text
    assert "Privacy & cookies: https://contoso.example/p" in text
    assert "Terms of use: https://contoso.example/t" in text
    # Still the app's name in the subject and the sender.
    assert message.subject == "Verify your email address for Shop"


def test_relative_image_urls_are_made_absolute_on_the_tenants_base_url(
    tenant_a: Tenant, branded: ResolvedBranding
) -> None:
    with in_tenant(tenant_a):
        face = emails.email_face(tenant=tenant_a, client_id=None, language="en")
    base = tenant_base_url(tenant_a)
    assert face.branding.square_logo_light_url == f"{base}/contoso/3d4e5f.png"
    assert face.branding.banner_logo_url.startswith("http")
    assert face.sender_name == tenant_a.display_name


def test_colours_and_urls_that_are_not_what_they_claim_are_dropped(
    tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hostile(tenant: Tenant, client_id: str | None, language: str) -> ResolvedBranding:
        return replace(
            ResolvedBranding(company_name="X"),
            accent_color="red;background:url(https://evil.example)",
            banner_logo_url="javascript:alert(1)",
            privacy_link=FooterLink(text="p", url="javascript:alert(1)"),
        )

    monkeypatch.setattr(emails, "branding_for", hostile)
    with in_tenant(tenant_a):
        face = emails.email_face(tenant=tenant_a, client_id=None, language="en")
    assert face.branding.accent_color == NEUTRAL_ACCENT_COLOR
    assert face.branding.banner_logo_url == ""
    assert face.branding.privacy_link is None


def test_text_on_the_admins_colours_stays_readable() -> None:
    assert readable_text_on("#ffffff") == "#1b1b1b"
    assert readable_text_on("#fdf6e3") == "#1b1b1b"
    assert readable_text_on("#1f4fd1") == "#ffffff"
    assert readable_text_on("#000000") == "#ffffff"


def test_a_branding_row_of_the_tenant_reaches_the_email(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    with in_tenant(flow_world.tenant):
        Branding.objects.create(
            accent_color="#7a1f5c",
            background_color="#eef6ff",
            show_privacy_link=True,
            privacy_link_text="Privacy & cookies",
            privacy_link_url="https://shop.example/privacy",
        )
    sign_up(flow_world, django_capture_on_commit_callbacks, "row@example.com")
    [message] = mail.outbox
    _text, html = parts(message)
    assert "background-color:#7a1f5c" in html
    assert "background-color:#eef6ff" in html
    assert 'href="https://shop.example/privacy"' in html


def test_the_email_speaks_the_pages_language_and_direction(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    sign_up(flow_world, django_capture_on_commit_callbacks, "fr@example.com", ui_locales="fr")
    sign_up(flow_world, django_capture_on_commit_callbacks, "ar@example.com", ui_locales="ar")
    french, arabic = mail.outbox
    assert '<html lang="fr" dir="ltr">' in parts(french)[1]
    assert '<html lang="ar" dir="rtl">' in parts(arabic)[1]
    # The code reads left to right even in a right-to-left email.
    assert '<span dir="ltr"' in parts(arabic)[1]


def test_the_french_email_is_in_french(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    sign_up(flow_world, django_capture_on_commit_callbacks, "fr@example.com", ui_locales="fr")
    [french] = mail.outbox
    assert "Verify your email address" not in french.subject
    assert "Shop" in french.subject
    assert "It expires in" not in parts(french)[0]


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: f"{code[:4]} {code[4:]}",
        lambda code: f"{code[:4]}-{code[4:]}",
        lambda code: f"  {code}  ",
    ],
    ids=["as-sent", "space", "hyphen", "surrounding-spaces"],
)
def test_a_sign_in_code_is_accepted_as_a_customer_types_or_pastes_it(
    otp_world: FlowWorld, django_capture_on_commit_callbacks: Capture, typed: Any
) -> None:
    make_customer(otp_world.tenant, "otp@example.com")
    client, confirm_url = request_sign_in_code(
        otp_world, django_capture_on_commit_callbacks, "otp@example.com"
    )
    code = code_in(mail.outbox[-1])
    assert re.fullmatch(r"[0-9]{8}", code)
    signed_in = client.post(confirm_url, {"code": typed(code)})
    assert signed_in.status_code == 302
    assert signed_in["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")


def test_a_wrong_code_is_refused_and_a_code_works_once(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client, confirm_url = sign_up(flow_world, django_capture_on_commit_callbacks, "o@example.com")
    code = code_in(mail.outbox[-1])
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    refused = client.post(confirm_url, {"code": wrong})
    assert refused.status_code == 200
    assert "Incorrect code." in refused.text
    accepted = client.post(confirm_url, {"code": code})
    assert accepted.status_code == 302
    assert "/account/complete/" in accepted["Location"]
    # Spent: the same code again finds no verification waiting, and goes back to sign-in.
    again = client.post(confirm_url, {"code": code})
    assert again.status_code == 302
    assert again["Location"] == f"/{flow_world.tenant.domain_name}/account/login/"


def test_the_code_input_brings_up_the_number_pad(
    otp_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    make_customer(otp_world.tenant, "otp@example.com")
    client, confirm_url = request_sign_in_code(
        otp_world, django_capture_on_commit_callbacks, "otp@example.com"
    )
    page = client.get(confirm_url).text
    [code_input] = re.findall(r"<input[^>]*name=\"code\"[^>]*>", page, re.S)
    for attribute in (
        'inputmode="numeric"',
        'autocomplete="one-time-code"',
        'pattern="[0-9]*"',
        'maxlength="16"',
    ):
        assert attribute in code_input


def test_an_apps_name_is_plain_text_in_the_headers_and_escaped_in_the_html(
    otp_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    with in_tenant(otp_world.tenant):
        type(otp_world.app).objects.filter(pk=otp_world.app.pk).update(
            name="Tom & Jerry\r\nBcc: victim@example.com"
        )
    make_customer(otp_world.tenant, "otp@example.com")
    request_sign_in_code(otp_world, django_capture_on_commit_callbacks, "otp@example.com")
    [message] = mail.outbox
    # One line: a name cannot add a header.
    assert message.subject == "Your Tom & Jerry Bcc: victim@example.com sign-in code"
    assert "\n" not in message.from_email
    assert message.message()["Bcc"] is None
    text, html = parts(message)
    assert "Tom & Jerry" in text
    assert "Tom &amp; Jerry" in html
    assert "Tom & Jerry" not in html
