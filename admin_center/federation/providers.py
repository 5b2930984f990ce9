"""Identity providers (External Identity Provider Administrator or Global Administrator): the
list, a page to add each kind, a provider's page (edit, its redirect URL to register at the
provider, and for private_key_jwt the certificate of our key) and removal after a
confirmation. Each change is audited, never with a secret.

Every view reads and writes in the tenant's schema inside `in_tenant`, then records the audit
entry and renders in the public schema with evaluated data.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.federation.forms import FORMS, ProviderForm, initial_of
from admin_center.pages import tenant_page
from federation.exceptions import IdentityProviderInvalid
from federation.models import IdentityProvider, ProviderKind
from federation.selectors import (
    callback_path,
    claim_targets,
    claims_mapping_of,
    identity_provider_certificate,
    identity_provider_get,
    identity_provider_linked_count,
    identity_provider_list,
    provider_audit_fields,
    provider_audit_target,
)
from federation.services import (
    identity_provider_create,
    identity_provider_delete,
    identity_provider_update,
)
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.selectors import tenant_base_url

SECTION = "identity-providers"


def redirect_url(tenant: Tenant, provider: IdentityProvider) -> str:
    """The redirect URI the admin registers at the provider."""
    return f"{tenant_base_url(tenant)}/{callback_path(provider)}"


def _provider_get(slug: str) -> IdentityProvider:
    provider = identity_provider_get(slug=slug)
    if provider is None:
        raise Http404
    return provider


def _form(
    tenant: Tenant,
    kind: str,
    data: Any = None,
    *,
    provider: IdentityProvider | None = None,
) -> ProviderForm:
    """The form for a provider of `kind`: a new one, or `provider`'s edit (its settings as they
    are, never its secret). An OpenID Provider's has a claims mapping row per attribute of the
    tenant, read here in the tenant's schema."""
    arguments: dict[str, Any] = {}
    if kind == ProviderKind.OPENID_CONNECT:
        with in_tenant(tenant):
            arguments["claim_targets"] = claim_targets()
        arguments["mapping"] = claims_mapping_of(provider) if provider is not None else None
    if provider is not None:
        arguments["editing"] = True
        if data is None:
            arguments["initial"] = initial_of(provider)
    return FORMS[kind](data, **arguments)


def _announce_key_pair(request: HttpRequest) -> None:
    messages.info(
        request,
        _(
            "A new key pair was generated: register its certificate at the provider before "
            "customers sign in through it."
        ),
    )


def _put_errors(form: ProviderForm, invalid: IdentityProviderInvalid) -> None:
    for field, field_errors in invalid.errors.items():
        form.add_error(field if field in form.fields else None, field_errors)


@tenant_admin_view(Capability.MANAGE_IDENTITY_PROVIDERS)
@require_GET
def identity_provider_list_view(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The tenant's providers, and a way to add each kind (the social ones once each)."""
    with in_tenant(tenant):
        providers = list(identity_provider_list())
    configured = {provider.kind for provider in providers}
    rows = [
        {"provider": p, "kind": ProviderKind(p.kind).label, "redirect_url": redirect_url(tenant, p)}
        for p in providers
    ]
    kinds = [
        (
            reverse(
                f"admin_center:identity-provider-add-{kind.value.replace('_', '-')}",
                args=[tenant.tenant_id],
            ),
            kind.label,
        )
        for kind in ProviderKind
        if kind == ProviderKind.OPENID_CONNECT or kind not in configured
    ]
    return tenant_page(
        request,
        tenant,
        "admin_center/federation/list.html",
        {"rows": rows, "kinds": kinds, "section": SECTION},
    )


@tenant_admin_view(Capability.MANAGE_IDENTITY_PROVIDERS)
@require_http_methods(["GET", "POST"])
def identity_provider_add(request: HttpRequest, tenant: Tenant, kind: str) -> HttpResponse:
    """The page to add a provider of `kind` (its form); saved only when the provider's settings
    (and an OpenID Provider's discovery document) are valid."""
    form = _form(tenant, kind, request.POST if request.method == "POST" else None)
    provider: IdentityProvider | None = None
    if form.is_valid():
        with in_tenant(tenant):
            try:
                provider = identity_provider_create(kind=kind, **form.service_arguments())
            except IdentityProviderInvalid as invalid:
                _put_errors(form, invalid)
    if provider is not None:
        audit(
            request,
            tenant,
            AuditAction.IDENTITY_PROVIDER_ADDED,
            target=provider_audit_target(provider),
            details=provider_audit_fields(provider),
        )
        messages.success(
            request, _("Identity provider “%(name)s” added.") % {"name": provider.display_name}
        )
        if form.cleaned_data.get("generate_key_pair"):
            _announce_key_pair(request)
        return redirect("admin_center:identity-provider", tenant.tenant_id, provider.slug)
    return tenant_page(
        request,
        tenant,
        "admin_center/federation/form.html",
        {"form": form, "kind_label": ProviderKind(kind).label, "section": SECTION},
        status=400 if form.is_bound else 200,
    )


@tenant_admin_view(Capability.MANAGE_IDENTITY_PROVIDERS)
@require_http_methods(["GET", "POST"])
def identity_provider_detail(request: HttpRequest, tenant: Tenant, slug: str) -> HttpResponse:
    """A provider's page: its redirect URL to register at the provider, and its settings to
    edit (the secret field empty keeps the stored secret)."""
    with in_tenant(tenant):
        provider = _provider_get(slug)
    form = _form(
        tenant,
        provider.kind,
        request.POST if request.method == "POST" else None,
        provider=provider,
    )
    before = provider_audit_fields(provider)
    saved = False
    if form.is_valid():
        changes: dict[str, Any] = form.service_arguments()
        with in_tenant(tenant):
            try:
                identity_provider_update(provider=provider, **changes)
            except IdentityProviderInvalid as invalid:
                _put_errors(form, invalid)
            else:
                saved = True
    if saved:
        details: dict[str, object] = {}
        if form.cleaned_data.get("secret"):
            details["secret_replaced"] = True
        if form.cleaned_data.get("generate_key_pair"):
            details["key_pair_generated"] = True
        audit(
            request,
            tenant,
            AuditAction.IDENTITY_PROVIDER_UPDATED,
            target=provider_audit_target(provider),
            details=details,
            before=before,
            after=provider_audit_fields(provider),
        )
        messages.success(request, _("Identity provider saved."))
        if form.cleaned_data.get("generate_key_pair"):
            _announce_key_pair(request)
        return redirect("admin_center:identity-provider", tenant.tenant_id, provider.slug)
    with in_tenant(tenant):
        certificate = identity_provider_certificate(provider)
    return tenant_page(
        request,
        tenant,
        "admin_center/federation/form.html",
        {
            "form": form,
            "provider": provider,
            "kind_label": ProviderKind(provider.kind).label,
            "redirect_url": redirect_url(tenant, provider),
            "certificate": certificate,
            "section": SECTION,
        },
        status=400 if form.is_bound else 200,
    )


@tenant_admin_view(Capability.MANAGE_IDENTITY_PROVIDERS)
@require_http_methods(["GET", "POST"])
def identity_provider_remove(request: HttpRequest, tenant: Tenant, slug: str) -> HttpResponse:
    """Confirm, then remove the provider: the user flows that offered it no longer do."""
    with in_tenant(tenant):
        provider = _provider_get(slug)
        flows = [flow.name for flow in provider.user_flows.order_by("name")]
        linked = identity_provider_linked_count(provider=provider)
        if request.method == "POST":
            identity_provider_delete(provider=provider)
    if request.method == "POST":
        audit(
            request,
            tenant,
            AuditAction.IDENTITY_PROVIDER_REMOVED,
            target=provider_audit_target(provider),
            details={"kind": provider.kind, "user_flows": flows, "identities_unlinked": linked},
        )
        messages.success(
            request, _("Identity provider “%(name)s” removed.") % {"name": provider.display_name}
        )
        return redirect("admin_center:identity-provider-list", tenant.tenant_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/federation/remove.html",
        {"provider": provider, "flows": flows, "linked": linked, "section": SECTION},
    )
