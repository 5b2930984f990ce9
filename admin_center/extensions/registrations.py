"""Custom authentication extensions (Application Administrator or Global Administrator): the
list, registering one, its page (edit, and what the calls' bearer token carries so its
developer knows what to validate) and removal after a confirmation. Each change is audited.

Every view reads and writes in the tenant's schema inside `in_tenant`, then records the audit
entry and renders in the public schema with evaluated data.
"""

from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.extensions.forms import ExtensionForm, initial_of
from admin_center.pages import tenant_page
from apps.selectors import app_list
from extensions.models import MAX_EXTENSIONS, CustomAuthenticationExtension, ExtensionEvent
from extensions.selectors import extension_get, extension_list
from extensions.services import (
    ExtensionInvalid,
    extension_create,
    extension_delete,
    extension_update,
)
from extensions.tokens import CALLER_APP_ID
from tenants.endpoints import JWKS
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.selectors import tenant_endpoint_url, tenant_issuer

SECTION = "extensions"


def extension_target(extension: CustomAuthenticationExtension) -> str:
    """How the audit log names an extension: its name and ID."""
    return f"{extension.name} ({extension.extension_id})"


def url_for_log(url: str) -> str:
    """The target URL as the audit log records it: without its query, where a function's key
    (`?code=…`) would sit."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "…" if parts.query else "", ""))


def settings_of(extension: CustomAuthenticationExtension) -> dict[str, object]:
    """What the audit log records of an extension (its URL without the query)."""
    return {
        "name": extension.name,
        "description": extension.description,
        "event": extension.event,
        "target_url": url_for_log(extension.target_url),
        "timeout_ms": extension.timeout_ms,
        "max_retries": extension.max_retries,
        "api_app": extension.api_app.client_id,
    }


def token_facts(tenant: Tenant, extension: CustomAuthenticationExtension | None) -> dict[str, str]:
    """What each call's bearer token carries, and where its signing keys are published."""
    return {
        "iss": tenant_issuer(tenant),
        "aud": extension.api_app.client_id if extension is not None else "",
        "azp": CALLER_APP_ID,
        "jwks_url": tenant_endpoint_url(tenant, JWKS),
    }


def extension_or_404(extension_id: UUID) -> CustomAuthenticationExtension:
    extension = extension_get(extension_id=extension_id)
    if extension is None:
        raise Http404
    return extension


def _put_errors(form: ExtensionForm, invalid: ExtensionInvalid) -> None:
    for field, errors in invalid.errors.items():
        form.add_error(field if field in form.fields else None, errors)


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def extension_list_view(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    with in_tenant(tenant):
        rows = [
            {
                "extension": extension,
                "event": ExtensionEvent(extension.event).label,
                "listeners": extension.listeners.count(),
            }
            for extension in extension_list()
        ]
    return tenant_page(
        request,
        tenant,
        "admin_center/extensions/list.html",
        {"rows": rows, "limit": MAX_EXTENSIONS, "section": SECTION},
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def extension_add(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    with in_tenant(tenant):
        form = ExtensionForm(data, apps=list(app_list()))
        extension = None
        if form.is_valid():
            try:
                extension = extension_create(**form.service_arguments())
            except ExtensionInvalid as invalid:
                _put_errors(form, invalid)
    if extension is not None:
        audit(
            request,
            tenant,
            AuditAction.EXTENSION_ADDED,
            target=extension_target(extension),
            details=settings_of(extension),
        )
        messages.success(request, _("Extension registered. Send it a test event from here."))
        return redirect("admin_center:extension-console", tenant.tenant_id, extension.extension_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/extensions/form.html",
        {"form": form, "token": token_facts(tenant, None), "section": SECTION},
        status=400 if form.is_bound else 200,
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def extension_detail(request: HttpRequest, tenant: Tenant, extension_id: UUID) -> HttpResponse:
    """The registration: its settings (edited here) and what its calls' token carries."""
    saved = False
    with in_tenant(tenant):
        extension = extension_or_404(extension_id)
        before = settings_of(extension)
        apps = list(app_list())
        if request.method == "POST":
            form = ExtensionForm(request.POST, apps=apps, editing=True)
            if form.is_valid():
                try:
                    extension_update(extension=extension, **form.service_arguments())
                except ExtensionInvalid as invalid:
                    _put_errors(form, invalid)
                else:
                    saved = True
        else:
            form = ExtensionForm(apps=apps, editing=True, initial=initial_of(extension))
        listeners = extension.listeners.count()
    if saved:
        audit(
            request,
            tenant,
            AuditAction.EXTENSION_UPDATED,
            target=extension_target(extension),
            before=before,
            after=settings_of(extension),
        )
        messages.success(request, _("Extension saved."))
        return redirect("admin_center:extension", tenant.tenant_id, extension.extension_id)
    context: dict[str, Any] = {
        "form": form,
        "extension": extension,
        "event_label": ExtensionEvent(extension.event).label,
        "listeners": listeners,
        "token": token_facts(tenant, extension),
        "section": SECTION,
    }
    return tenant_page(
        request,
        tenant,
        "admin_center/extensions/form.html",
        context,
        status=400 if form.is_bound else 200,
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def extension_remove(request: HttpRequest, tenant: Tenant, extension_id: UUID) -> HttpResponse:
    """Confirm, then remove the extension with its listeners and recorded calls."""
    with in_tenant(tenant):
        extension = extension_or_404(extension_id)
        listeners = extension.listeners.count()
        if request.method == "POST":
            listeners = extension_delete(extension=extension)
    if request.method == "POST":
        audit(
            request,
            tenant,
            AuditAction.EXTENSION_REMOVED,
            target=extension_target(extension),
            details={"event": extension.event, "listeners_removed": listeners},
        )
        messages.success(request, _("Extension “%(name)s” removed.") % {"name": extension.name})
        return redirect("admin_center:extension-list", tenant.tenant_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/extensions/remove.html",
        {"extension": extension, "listeners": listeners, "section": SECTION},
    )
