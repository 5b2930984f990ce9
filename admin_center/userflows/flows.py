"""User flows (External ID User Flow Administrator or Global Administrator): the list and
creation, and a flow's sections as Entra splits them (each its own page with its forms, sharing
the section navigation of `userflows/section.html`): Properties (with deletion) and Identity
providers (email accounts, and the tenant's social and OpenID Connect providers) here; User
attributes and Page layouts in `layout.py`; Applications in `applications.py`; Languages in
`admin_center.branding.languages`. Each change is audited.

Every view reads and writes in the tenant's schema inside `in_tenant`, then records the audit
entry and renders in the public schema with evaluated data.
"""

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import CustomAttribute
from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import operation_of, tenant_page
from admin_center.userflows import forms
from federation.models import ProviderKind
from federation.selectors import identity_provider_list, identity_providers_of_flow
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.selectors import tenant_base_url
from userflows import services
from userflows.models import MAX_USER_FLOWS, UserFlow, UserFlowAttribute
from userflows.selectors import flow_attributes, userflow_list


def flow_get(flow_id: uuid.UUID) -> UserFlow:
    """The user flow with this ID (call in the tenant's schema), or 404."""
    flow = UserFlow.objects.filter(flow_id=flow_id).first()
    if flow is None:
        raise Http404
    return flow


def flow_target(flow: UserFlow) -> str:
    """How the audit log names a flow: its name and ID."""
    return f"{flow.name} ({flow.flow_id})"


def attribute_key(item: UserFlowAttribute) -> str:
    """How the audit log names an attribute a flow collects: the built-in's key or the custom
    attribute's name (labels change; these do not)."""
    if item.custom_attribute is not None:
        return item.custom_attribute.name
    return item.builtin


def _properties(flow: UserFlow) -> dict[str, object]:
    return {
        "name": flow.name,
        "sign_in_method": flow.sign_in_method,
        "sign_up_allowed": flow.sign_up_allowed,
    }


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_http_methods(["GET", "POST"])
def userflow_list_view(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    flow: UserFlow | None = None
    collected: list[str] = []
    with in_tenant(tenant):
        custom = list(CustomAttribute.objects.all())
        form = forms.UserFlowCreateForm(
            request.POST if request.method == "POST" else None, custom=custom
        )
        if request.method == "POST" and form.is_valid():
            try:
                flow = services.userflow_create(
                    name=form.cleaned_data["name"],
                    sign_in_method=form.cleaned_data["sign_in_method"],
                    sign_up_allowed=form.cleaned_data["sign_up_allowed"],
                    builtin_attributes=form.cleaned_data["builtin_attributes"],
                    custom_attributes=list(form.cleaned_data["custom_attributes"]),
                )
            except services.UserFlowLimitReached:
                form.add_error(
                    None,
                    _("A tenant has at most %(max)d user flows: delete one to create another.")
                    % {"max": MAX_USER_FLOWS},
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                collected = [attribute_key(item) for item in flow_attributes(flow)]
        flows = [(each, list(each.apps.all())) for each in userflow_list()]
    if flow is not None:
        audit(
            request,
            tenant,
            AuditAction.USERFLOW_CREATED,
            target=flow_target(flow),
            details={**_properties(flow), "attributes": collected},
        )
        messages.success(request, _("User flow “%(name)s” created.") % {"name": flow})
        return redirect("admin_center:userflow-detail", tenant.tenant_id, flow.flow_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/userflows/list.html",
        {"flows": flows, "form": form, "section": "user-flows", "max_flows": MAX_USER_FLOWS},
    )


def section_page(
    request: HttpRequest,
    tenant: Tenant,
    flow: UserFlow,
    section: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """One section of the flow (`section` names its template, `userflows/<section>.html`, and
    marks its link in the section navigation as the current page)."""
    return tenant_page(
        request,
        tenant,
        f"admin_center/userflows/{section}.html",
        {"flow": flow, "flow_section": section, "section": "user-flows", **context},
        status=status,
    )


def _properties_page(
    request: HttpRequest, tenant: Tenant, flow: UserFlow, form: forms.UserFlowPropertiesForm
) -> HttpResponse:
    return section_page(
        request,
        tenant,
        flow,
        "properties",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_GET
def userflow_detail(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    """The flow's first section, Properties."""
    with in_tenant(tenant):
        flow = flow_get(flow_id)
    return _properties_page(
        request, tenant, flow, forms.UserFlowPropertiesForm(initial=_properties(flow))
    )


def _flow_update(
    request: HttpRequest,
    tenant: Tenant,
    flow_id: uuid.UUID,
    form: forms.UserFlowPropertiesForm | forms.SignInMethodForm,
) -> UserFlow | None:
    """Save the properties the form holds, the others unchanged, and audit the change: the
    flow, or None when the form (now with its errors) could not be saved."""
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        before = _properties(flow)
        if not form.is_valid():
            return None
        try:
            services.userflow_update(flow=flow, **{**before, **form.cleaned_data})
        except ValidationError as error:
            form_errors_from(form, error)
            return None
    audit(
        request,
        tenant,
        AuditAction.USERFLOW_UPDATED,
        target=flow_target(flow),
        before=before,
        after=_properties(flow),
    )
    return flow


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-detail", "flow_id")
def userflow_properties(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    form = forms.UserFlowPropertiesForm(request.POST)
    flow = _flow_update(request, tenant, flow_id, form)
    if flow is None:
        with in_tenant(tenant):
            flow = flow_get(flow_id)
        return _properties_page(request, tenant, flow, form)
    messages.success(request, _("Properties saved."))
    return redirect("admin_center:userflow-detail", tenant.tenant_id, flow.flow_id)


def _identities_url(tenant: Tenant) -> str:
    """The self-service page of linked identities, which a flow may open to its customers (its
    path in the tenant URLconf, after the tenant's base URL)."""
    path = reverse("customer-identities", urlconf=settings.TENANT_URLCONF)
    return f"{tenant_base_url(tenant)}/{path.removeprefix(get_script_prefix())}"


def _federation(flow: UserFlow) -> dict[str, object]:
    """What the audit log records of the flow's providers section: the providers it offers, by
    their identifiers, and whether its customers manage their linked identities."""
    return {
        "identity_providers": sorted(
            provider.slug for provider in identity_providers_of_flow(flow.flow_id)
        ),
        "identities_self_service": flow.identities_self_service,
    }


def _identity_providers_page(
    request: HttpRequest,
    tenant: Tenant,
    flow_id: uuid.UUID,
    *,
    form: forms.SignInMethodForm | None = None,
    providers_form: forms.FlowIdentityProvidersForm | None = None,
) -> HttpResponse:
    """The section with its two forms: email accounts, and the tenant's other providers (a form
    given is shown with its errors, status 400)."""
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        choices = [
            (provider.pk, f"{provider.display_name} ({ProviderKind(provider.kind).label})")
            for provider in identity_provider_list()
        ]
        offered = [provider.pk for provider in identity_providers_of_flow(flow.flow_id)]
    bound = form is not None or providers_form is not None
    if form is None:
        form = forms.SignInMethodForm(initial={"sign_in_method": flow.sign_in_method})
    if providers_form is None:
        providers_form = forms.FlowIdentityProvidersForm(
            initial={
                "identity_providers": offered,
                "identities_self_service": flow.identities_self_service,
            },
            providers=choices,
            identities_url=_identities_url(tenant),
        )
    return section_page(
        request,
        tenant,
        flow,
        "identity_providers",
        {"form": form, "providers_form": providers_form, "has_providers": bool(choices)},
        status=400 if bound else 200,
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_http_methods(["GET", "POST"])
def userflow_identity_providers(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID
) -> HttpResponse:
    """How the flow's email accounts sign in (with a password or a one-time passcode), and
    which of the tenant's social and OpenID Connect providers it offers beside them."""
    if request.method == "POST":
        form = forms.SignInMethodForm(request.POST)
        flow = _flow_update(request, tenant, flow_id, form)
        if flow is not None:
            messages.success(request, _("Identity providers saved."))
            return redirect(
                "admin_center:userflow-identity-providers", tenant.tenant_id, flow.flow_id
            )
        return _identity_providers_page(request, tenant, flow_id, form=form)
    return _identity_providers_page(request, tenant, flow_id)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-identity-providers", "flow_id")
def userflow_federation_set(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID
) -> HttpResponse:
    """Exactly the checked providers are offered by the flow afterwards."""
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        choices = [(provider.pk, provider.display_name) for provider in identity_provider_list()]
        form = forms.FlowIdentityProvidersForm(
            request.POST, providers=choices, identities_url=_identities_url(tenant)
        )
        before = _federation(flow)
        if form.is_valid():
            services.userflow_identity_providers_set(
                flow=flow,
                provider_ids=form.cleaned_data["identity_providers"],
                identities_self_service=form.cleaned_data["identities_self_service"],
            )
            after = _federation(flow)
    if not form.is_valid():
        return _identity_providers_page(request, tenant, flow_id, providers_form=form)
    audit(
        request,
        tenant,
        AuditAction.USERFLOW_IDENTITY_PROVIDERS_CHANGED,
        target=flow_target(flow),
        before=before,
        after=after,
    )
    messages.success(request, _("Identity providers saved."))
    return redirect("admin_center:userflow-identity-providers", tenant.tenant_id, flow.flow_id)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-detail", "flow_id")
def userflow_delete(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        target = flow_target(flow)
        services.userflow_delete(flow=flow)
    audit(request, tenant, AuditAction.USERFLOW_DELETED, target=target)
    messages.success(request, _("User flow “%(name)s” deleted.") % {"name": flow.name})
    return redirect("admin_center:userflow-list", tenant.tenant_id)
