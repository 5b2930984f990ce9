"""What an email to a customer wears and whom it says it is from.

Every email allauth sends a customer (its codes, "account already exists", "unknown account")
is rendered by our templates (templates/account/email/) from one `EmailFace`: the resolved
branding of the tenant, or of the app whose sign-in is under way, with every image made an
absolute URL under the tenant's base URL (a mail client has no page to resolve a path against,
and the request's Host is whatever the client sent), colours that are safe inside an inline
style, and text colours that stay readable on the admin's colours (WCAG AA, 4.5:1).
"""

import math
import re
from dataclasses import dataclass, replace
from email.utils import formataddr, parseaddr
from urllib.parse import urljoin, urlsplit

from allauth.account import app_settings as account_settings
from django.conf import settings
from django.urls import get_script_prefix

from apps import lookups
from branding.resolved import (
    NEUTRAL_ACCENT_COLOR,
    NEUTRAL_BACKGROUND_COLOR,
    FooterLink,
    ResolvedBranding,
)
from branding.selectors import branding_for, contrast_ratio
from journey.mfa import email_code
from tenants.models import Tenant
from tenants.selectors import tenant_base_url

# Only this shape reaches an inline style: anything else is not a colour we wrote.
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
DARK_TEXT = "#1b1b1b"
LIGHT_TEXT = "#ffffff"
# WCAG 2.1 §1.4.3 (AA) for normal text.
_AA_CONTRAST = 4.5
# Links allauth builds into an email's context (with the request's host): rebuilt on the
# tenant's base URL.
_LINK_KEYS = ("password_reset_url", "signup_url", "activate_url")


@dataclass(frozen=True)
class EmailFace:
    """The look and the sender of one email.

    `sender_name` is the app's name while one is signing in, else the tenant's; it names the
    sender and the subject. `branding` is the resolved branding with absolute image and link
    URLs and colours of the form #rrggbb. `on_accent` and `on_background` are text colours that
    meet WCAG AA contrast on the accent and page background colours.
    """

    sender_name: str
    branding: ResolvedBranding
    on_accent: str
    on_background: str


def email_face(*, tenant: Tenant, client_id: str | None, language: str) -> EmailFace:
    """The face of an email sent in `tenant`'s schema while the app `client_id` (None: no app,
    or an app that no longer exists) is signing in, in `language`."""
    app = lookups.client(client_id) if client_id else None
    resolved = branding_for(tenant, app.client_id if app else None, language)
    base = f"{tenant_base_url(tenant)}/"
    background = _color(resolved.background_color, NEUTRAL_BACKGROUND_COLOR)
    accent = _color(resolved.accent_color, NEUTRAL_ACCENT_COLOR)
    branding = replace(
        resolved,
        favicon_url=_absolute(base, resolved.favicon_url),
        background_image_url=_absolute(base, resolved.background_image_url),
        header_logo_url=_absolute(base, resolved.header_logo_url),
        banner_logo_url=_absolute(base, resolved.banner_logo_url),
        square_logo_light_url=_absolute(base, resolved.square_logo_light_url),
        square_logo_dark_url=_absolute(base, resolved.square_logo_dark_url),
        stylesheet_url=_absolute(base, resolved.stylesheet_url),
        privacy_link=_footer_link(resolved.privacy_link),
        terms_link=_footer_link(resolved.terms_link),
        background_color=background,
        accent_color=accent,
    )
    name = (app.name if app is not None and app.name else "") or tenant.display_name
    return EmailFace(
        sender_name=_one_line(name),
        branding=branding,
        on_accent=readable_text_on(accent),
        on_background=readable_text_on(background),
    )


def sender_address(face: EmailFace) -> str:
    """`"<sender name>" <address>`, the address being DEFAULT_FROM_EMAIL's (its own display
    name, if it has one, is replaced)."""
    return formataddr((face.sender_name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def code_minutes(template_prefix: str) -> int | None:
    """How many minutes the code an email carries stays valid (allauth's timeouts, rounded
    up), or None for an email without a code."""
    seconds = {
        "account/email/login_code": account_settings.LOGIN_BY_CODE_TIMEOUT,
        "account/email/email_confirmation": account_settings.EMAIL_VERIFICATION_BY_CODE_TIMEOUT,
        "account/email/email_confirmation_signup": (
            account_settings.EMAIL_VERIFICATION_BY_CODE_TIMEOUT
        ),
        "account/email/password_reset_code": account_settings.PASSWORD_RESET_BY_CODE_TIMEOUT,
        email_code.EMAIL_TEMPLATE: email_code.CODE_SECONDS,
    }.get(template_prefix)
    return None if seconds is None else max(1, math.ceil(seconds / 60))


def tenant_links(tenant: Tenant, context: dict[str, object]) -> dict[str, object]:
    """The context with allauth's absolute links (built on the request's host) rebuilt on the
    tenant's base URL; a link outside the tenant's pages becomes the tenant's base URL."""
    prefix = get_script_prefix()
    links: dict[str, object] = {}
    for key in _LINK_KEYS:
        url = context.get(key)
        if not isinstance(url, str) or not url:
            continue
        parts = urlsplit(url)
        rest = parts.path[len(prefix) :] if parts.path.startswith(prefix) else ""
        query = f"?{parts.query}" if parts.query else ""
        links[key] = f"{tenant_base_url(tenant)}/{rest}{query}"
    return {**context, **links}


def readable_text_on(background: str) -> str:
    """White or near-black, whichever contrasts more with `background` (#rrggbb), by the
    branding's WCAG 2.1 contrast ratio; white wherever it meets AA."""
    white = contrast_ratio(background, LIGHT_TEXT)
    if white >= _AA_CONTRAST or white >= contrast_ratio(background, DARK_TEXT):
        return LIGHT_TEXT
    return DARK_TEXT


def _color(value: str, default: str) -> str:
    return value if _HEX_COLOR.fullmatch(value or "") else default


def _absolute(base: str, url: str) -> str:
    """An absolute-path or relative URL made absolute on the tenant's base URL; an absolute
    http(s) URL (a bucket's) kept; anything else (a `data:` or `javascript:` URL) dropped."""
    if not url:
        return ""
    absolute = urljoin(base, url)
    return absolute if urlsplit(absolute).scheme in ("https", "http") else ""


def _footer_link(link: FooterLink | None) -> FooterLink | None:
    if link is None or urlsplit(link.url).scheme not in ("https", "http"):
        return None
    return link


def _one_line(name: str) -> str:
    # A display name goes into the From and Subject headers: no line breaks, ever.
    return " ".join(name.split())
