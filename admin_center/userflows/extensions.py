"""A user flow's Extensions section (issue 14): for each attribute collection event, the custom
authentication extension the attribute page calls (or none) and what its failure does (Entra's
defaults: OnAttributeCollectionStart continues, OnAttributeCollectionSubmit fails). Each
listener set, changed or removed is audited."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.pages import operation_of
from admin_center.userflows.flows import flow_get, flow_target, section_page
from extensions.flow_listeners import FlowListener, flow_listener_set, flow_listeners
from extensions.models import FailurePolicy
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.whole_numbers import whole_number
from userflows.models import UserFlow


def _extensions_page(
    request: HttpRequest,
    tenant: Tenant,
    flow: UserFlow,
    events: list[FlowListener],
    *,
    error: str | None = None,
) -> HttpResponse:
    return section_page(
        request,
        tenant,
        flow,
        "extensions",
        {"events": events, "policies": FailurePolicy.choices, "error": error},
        status=400 if error else 200,
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_GET
def userflow_extensions(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        events = flow_listeners(flow=flow)
    return _extensions_page(request, tenant, flow, events)


def _state(entry: FlowListener) -> dict[str, object]:
    listener = entry.listener
    if listener is None:
        return {"extension": None, "failure_policy": None}
    return {"extension": listener.extension.name, "failure_policy": listener.failure_policy}


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-extensions", "flow_id")
def userflow_extensions_set(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID
) -> HttpResponse:
    """Each event's listener as chosen: an extension of that event type with a failure policy,
    or none. An unknown extension or policy is a form error; nothing is changed then."""
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        events = flow_listeners(flow=flow)
        changes = []
        error = None
        try:
            with transaction.atomic():
                for entry in events:
                    posted = request.POST.get(f"extension_{entry.event}", "")
                    chosen = whole_number(posted)
                    extension = next((e for e in entry.choices if e.pk == chosen), None)
                    if posted and extension is None:
                        raise ValidationError(_("Choose an extension of this event type."))
                    policy = request.POST.get(f"policy_{entry.event}", entry.failure_policy)
                    before = _state(entry)
                    listener = flow_listener_set(
                        flow=flow, event=entry.event, extension=extension, failure_policy=policy
                    )
                    after: dict[str, object] = (
                        {"extension": extension.name, "failure_policy": policy}
                        if listener is not None and extension is not None
                        else {"extension": None, "failure_policy": None}
                    )
                    if before != after:
                        changes.append((entry.event, before, after, listener is None))
        except ValidationError as problem:
            error = " ".join(problem.messages)
            changes = []
        events = flow_listeners(flow=flow)
    if error is not None:
        return _extensions_page(request, tenant, flow, events, error=error)
    for event, before, after, removed in changes:
        audit(
            request,
            tenant,
            AuditAction.EXTENSION_LISTENER_REMOVED
            if removed
            else AuditAction.EXTENSION_LISTENER_SET,
            target=flow_target(flow),
            details={"event": str(event)},
            before=before,
            after=after,
        )
    messages.success(request, _("Extensions saved."))
    return redirect("admin_center:userflow-extensions", tenant.tenant_id, flow.flow_id)
