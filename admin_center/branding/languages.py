"""Language customizations: per-language JSON overrides of the hosted pages' strings, keyed by
Entra's string IDs, from Company branding (Organizational Branding Administrator or Global
Administrator) and from a user flow's Languages page (its User Flow Administrator too). Both
pages edit the same file per language, as in Entra: the last upload wins.

Each language offers: download its defaults, download its overrides, upload overrides (a bad
file is refused whole and its problems are shown on the form), remove overrides. Uploads and
removals are audited. Every view reads and writes in the tenant's schema inside `in_tenant`, and
renders in the public schema with evaluated data.
"""

import json
import uuid
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.pages import operation_of, tenant_page
from branding.languages import (
    OVERRIDES_FILE_MAX_BYTES,
    LanguageOverridesInvalid,
    language_defaults,
    language_file_read,
    language_overrides_get,
    language_overrides_locales,
    language_overrides_remove,
    language_overrides_upload,
    shipped_language,
)
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.services import tenant_default_language_set
from userflows.models import UserFlow


class LanguageFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Overrides file (JSON)"),
        help_text=gettext_lazy("A JSON object of string IDs and texts, at most 64 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
    )


class DefaultLanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Default language"),
        choices=lambda: [(code, str(name)) for code, name in settings.LANGUAGES],
        help_text=gettext_lazy(
            "What the sign-in pages and emails speak when neither the app (ui_locales), the "
            "customer's stored preference nor the browser asks for a language the product speaks."
        ),
    )


@dataclass(frozen=True)
class LanguageRow:
    """One shipped language on a Languages page, with the addresses of its operations."""

    code: str
    name: str
    has_overrides: bool
    defaults_url: str
    overrides_url: str
    upload_url: str
    remove_url: str
    form: LanguageFileForm


@dataclass(frozen=True)
class _Place:
    """Where the Languages page is: Company branding, or one user flow's page."""

    flow: UserFlow | None

    def args(self, tenant: Tenant) -> list[object]:
        return [tenant.tenant_id] + ([self.flow.flow_id] if self.flow is not None else [])

    def url(self, name: str, tenant: Tenant, *extra: object) -> str:
        prefix = "userflow-language" if self.flow is not None else "branding-language"
        return reverse(f"admin_center:{prefix}{name}", args=[*self.args(tenant), *extra])

    def described(self) -> str:
        if self.flow is None:
            return "company branding"
        return f"user flow {self.flow.name} ({self.flow.flow_id})"


def _locale_or_404(locale: str) -> str:
    if not shipped_language(locale):
        raise Http404
    return locale


def _flow_or_404(flow_id: uuid.UUID) -> UserFlow:
    flow = UserFlow.objects.filter(flow_id=flow_id).first()
    if flow is None:
        raise Http404
    return flow


def _page(
    request: HttpRequest,
    tenant: Tenant,
    place: _Place,
    *,
    failed: tuple[str, LanguageFileForm] | None = None,
    default_form: DefaultLanguageForm | None = None,
) -> HttpResponse:
    with in_tenant(tenant):
        customized = language_overrides_locales()
    rows = [
        LanguageRow(
            code=code,
            name=str(name),
            has_overrides=code in customized,
            defaults_url=place.url("-defaults", tenant, code),
            overrides_url=place.url("-overrides", tenant, code),
            upload_url=place.url("-upload", tenant, code),
            remove_url=place.url("-remove", tenant, code),
            form=(
                failed[1]
                if failed is not None and failed[0] == code
                else LanguageFileForm(auto_id=f"id_{code}_%s")
            ),
        )
        for code, name in settings.LANGUAGES
    ]
    template = (
        "admin_center/branding/languages.html"
        if place.flow is None
        else "admin_center/userflows/languages.html"
    )
    return tenant_page(
        request,
        tenant,
        template,
        {
            "rows": rows,
            "flow": place.flow,
            "flow_section": "languages",
            "section": "user-flows" if place.flow is not None else "branding-languages",
            "max_kb": OVERRIDES_FILE_MAX_BYTES // 1024,
            "default_form": default_form
            or DefaultLanguageForm(initial={"language": tenant.default_language}),
        },
        status=400 if failed is not None or default_form is not None else 200,
    )


def _attachment(data: dict[str, str], filename: str) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _defaults(tenant: Tenant, locale: str) -> HttpResponse:
    with in_tenant(tenant):
        data = language_defaults(locale=locale)
    return _attachment(data, f"{locale}-defaults.json")


def _overrides(tenant: Tenant, locale: str) -> HttpResponse:
    with in_tenant(tenant):
        data = language_overrides_get(locale=locale)
    return _attachment(data, f"{locale}-overrides.json")


def _upload(request: HttpRequest, tenant: Tenant, place: _Place, locale: str) -> HttpResponse:
    form = LanguageFileForm(request.POST, request.FILES, auto_id=f"id_{locale}_%s")
    stored: dict[str, str] | None = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = language_file_read(file=upload, size=upload.size)
            with in_tenant(tenant):
                stored = language_overrides_upload(locale=locale, data=data)
        except LanguageOverridesInvalid as problem:
            for error in problem.errors:
                form.add_error("file", error)
    if stored is None:
        return _page(request, tenant, place, failed=(locale, form))
    audit(
        request,
        tenant,
        AuditAction.LANGUAGE_OVERRIDES_UPLOADED,
        target=f"language overrides {locale}",
        details={"locale": locale, "keys": sorted(stored), "from": place.described()},
    )
    messages.success(
        request,
        _("Overrides for %(language)s uploaded: %(count)d strings.")
        % {"language": dict(settings.LANGUAGES)[locale], "count": len(stored)},
    )
    return redirect(place.url("s", tenant))


def _remove(request: HttpRequest, tenant: Tenant, place: _Place, locale: str) -> HttpResponse:
    with in_tenant(tenant):
        removed = language_overrides_remove(locale=locale)
    if removed:
        audit(
            request,
            tenant,
            AuditAction.LANGUAGE_OVERRIDES_REMOVED,
            target=f"language overrides {locale}",
            details={"locale": locale, "from": place.described()},
        )
        messages.success(
            request,
            _("Overrides for %(language)s removed.")
            % {"language": dict(settings.LANGUAGES)[locale]},
        )
    return redirect(place.url("s", tenant))


# --- Company branding → Languages ---------------------------------------------------------------

_BRANDING = _Place(flow=None)


@tenant_admin_view(Capability.MANAGE_BRANDING)
@require_GET
def branding_languages(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _page(request, tenant, _BRANDING)


@tenant_admin_view(Capability.MANAGE_BRANDING)
@require_GET
def branding_language_defaults(request: HttpRequest, tenant: Tenant, locale: str) -> HttpResponse:
    return _defaults(tenant, _locale_or_404(locale))


@tenant_admin_view(Capability.MANAGE_BRANDING)
@require_GET
def branding_language_overrides(request: HttpRequest, tenant: Tenant, locale: str) -> HttpResponse:
    return _overrides(tenant, _locale_or_404(locale))


@tenant_admin_view(Capability.MANAGE_BRANDING)
@operation_of("admin_center:branding-languages")
def branding_language_upload(request: HttpRequest, tenant: Tenant, locale: str) -> HttpResponse:
    return _upload(request, tenant, _BRANDING, _locale_or_404(locale))


@tenant_admin_view(Capability.MANAGE_BRANDING)
@operation_of("admin_center:branding-languages")
def branding_language_remove(request: HttpRequest, tenant: Tenant, locale: str) -> HttpResponse:
    return _remove(request, tenant, _BRANDING, _locale_or_404(locale))


@tenant_admin_view(Capability.MANAGE_BRANDING)
@operation_of("admin_center:branding-languages")
def branding_default_language(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = DefaultLanguageForm(request.POST)
    if not form.is_valid():
        return _page(request, tenant, _BRANDING, default_form=form)
    language = form.cleaned_data["language"]
    tenant_default_language_set(tenant=tenant, language=language, actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        _("The default language is now %(language)s.")
        % {"language": dict(settings.LANGUAGES)[language]},
    )
    return redirect(_BRANDING.url("s", tenant))


# --- A user flow's Languages page (the same files) ----------------------------------------------


def _flow_place(tenant: Tenant, flow_id: uuid.UUID) -> _Place:
    with in_tenant(tenant):
        return _Place(flow=_flow_or_404(flow_id))


_FLOW_GUARD = tenant_admin_view(
    Capability.MANAGE_USER_FLOWS, or_capability=Capability.MANAGE_BRANDING
)


@_FLOW_GUARD
@require_GET
def userflow_languages(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    return _page(request, tenant, _flow_place(tenant, flow_id))


@_FLOW_GUARD
@require_GET
def userflow_language_defaults(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, locale: str
) -> HttpResponse:
    _flow_place(tenant, flow_id)
    return _defaults(tenant, _locale_or_404(locale))


@_FLOW_GUARD
@require_GET
def userflow_language_overrides(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, locale: str
) -> HttpResponse:
    _flow_place(tenant, flow_id)
    return _overrides(tenant, _locale_or_404(locale))


@_FLOW_GUARD
@operation_of("admin_center:userflow-languages", "flow_id")
def userflow_language_upload(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, locale: str
) -> HttpResponse:
    return _upload(request, tenant, _flow_place(tenant, flow_id), _locale_or_404(locale))


@_FLOW_GUARD
@operation_of("admin_center:userflow-languages", "flow_id")
def userflow_language_remove(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, locale: str
) -> HttpResponse:
    return _remove(request, tenant, _flow_place(tenant, flow_id), _locale_or_404(locale))


_BRANDING_PATH = "tenants/<uuid:tenant_id>/branding/languages/"
_FLOW_PATH = "tenants/<uuid:tenant_id>/user-flows/<uuid:flow_id>/languages/"
_LOCALE = "<str:locale>/"

urlpatterns = [
    path(_BRANDING_PATH, branding_languages, name="branding-languages"),
    path(
        f"{_BRANDING_PATH}default/",
        branding_default_language,
        name="branding-default-language",
    ),
    path(
        f"{_BRANDING_PATH}{_LOCALE}defaults/",
        branding_language_defaults,
        name="branding-language-defaults",
    ),
    path(
        f"{_BRANDING_PATH}{_LOCALE}overrides/",
        branding_language_overrides,
        name="branding-language-overrides",
    ),
    path(
        f"{_BRANDING_PATH}{_LOCALE}upload/",
        branding_language_upload,
        name="branding-language-upload",
    ),
    path(
        f"{_BRANDING_PATH}{_LOCALE}remove/",
        branding_language_remove,
        name="branding-language-remove",
    ),
    path(_FLOW_PATH, userflow_languages, name="userflow-languages"),
    path(
        f"{_FLOW_PATH}{_LOCALE}defaults/",
        userflow_language_defaults,
        name="userflow-language-defaults",
    ),
    path(
        f"{_FLOW_PATH}{_LOCALE}overrides/",
        userflow_language_overrides,
        name="userflow-language-overrides",
    ),
    path(
        f"{_FLOW_PATH}{_LOCALE}upload/", userflow_language_upload, name="userflow-language-upload"
    ),
    path(
        f"{_FLOW_PATH}{_LOCALE}remove/", userflow_language_remove, name="userflow-language-remove"
    ),
]
