"""A user flow's page layout: the attributes it collects at sign-up, their order and their
look. One view per operation (add, update, remove, move); each change is audited, naming the
attribute by its key."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.models import CustomAttribute
from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.pages import operation_of
from admin_center.userflows import forms
from admin_center.userflows.flows import attribute_key, flow_get, flow_page, flow_target
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.whole_numbers import whole_number
from userflows import services
from userflows.models import UserFlow, UserFlowAttribute
from userflows.selectors import flow_attributes

MOVES = ("top", "up", "down", "bottom")


def _item(flow: UserFlow, item_id: int) -> UserFlowAttribute:
    """The flow's attribute with this row ID (call in the tenant's schema), or 404."""
    item = flow.attributes.filter(pk=item_id).select_related("custom_attribute").first()
    if item is None:
        raise Http404
    return item


def _look(item: UserFlowAttribute) -> dict[str, object]:
    return {
        "label": item.label,
        "required": item.required,
        "input_type": item.input_type,
        "options": [option["value"] for option in item.options],
    }


def _layout_saved(
    request: HttpRequest,
    tenant: Tenant,
    flow: UserFlow,
    item: UserFlowAttribute,
    action: AuditAction,
    message: str,
    **change: dict[str, object],
) -> HttpResponse:
    """The answer to a change of the page layout that was made: audited (which attribute of
    which flow, and `before`/`after` where given), then back to the flow with the message."""
    audit(
        request,
        tenant,
        action,
        target=flow_target(flow),
        details={"attribute": attribute_key(item)},
        **change,
    )
    messages.success(request, message)
    return redirect("admin_center:userflow-detail", tenant.tenant_id, flow.flow_id)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-detail", "flow_id")
def userflow_attribute_add(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID
) -> HttpResponse:
    """Add a built-in (`builtin:<key>`) or custom (`custom:<row ID>`) attribute at the end."""
    kind, _sep, key = request.POST.get("attribute", "").partition(":")
    item: UserFlowAttribute | None = None
    error = _("Choose an attribute.")
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        try:
            if kind == "builtin":
                item = services.flow_attribute_add(flow=flow, builtin=key)
            elif kind == "custom" and (attribute_id := whole_number(key)) is not None:
                attribute = CustomAttribute.objects.filter(pk=attribute_id).first()
                if attribute is None:
                    raise ValidationError(_("Choose an attribute."))
                item = services.flow_attribute_add(flow=flow, custom_attribute=attribute)
            else:
                raise ValidationError(_("Choose an attribute."))
        except ValidationError as problem:
            error = " ".join(problem.messages)
    if item is None:
        return flow_page(request, tenant, flow, error=error)
    return _layout_saved(
        request,
        tenant,
        flow,
        item,
        AuditAction.USERFLOW_ATTRIBUTE_ADDED,
        _("Attribute added."),
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-detail", "flow_id")
def userflow_attribute_update(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, item_id: int
) -> HttpResponse:
    """Set the attribute's label, whether it is required, its input type and its options (the
    fields carry the row's prefix, `a<row ID>-`, as the page has one such form per row)."""
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        item = _item(flow, item_id)
        before = _look(item)
        form = forms.FlowAttributeForm(
            request.POST, prefix=f"a{item.pk}", input_types=item.input_types
        )
        error = None
        try:
            if not form.is_valid():
                raise ValidationError([m for errors in form.errors.values() for m in errors])
            services.flow_attribute_update(
                attribute=item,
                label=form.cleaned_data["label"],
                required=form.cleaned_data["required"],
                input_type=form.cleaned_data["input_type"],
                options=form.parsed_options(),
            )
        except ValidationError as problem:
            error = " ".join(problem.messages)
    if error is not None:
        return flow_page(request, tenant, flow, error=error)
    return _layout_saved(
        request,
        tenant,
        flow,
        item,
        AuditAction.USERFLOW_ATTRIBUTE_UPDATED,
        _("Page layout saved."),
        before=before,
        after=_look(item),
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-detail", "flow_id")
def userflow_attribute_remove(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, item_id: int
) -> HttpResponse:
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        item = _item(flow, item_id)
        error = None
        try:
            services.flow_attribute_remove(attribute=item)
        except ValidationError as problem:
            error = " ".join(problem.messages)
    if error is not None:
        return flow_page(request, tenant, flow, error=error)
    return _layout_saved(
        request,
        tenant,
        flow,
        item,
        AuditAction.USERFLOW_ATTRIBUTE_REMOVED,
        _("Attribute removed."),
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-detail", "flow_id")
def userflow_attribute_move(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, item_id: int
) -> HttpResponse:
    """Move the attribute `to` the top, up, down or to the bottom of the page."""
    to = request.POST.get("to", "")
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        item = _item(flow, item_id)
    if to not in MOVES:
        return flow_page(request, tenant, flow, error=_("That change is not possible."))
    with in_tenant(tenant):
        before = [attribute_key(each) for each in flow_attributes(flow)]
        services.flow_attribute_move(attribute=item, to=to)
        after = [attribute_key(each) for each in flow_attributes(flow)]
    return _layout_saved(
        request,
        tenant,
        flow,
        item,
        AuditAction.USERFLOW_LAYOUT_CHANGED,
        _("Page layout saved."),
        before={"order": before},
        after={"order": after},
    )
