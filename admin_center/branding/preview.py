"""The live preview of a branding layer: the hosted sign-in, sign-up and code-entry pages as a
language and an app would show them, with the admin's unsaved draft on top.

The branding page's form posts itself here as the admin edits (static/ciam/admin.js, debounced;
the form's own CSRF token), and the answer is loaded into the page's preview <iframe>. The
answer is the real hosted template, rendered with the tenant's URLs and in the chosen language.
Its theme stylesheet is inline (the draft has no address of its own): the response's Content
Security Policy allows exactly that stylesheet, by its SHA-256 hash, and lets only this site
frame it. Nothing is stored; a draft value that is refused (a bad colour, an image over its
limits, CSS that is not allowed) is left out of the preview, and the form says why on saving.
"""

import base64
import hashlib
from dataclasses import replace
from typing import Any

from allauth.account.forms import SignupForm
from csp.constants import SELF
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import get_script_prefix, set_script_prefix, set_urlconf
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from admin_center.access import tenant_admin_view
from admin_center.branding.forms import IMAGE_NAMES, BrandingLayerForm
from apps.models import AppRegistration
from branding.exceptions import BrandingInvalid
from branding.images import ValidatedImage, validate_image
from branding.models import Branding
from branding.selectors import (
    IMAGE_FIELDS,
    branding_image_url,
    branding_preview_with_css,
)
from journey.forms import CustomerLoginForm
from tenants.models import Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

PAGES = [
    ("sign-in", gettext_lazy("Sign in")),
    ("sign-up", gettext_lazy("Sign up")),
    ("code", gettext_lazy("Code entry")),
]
_EXAMPLE_EMAIL = "customer@example.com"


class _CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=8)


def layer_image_urls(tenant: Tenant, layer: Branding | None) -> dict[str, str]:
    """The addresses of a saved layer's own images (call in the tenant's schema)."""
    if layer is None:
        return {}
    return {
        name: branding_image_url(tenant, getattr(layer, name).name)
        for name in IMAGE_FIELDS
        if getattr(layer, name)
    }


def _draft(
    request: HttpRequest,
) -> tuple[dict[str, Any], dict[str, ValidatedImage], list[str]]:
    """The draft's values and images that pass their checks (the others are left out), and the
    images it removes."""
    if request.method != "POST":
        return {}, {}, []
    form = BrandingLayerForm(request.POST, request.FILES)
    form.is_valid()
    cleaned = form.cleaned_data
    values = form.previewable_values()
    images: dict[str, ValidatedImage] = {}
    for name in IMAGE_NAMES:
        upload = cleaned.get(name)
        if upload:
            try:
                images[name] = validate_image(name, upload)
            except ValidationError:
                continue
    return values, images, form.cleared_images()


def _draft_layer(data: Any) -> tuple[int | None, str] | None:
    """The layer the posted draft is (the branding form's hidden `preview_layer_*` fields):
    None when absent or malformed (the draft then lies on top of every layer)."""
    if "preview_layer_locale" not in data:
        return None
    locale = data.get("preview_layer_locale", "")
    if locale and locale not in dict(settings.LANGUAGES):
        return None
    app = data.get("preview_layer_app", "")
    if not app:
        return None, locale
    if not app.isdigit() or len(app) > 18:
        return None
    return int(app), locale


def _render_page(tenant: Tenant, page: str, context: dict[str, Any]) -> str:
    """The hosted page `page` as the tenant's address would answer it (its URLs, no request:
    no session, user or messages of the admin leak into it)."""
    previous = get_script_prefix()
    set_urlconf(settings.TENANT_URLCONF)
    set_script_prefix(f"/{tenant.domain_name}/")
    try:
        if page == "sign-up":
            template = "account/signup.html"
            context |= {"form": SignupForm(), "login_url": "#"}
        elif page == "code":
            template = "account/confirm_login_code.html"
            context |= {
                "email": _EXAMPLE_EMAIL,
                "verify_form": _CodeForm(),
                "action_url": "#",
                "submit_label": _("Sign in"),
                "cancel_url": "#",
            }
        else:
            template = "account/login.html"
            context |= {"form": CustomerLoginForm(), "signup_open": True, "signup_url": "#"}
        return render_to_string(template, context)
    finally:
        set_script_prefix(previous)
        set_urlconf(None)


@tenant_admin_view(Capability.MANAGE_BRANDING)
@require_http_methods(["GET", "POST"])
@xframe_options_sameorigin
def branding_preview_page(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """GET: the saved branding; POST (the branding form, multipart): with the draft on top.
    `preview_page` (sign-in, sign-up, code), `preview_language`, `preview_app` (a client ID)."""
    data = request.POST if request.method == "POST" else request.GET
    page = data.get("preview_page", "sign-in")
    language = data.get("preview_language", "")
    if language not in dict(settings.LANGUAGES):
        language = tenant.default_language
    values, images, cleared = _draft(request)
    layer = _draft_layer(data) if request.method == "POST" else None
    with in_tenant(tenant):
        client_id = data.get("preview_app", "")[:100] or None
        if client_id and not AppRegistration.objects.filter(client_id=client_id).exists():
            client_id = None
        try:
            resolved, css = branding_preview_with_css(
                tenant,
                client_id=client_id,
                language=language,
                draft_values=values,
                draft_images=images,
                draft_layer=layer,
                cleared_images=cleared,
            )
        except BrandingInvalid:
            # The draft's CSS is refused: preview the rest.
            resolved, css = branding_preview_with_css(
                tenant,
                client_id=client_id,
                language=language,
                draft_values={**values, "custom_css": None},
                draft_images=images,
                draft_layer=layer,
                cleared_images=cleared,
            )
    resolved = replace(resolved, stylesheet_url="")
    # In the tenant's schema: the page's texts are the tenant's (its language files).
    with translation.override(language), in_tenant(tenant):
        html = _render_page(
            tenant,
            page,
            {
                "branding": resolved,
                # The sanitised stylesheet (no "<" survives sanitising): safe inside <style>.
                "branding_inline_css": mark_safe(css),  # noqa: S308
                "messages": [],
                "request": None,
                "preview": True,
            },
        )
    response = HttpResponse(html)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    # django-csp's per-response changes (what its csp_update / csp_replace decorators set).
    response._csp_update = {"style-src": [f"'sha256-{digest}'"]}  # type: ignore[attr-defined]
    response._csp_replace = {"frame-ancestors": [SELF]}  # type: ignore[attr-defined]
    response["Cache-Control"] = "no-store"
    return response
