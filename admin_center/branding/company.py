"""Company branding: the tenant's branding elements, per language and per app, with a live
preview (Organizational Branding Administrator or Global Administrator).

One page per layer: the tenant's default (`branding`), a language of it (`?locale=fr`), an app's
(`app-branding`, reached from the app's pages and from the Company branding page) and an app's
language. An Application Administrator without a branding role may not brand its app: the look
of the sign-in pages is the branding admin's, as in Entra (the tab is not shown to it, and the
page answers 403). Every save and removal is audited.
"""

import uuid
from typing import Any

from csp.constants import SELF
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from admin_center.access import tenant_admin_view
from admin_center.app_registrations.app_pages import APP_TABS, app_get, app_target
from admin_center.audit import audit
from admin_center.branding import preview
from admin_center.branding.forms import (
    FLAG_NAMES,
    IMAGE_NAMES,
    SECTIONS,
    BrandingLayerForm,
    layer_initial,
)
from admin_center.pages import operation_of, tenant_page
from apps.models import AppRegistration, Platform
from branding.exceptions import BrandingInvalid
from branding.models import Branding, LayoutTemplate
from branding.resolved import NEUTRAL_ACCENT_COLOR, NEUTRAL_BACKGROUND_COLOR
from branding.selectors import IMAGE_FIELDS, VALUE_FIELDS, branding_layers
from branding.services import branding_layer_delete, branding_layer_save
from tenants.models import AuditAction, Tenant
from tenants.permissions import ROLES_FOR, Capability
from tenants.schemas import in_tenant

# What an element is when no layer sets it (branding/selectors.py resolves to the same).
_NEUTRAL: dict[str, Any] = {
    "background_color": NEUTRAL_BACKGROUND_COLOR,
    "accent_color": NEUTRAL_ACCENT_COLOR,
    "layout_template": LayoutTemplate.FULL_SCREEN,
    "show_header": True,
    "show_footer": True,
    "show_sspr_link": True,
    "show_privacy_link": False,
    "show_terms_link": False,
}


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES).get(code, code)


def _locale_of(request: HttpRequest) -> str:
    """The layer's language from `?locale=` ("" = every language); 404 for one not offered."""
    locale = request.GET.get("locale", "")
    if locale and locale not in dict(settings.LANGUAGES):
        raise Http404
    return locale


def layer_name(app: AppRegistration | None, locale: str) -> str:
    """How the pages and the audit log name a layer."""
    where = _("Company branding") if app is None else app_target(app)
    which = _("default") if not locale else language_name(locale)
    return f"{where} ({which})"


def _parents(app_pk: int | None, locale: str) -> list[tuple[int | None, str]]:
    """The layers a layer inherits from, least specific first."""
    chain: list[tuple[int | None, str]] = []
    if app_pk is not None or locale:
        chain.append((None, ""))
    if app_pk is not None and locale:
        chain += [(None, locale), (app_pk, "")]
    return chain


def _describe(name: str, value: Any) -> str:
    if name in IMAGE_FIELDS:
        return _("an image") if value else _("none")
    if name in FLAG_NAMES:
        return _("shown") if value else _("hidden")
    if name == "layout_template":
        return str(LayoutTemplate(value).label)
    if name == "custom_css":
        return _("the CSS of the layer below") if value else _("none")
    return str(value) if value else _("none")


def _inherited(layers: list[Branding], app_pk: int | None, locale: str) -> dict[str, str]:
    """Per element, what the layer shows while it leaves the element empty, and from where."""
    by_key = {(layer.app_id, layer.locale): layer for layer in layers}
    found: dict[str, tuple[Any, str]] = {}
    for key in _parents(app_pk, locale):
        layer = by_key.get(key)
        if layer is None:
            continue
        source = _("default branding") if key == (None, "") else language_name(key[1])
        if key[0] is not None:
            source = _("this app's default")
        for name in (*VALUE_FIELDS, *IMAGE_FIELDS):
            value = getattr(layer, name)
            if value is not None and value != "":
                found[name] = (value, source)
    described = {}
    for name in (*VALUE_FIELDS, *IMAGE_FIELDS):
        value, source = found.get(name, (_NEUTRAL.get(name), _("neutral default")))
        described[name] = _("Inherited: %(value)s (%(source)s).") % {
            "value": _describe(name, value),
            "source": source,
        }
    return described


def _recorded(layer: Branding | None) -> dict[str, object]:
    """What the audit log keeps of a layer: its values (CSS and text by length when long) and
    its images' stored names (content hashes, not the images)."""
    if layer is None:
        return dict.fromkeys((*VALUE_FIELDS, *IMAGE_FIELDS))
    values: dict[str, object] = {name: getattr(layer, name) for name in VALUE_FIELDS}
    for name in IMAGE_FIELDS:
        file = getattr(layer, name)
        values[name] = file.name if file else None
    return values


def _layer_url(tenant: Tenant, app: AppRegistration | None, locale: str) -> str:
    if app is None:
        url = reverse("admin_center:branding", args=[tenant.tenant_id])
    else:
        url = reverse("admin_center:app-branding", args=[tenant.tenant_id, app.object_id])
    return f"{url}?locale={locale}" if locale else url


def _layer_page(
    request: HttpRequest, tenant: Tenant, *, app_id: uuid.UUID | None, locale: str
) -> HttpResponse:
    saved: Branding | None = None
    before: dict[str, object] = {}
    with in_tenant(tenant):
        app = app_get(app_id) if app_id is not None else None
        app_pk = app.pk if app is not None else None
        layers = branding_layers()
        layer = next((ly for ly in layers if ly.app_id == app_pk and ly.locale == locale), None)
        form = BrandingLayerForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            initial=layer_initial(layer),
        )
        if request.method == "POST" and form.is_valid():
            before = _recorded(layer)
            try:
                saved = branding_layer_save(
                    app_id=app_pk,
                    locale=locale,
                    values=form.values(),
                    images=form.images(),
                    clear_images=form.cleared_images(),
                )
            except BrandingInvalid as invalid:
                for name, problems in invalid.errors.items():
                    form.add_error(name if name in form.fields else None, problems)
        inherited = _inherited(layers, app_pk, locale)
        apps = list(AppRegistration.objects.exclude(platform=Platform.DAEMON).order_by("name"))
        image_urls = preview.layer_image_urls(tenant, layer)
        locales = sorted({ly.locale for ly in layers if ly.app_id == app_pk and ly.locale})
    if saved is not None:
        audit(
            request,
            tenant,
            AuditAction.BRANDING_UPDATED,
            target=layer_name(app, locale),
            before=before,
            after=_recorded(saved),
        )
        messages.success(request, _("%(layer)s saved.") % {"layer": layer_name(app, locale)})
        return redirect(_layer_url(tenant, app, locale))
    sections = [
        (key, title, [_element(form, name, inherited, image_urls) for name in names])
        for key, title, names in SECTIONS
    ]
    can_apps = bool(request.admin_roles & ROLES_FOR[Capability.MANAGE_APPS])  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "form": form,
        "sections": sections,
        "layer": layer,
        "layer_app": app,
        "layer_locale": locale,
        "layer_title": layer_name(app, locale),
        "locale_name": language_name(locale) if locale else "",
        "languages": settings.LANGUAGES,
        "layer_locales": [(code, language_name(code)) for code in locales],
        "apps": apps,
        "app_layers": {ly.app_id for ly in layers if ly.app_id is not None},
        "preview_pages": preview.PAGES,
        "preview_language": locale or tenant.default_language,
        "preview_app": app.client_id if app is not None else "",
        "section": "branding",
    }
    if app is None:
        return tenant_page(
            request,
            tenant,
            "admin_center/branding/company.html",
            context,
            status=400 if request.method == "POST" else 200,
        )
    return tenant_page(
        request,
        tenant,
        "admin_center/branding/app.html",
        {
            **context,
            "app": app,
            "tab": "branding",
            "tabs": APP_TABS if can_apps else [],
            "section": "apps" if can_apps else "branding",
        },
        status=400 if request.method == "POST" else 200,
    )


def _element(
    form: BrandingLayerForm, name: str, inherited: dict[str, str], image_urls: dict[str, str]
) -> dict[str, Any]:
    return {
        "name": name,
        "field": form[name],
        "remove": form[f"remove_{name}"] if name in IMAGE_NAMES else None,
        "image_url": image_urls.get(name, ""),
        "inherits": inherited[name],
    }


def _framing_preview(response: HttpResponse) -> HttpResponse:
    """The page may frame its preview (this site's own address): django-csp's per-response
    addition, as its csp_update decorator sets it."""
    response._csp_update = {"frame-src": [SELF]}  # type: ignore[attr-defined]
    return response


@tenant_admin_view(Capability.MANAGE_BRANDING)
@require_http_methods(["GET", "POST"])
def company_branding(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The tenant's default branding, or with `?locale=` one language's."""
    return _framing_preview(_layer_page(request, tenant, app_id=None, locale=_locale_of(request)))


@tenant_admin_view(Capability.MANAGE_BRANDING)
@require_http_methods(["GET", "POST"])
def app_branding(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    """An app's branding (over the tenant's), or with `?locale=` one language's of it."""
    return _framing_preview(_layer_page(request, tenant, app_id=app_id, locale=_locale_of(request)))


@tenant_admin_view(Capability.MANAGE_BRANDING)
@operation_of("admin_center:branding")
def branding_remove(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Remove one layer (every element inherited again): the form names it by `app` (the app's
    object ID, empty for the tenant's) and `locale`."""
    locale = request.POST.get("locale", "")
    if locale and locale not in dict(settings.LANGUAGES):
        raise Http404
    app: AppRegistration | None = None
    with in_tenant(tenant):
        if request.POST.get("app"):
            try:
                app = app_get(uuid.UUID(request.POST["app"]))
            except ValueError:
                raise Http404 from None
        existed = Branding.objects.filter(app=app, locale=locale).first()
        before = _recorded(existed)
        branding_layer_delete(app_id=app.pk if app else None, locale=locale)
    if existed is not None:
        audit(
            request,
            tenant,
            AuditAction.BRANDING_REMOVED,
            target=layer_name(app, locale),
            before=before,
            after=_recorded(None),
        )
        messages.success(request, _("%(layer)s removed.") % {"layer": layer_name(app, locale)})
    return redirect(_layer_url(tenant, app, ""))


urlpatterns: list[URLPattern] = [
    path("tenants/<uuid:tenant_id>/branding/", company_branding, name="branding"),
    path("tenants/<uuid:tenant_id>/branding/remove/", branding_remove, name="branding-remove"),
    path(
        "tenants/<uuid:tenant_id>/branding/preview/",
        preview.branding_preview_page,
        name="branding-preview",
    ),
    path(
        "tenants/<uuid:tenant_id>/apps/<uuid:app_id>/branding/",
        app_branding,
        name="app-branding",
    ),
]
