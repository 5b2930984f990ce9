"""App registrations: the list, registering, the overview, Authentication, Attributes & claims,
and deleting (Application Administrator or Global Administrator).

Every view reads and writes in the tenant's schema inside `in_tenant`, then records the audit
entry and renders in the public schema with evaluated data.
"""

import uuid
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.attributes import BUILTIN_ATTRIBUTES, extension_claim_name
from accounts.models import CustomAttribute, Directory
from admin_center.access import tenant_admin_view
from admin_center.app_registrations import forms
from admin_center.app_registrations.app_pages import app_get, app_page, app_target
from admin_center.app_registrations.custom_claims import custom_claims_context
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import tenant_page
from apps import selectors, services
from apps.models import AppClaim, AppRegistration
from tenants.endpoints import METADATA, TOKEN
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.selectors import tenant_endpoint_url, tenant_endpoints, tenant_issuer

# Entra lists this app among the tenant's registrations with these words; custom attributes'
# claims carry its application ID (`extension_<id>_<name>`). It is no AppRegistration row here:
# the ID is the directory's, so it is shown and never edited.
EXTENSIONS_APP_NAME = "b2c-extensions-app"


def _extensions_app_id() -> uuid.UUID:
    """The application ID of the tenant's extensions app (call in the tenant's schema)."""
    return Directory.objects.get_or_create(singleton=True)[0].extensions_app_id


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def app_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    with in_tenant(tenant):
        apps = list(selectors.app_list())
        extensions_app_id = _extensions_app_id()
    return tenant_page(
        request,
        tenant,
        "admin_center/apps/list.html",
        {
            "apps": apps,
            "extensions_app": {"name": EXTENSIONS_APP_NAME, "client_id": extensions_app_id},
            "section": "apps",
        },
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def app_register(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = forms.AppRegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        uri = form.cleaned_data["redirect_uri"].strip()
        try:
            with in_tenant(tenant):
                app = services.app_register(
                    name=form.cleaned_data["name"],
                    platform=form.cleaned_data["platform"],
                    redirect_uris=[uri] if uri else [],
                )
        except ValidationError as error:
            form_errors_from(form, error, fields={"redirect_uris": "redirect_uri"})
        else:
            audit(
                request,
                tenant,
                AuditAction.APP_REGISTERED,
                target=app_target(app),
                details={"platform": app.platform, "redirect_uris": app.redirect_uris.split()},
            )
            messages.success(request, _("App “%(name)s” is registered.") % {"name": app.name})
            return redirect("admin_center:app-overview", tenant.tenant_id, app.object_id)
    return tenant_page(
        request, tenant, "admin_center/apps/register.html", {"form": form, "section": "apps"}
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def app_overview(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
        redirect_uris = app.redirect_uris.split()
    redirect_uri = redirect_uris[0] if redirect_uris else "http://localhost:5000/callback"
    return app_page(
        request,
        tenant,
        app,
        "overview",
        {
            "issuer": tenant_issuer(tenant),
            "metadata_url": tenant_endpoint_url(tenant, METADATA),
            "token_url": tenant_endpoint_url(tenant, TOKEN),
            "endpoints": tenant_endpoints(tenant),
            "redirect_uri": redirect_uri,
            # The quick start's callback route answers at the registered URI's path.
            "redirect_path": urlsplit(redirect_uri).path or "/",
        },
    )


def _claim_choices(app: AppRegistration) -> dict[str, list[str]]:
    """The attributes the app receives, per token (call in the tenant's schema)."""
    rows = AppClaim.objects.filter(app=app).select_related("custom_attribute").order_by("pk")
    chosen: dict[str, list[str]] = {"id_token": [], "access_token": []}
    for row in rows:
        key = row.builtin or (row.custom_attribute.name if row.custom_attribute else "")
        if row.in_id_token:
            chosen["id_token"].append(key)
        if row.in_access_token:
            chosen["access_token"].append(key)
    return {token: sorted(keys) for token, keys in chosen.items()}


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def app_claims(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    """Attributes & claims: which attributes the app receives in ID and access tokens."""
    changed: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None
    with in_tenant(tenant):
        app = app_get(app_id)
        customs = list(CustomAttribute.objects.all())
        keys = [key for key in BUILTIN_ATTRIBUTES if key != "email"] + [c.name for c in customs]
        if request.method == "POST":
            before = _claim_choices(app)
            entries = [
                (key, request.POST.get(f"id:{key}") == "on", request.POST.get(f"at:{key}") == "on")
                for key in keys
            ]
            services.app_claims_set(app=app, entries=entries)
            changed = (before, _claim_choices(app))
        current = {
            (row.builtin or (row.custom_attribute.name if row.custom_attribute else "")): row
            for row in AppClaim.objects.filter(app=app).select_related("custom_attribute")
        }
        extensions_app_id = _extensions_app_id()
        custom = custom_claims_context(app)
    if changed is not None:
        before, after = changed
        audit(
            request,
            tenant,
            AuditAction.APP_CLAIMS_UPDATED,
            target=app_target(app),
            before=before,
            after=after,
        )
        messages.success(request, _("Attributes & claims saved."))
        return redirect("admin_center:app-claims", tenant.tenant_id, app.object_id)
    rows = [
        {
            "key": key,
            "label": str(spec.label),
            "claim": spec.claim,
            "source": _("Built-in"),
            "row": current.get(key),
        }
        for key, spec in BUILTIN_ATTRIBUTES.items()
        if key != "email"
    ] + [
        {
            "key": custom.name,
            "label": custom.name,
            "claim": extension_claim_name(extensions_app_id, custom.name),
            "source": _("Custom"),
            "row": current.get(custom.name),
        }
        for custom in customs
    ]
    return app_page(request, tenant, app, "claims", {"rows": rows, **custom})


@tenant_admin_view(Capability.MANAGE_APPS)
@require_POST
def app_delete(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
        if request.POST.get("confirm_name", "").strip() != app.name:
            messages.error(request, _("Type the app's name exactly to delete it."))
            return redirect("admin_center:app-overview", tenant.tenant_id, app.object_id)
        target = app_target(app)
        try:
            services.app_delete(app=app)
        except ProtectedError as protected:
            # A custom authentication extension's calls carry tokens issued for this app.
            names = sorted(str(row) for row in protected.protected_objects)
            messages.error(
                request,
                _(
                    "This app identifies the API of these custom authentication extensions: "
                    "%(names)s. Choose another API app for them, or remove them, first."
                )
                % {"names": ", ".join(names)},
            )
            return redirect("admin_center:app-overview", tenant.tenant_id, app.object_id)
    audit(request, tenant, AuditAction.APP_DELETED, target=target)
    messages.success(request, _("App “%(name)s” is deleted.") % {"name": app.name})
    return redirect("admin_center:app-list", tenant.tenant_id)
