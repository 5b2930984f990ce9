"""Conditional access (Conditional Access Administrator or Global Administrator): the tenant's
policies (list, add, edit, removal after a confirmation) and the named locations they include
or exclude (the same). Every change is audited.

Every view reads and writes in the tenant's schema inside `in_tenant`, then records the audit
entry and renders in the public schema with evaluated data.
"""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.pages import tenant_page
from admin_center.protection.conditional_access_forms import (
    Choices,
    NamedLocationForm,
    PolicyForm,
    named_location_initial,
    policy_initial,
)
from apps.models import Platform
from apps.selectors import app_list
from protection.conditional_access import (
    ConditionalAccessInvalid,
    NamedLocationInUse,
    conditional_access_policy_create,
    conditional_access_policy_delete,
    conditional_access_policy_update,
    named_location_create,
    named_location_delete,
    named_location_update,
)
from protection.models import (
    ConditionalAccessPolicy,
    GrantControl,
    NamedLocation,
    PolicyState,
)
from protection.selectors import (
    conditional_access_policy_get,
    conditional_access_policy_list,
    excluded_customer_emails,
    named_location_get,
    named_location_list,
    named_location_policies,
    policy_audit_fields,
    policy_audit_target,
)
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

SECTION = "conditional-access"
_MANAGE = Capability.MANAGE_CONDITIONAL_ACCESS


def _put_errors(form: PolicyForm | NamedLocationForm, invalid: ConditionalAccessInvalid) -> None:
    for field, field_errors in invalid.errors.items():
        form.add_error(field if field in form.fields else None, field_errors)


def _app_choices(stored: list[str]) -> Choices:
    """The tenant's apps that sign customers in (not daemons), by name; a client ID a policy
    still names after its app was deleted stays choosable, so that saving keeps it visible."""
    choices = [(app.client_id, app.name) for app in app_list().exclude(platform=Platform.DAEMON)]
    known = {client_id for client_id, _name in choices}
    gone = _("%(client_id)s (no longer registered)")
    return choices + [
        (value, gone % {"client_id": value}) for value in stored if value not in known
    ]


def _location_choices(locations: list[NamedLocation]) -> Choices:
    trusted = _("%(name)s (trusted)")
    return [
        (
            str(location.location_id),
            trusted % {"name": location.name} if location.trusted else location.name,
        )
        for location in locations
    ]


def _policy_get(policy_id: uuid.UUID) -> ConditionalAccessPolicy:
    policy = conditional_access_policy_get(policy_id=policy_id)
    if policy is None:
        raise Http404
    return policy


def _location_get(location_id: uuid.UUID) -> NamedLocation:
    location = named_location_get(location_id=location_id)
    if location is None:
        raise Http404
    return location


def _location_target(location: NamedLocation) -> str:
    return f"{location.name} ({location.location_id})"


def _location_record(location: NamedLocation) -> dict[str, object]:
    return {"name": location.name, "ip_ranges": location.ip_ranges, "trusted": location.trusted}


@tenant_admin_view(_MANAGE)
@require_GET
def policy_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The tenant's policies: name, state and what each grants."""
    with in_tenant(tenant):
        policies = list(conditional_access_policy_list())
    rows = [
        {
            "policy": policy,
            "state": PolicyState(policy.state).label,
            "grant": GrantControl(policy.grant).label,
        }
        for policy in policies
    ]
    return tenant_page(
        request,
        tenant,
        "admin_center/protection/ca_policy_list.html",
        {"rows": rows, "section": SECTION, "tab": "policies"},
    )


def _policy_page(
    request: HttpRequest,
    tenant: Tenant,
    form: PolicyForm,
    *,
    policy: ConditionalAccessPolicy | None,
    has_locations: bool,
) -> HttpResponse:
    return tenant_page(
        request,
        tenant,
        "admin_center/protection/ca_policy_form.html",
        {
            "form": form,
            "policy": policy,
            "has_apps": bool(form.fields["client_ids"].choices),  # type: ignore[attr-defined]
            "has_locations": has_locations,
            "section": SECTION,
            "tab": "policies",
        },
        status=400 if form.is_bound else 200,
    )


@tenant_admin_view(_MANAGE)
@require_http_methods(["GET", "POST"])
def policy_add(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """A new policy (report-only unless the admin chooses otherwise, as Entra suggests)."""
    data = request.POST if request.method == "POST" else None
    policy: ConditionalAccessPolicy | None = None
    with in_tenant(tenant):
        locations = list(named_location_list())
        form = PolicyForm(data, apps=_app_choices([]), locations=_location_choices(locations))
        if form.is_valid():
            try:
                policy = conditional_access_policy_create(settings=form.policy_settings())
            except ConditionalAccessInvalid as invalid:
                _put_errors(form, invalid)
            else:
                record = policy_audit_fields(policy)
    if policy is None:
        return _policy_page(request, tenant, form, policy=None, has_locations=bool(locations))
    audit(
        request,
        tenant,
        AuditAction.CONDITIONAL_ACCESS_POLICY_ADDED,
        target=policy_audit_target(policy),
        details=record,
    )
    messages.success(request, _("Policy “%(name)s” added.") % {"name": policy.name})
    return redirect("admin_center:conditional-access-policies", tenant.tenant_id)


@tenant_admin_view(_MANAGE)
@require_http_methods(["GET", "POST"])
def policy_detail(request: HttpRequest, tenant: Tenant, policy_id: uuid.UUID) -> HttpResponse:
    """A policy's settings, to edit; saving replaces them all."""
    saved = False
    with in_tenant(tenant):
        policy = _policy_get(policy_id)
        locations = list(named_location_list())
        before = policy_audit_fields(policy)
        choices = {
            "apps": _app_choices([*policy.client_ids, *policy.excluded_client_ids]),
            "locations": _location_choices(locations),
        }
        if request.method == "POST":
            form = PolicyForm(request.POST, **choices)
        else:
            initial = policy_initial(
                policy,
                emails=excluded_customer_emails(policy),
                included=list(policy.included_locations.all()),
                excluded=list(policy.excluded_locations.all()),
            )
            form = PolicyForm(initial=initial, **choices)
        old_name = policy.name
        if form.is_valid():
            try:
                conditional_access_policy_update(policy=policy, settings=form.policy_settings())
            except ConditionalAccessInvalid as invalid:
                _put_errors(form, invalid)
            else:
                saved = True
                after = policy_audit_fields(policy)
    if not saved:
        return _policy_page(request, tenant, form, policy=policy, has_locations=bool(locations))
    audit(
        request,
        tenant,
        AuditAction.CONDITIONAL_ACCESS_POLICY_UPDATED,
        target=policy_audit_target(policy),
        before={"name": old_name, **before},
        after={"name": policy.name, **after},
    )
    messages.success(request, _("Policy “%(name)s” saved.") % {"name": policy.name})
    return redirect("admin_center:conditional-access-policies", tenant.tenant_id)


@tenant_admin_view(_MANAGE)
@require_http_methods(["GET", "POST"])
def policy_remove(request: HttpRequest, tenant: Tenant, policy_id: uuid.UUID) -> HttpResponse:
    """Confirm, then remove the policy: sign-ins are no longer evaluated against it."""
    with in_tenant(tenant):
        policy = _policy_get(policy_id)
        if request.method == "POST":
            record = policy_audit_fields(policy)
            conditional_access_policy_delete(policy=policy)
    if request.method == "POST":
        audit(
            request,
            tenant,
            AuditAction.CONDITIONAL_ACCESS_POLICY_REMOVED,
            target=policy_audit_target(policy),
            details=record,
        )
        messages.success(request, _("Policy “%(name)s” removed.") % {"name": policy.name})
        return redirect("admin_center:conditional-access-policies", tenant.tenant_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/protection/ca_policy_remove.html",
        {
            "policy": policy,
            "state": PolicyState(policy.state).label,
            "grant": GrantControl(policy.grant).label,
            "section": SECTION,
            "tab": "policies",
        },
    )


@tenant_admin_view(_MANAGE)
@require_GET
def location_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The tenant's named locations: name, ranges, whether trusted."""
    with in_tenant(tenant):
        locations = list(named_location_list())
    return tenant_page(
        request,
        tenant,
        "admin_center/protection/ca_location_list.html",
        {"locations": locations, "section": SECTION, "tab": "locations"},
    )


def _location_page(
    request: HttpRequest, tenant: Tenant, form: NamedLocationForm, location: NamedLocation | None
) -> HttpResponse:
    return tenant_page(
        request,
        tenant,
        "admin_center/protection/ca_location_form.html",
        {"form": form, "location": location, "section": SECTION, "tab": "locations"},
        status=400 if form.is_bound else 200,
    )


@tenant_admin_view(_MANAGE)
@require_http_methods(["GET", "POST"])
def location_add(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = NamedLocationForm(request.POST if request.method == "POST" else None)
    location: NamedLocation | None = None
    if form.is_valid():
        with in_tenant(tenant):
            try:
                location = named_location_create(**form.cleaned_data)
            except ConditionalAccessInvalid as invalid:
                _put_errors(form, invalid)
    if location is None:
        return _location_page(request, tenant, form, None)
    audit(
        request,
        tenant,
        AuditAction.NAMED_LOCATION_ADDED,
        target=_location_target(location),
        details=_location_record(location),
    )
    messages.success(request, _("Named location “%(name)s” added.") % {"name": location.name})
    return redirect("admin_center:named-locations", tenant.tenant_id)


@tenant_admin_view(_MANAGE)
@require_http_methods(["GET", "POST"])
def location_detail(request: HttpRequest, tenant: Tenant, location_id: uuid.UUID) -> HttpResponse:
    """A named location's name, ranges and trust, to edit."""
    with in_tenant(tenant):
        location = _location_get(location_id)
    before = _location_record(location)
    if request.method == "POST":
        form = NamedLocationForm(request.POST)
    else:
        form = NamedLocationForm(initial=named_location_initial(location))
    saved = False
    if form.is_valid():
        with in_tenant(tenant):
            try:
                named_location_update(location=location, **form.cleaned_data)
            except ConditionalAccessInvalid as invalid:
                _put_errors(form, invalid)
            else:
                saved = True
    if not saved:
        return _location_page(request, tenant, form, location)
    audit(
        request,
        tenant,
        AuditAction.NAMED_LOCATION_UPDATED,
        target=_location_target(location),
        before=before,
        after=_location_record(location),
    )
    messages.success(request, _("Named location “%(name)s” saved.") % {"name": location.name})
    return redirect("admin_center:named-locations", tenant.tenant_id)


@tenant_admin_view(_MANAGE)
@require_http_methods(["GET", "POST"])
def location_remove(request: HttpRequest, tenant: Tenant, location_id: uuid.UUID) -> HttpResponse:
    """Confirm, then remove the location; while policies name it, they are listed and it
    stays (a POST then answers 409)."""
    removed = False
    with in_tenant(tenant):
        location = _location_get(location_id)
        policies = named_location_policies(location)
        if request.method == "POST" and not policies:
            try:
                named_location_delete(location=location)
            except NamedLocationInUse as in_use:
                policies = in_use.policy_names
            else:
                removed = True
    if removed:
        audit(
            request,
            tenant,
            AuditAction.NAMED_LOCATION_REMOVED,
            target=_location_target(location),
            details=_location_record(location),
        )
        messages.success(request, _("Named location “%(name)s” removed.") % {"name": location.name})
        return redirect("admin_center:named-locations", tenant.tenant_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/protection/ca_location_remove.html",
        {"location": location, "policies": policies, "section": SECTION, "tab": "locations"},
        status=409 if request.method == "POST" else 200,
    )
