"""A user flow's User attributes section (which attributes it collects at sign-up, which are
required) and its Page layouts section (their order, label, input type and options). Each
section saves with one form; every change is audited per attribute, naming it by its key."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.attributes import BUILTIN_ATTRIBUTES, DataType
from accounts.models import CustomAttribute
from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import operation_of
from admin_center.userflows import forms
from admin_center.userflows.flows import attribute_key, flow_get, flow_target, section_page
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from userflows import services
from userflows.models import UserFlow, UserFlowAttribute
from userflows.selectors import flow_attributes

MOVES = ("top", "up", "down", "bottom")


def _default_label(item: UserFlowAttribute) -> str:
    """What the page calls the attribute when the flow gives it no label of its own."""
    if item.custom_attribute is not None:
        return item.custom_attribute.name
    return str(BUILTIN_ATTRIBUTES[item.builtin].label)


def _kind(attribute: CustomAttribute | None) -> str:
    """Built-in (None), or custom with its data type."""
    if attribute is not None:
        return _("Custom · %(type)s") % {"type": DataType(attribute.data_type).label}
    return _("Built-in")


# --- User attributes ------------------------------------------------------------------------


def _collected(flow: UserFlow) -> dict[str, bool]:
    """The attributes the flow collects, by audit key, each mapped to whether it is required."""
    return {attribute_key(item): item.required for item in flow_attributes(flow)}


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_http_methods(["GET", "POST"])
def userflow_user_attributes(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID
) -> HttpResponse:
    """Every built-in and custom attribute, ticked where the flow collects it, with whether it
    is required. Saving adds the newly ticked ones at the end of the page layout and removes
    the unticked ones; each addition, removal and change of "required" is audited."""
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        custom = list(CustomAttribute.objects.all())
        items = flow_attributes(flow)
        before = _collected(flow)
        form = forms.UserAttributesForm(
            request.POST if request.method == "POST" else None,
            custom=custom,
            initial={
                "collect": [_choice(item) for item in items],
                "required": [_choice(item) for item in items if item.required],
            },
        )
        saved = False
        if form.is_bound and form.is_valid():
            builtin, chosen_custom = form.chosen()
            try:
                services.flow_attributes_choose(flow=flow, builtin=builtin, custom=chosen_custom)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                saved = True
                after = _collected(flow)
    if saved:
        _audit_choice(request, tenant, flow, before, after)
        messages.success(request, _("User attributes saved."))
        return redirect("admin_center:userflow-user-attributes", tenant.tenant_id, flow.flow_id)
    collected = set(form["collect"].value() or [])
    required = set(form["required"].value() or [])
    named = [
        (f"builtin:{key}", str(spec.label), _kind(None))
        for key, spec in BUILTIN_ATTRIBUTES.items()
        if key != "email"
    ] + [(f"custom:{attribute.pk}", attribute.name, _kind(attribute)) for attribute in custom]
    rows = [
        {
            "value": value,
            "name": name,
            "kind": kind,
            "collected": value in collected,
            "required": value in required,
        }
        for value, name, kind in named
    ]
    return section_page(
        request,
        tenant,
        flow,
        "user_attributes",
        {"form": form, "rows": rows, "email_label": BUILTIN_ATTRIBUTES["email"].label},
        status=400 if form.is_bound else 200,
    )


def _choice(item: UserFlowAttribute) -> str:
    if item.custom_attribute_id is not None:
        return f"custom:{item.custom_attribute_id}"
    return f"builtin:{item.builtin}"


def _audit_choice(
    request: HttpRequest,
    tenant: Tenant,
    flow: UserFlow,
    before: dict[str, bool],
    after: dict[str, bool],
) -> None:
    target = flow_target(flow)
    for key in after.keys() - before.keys():
        audit(
            request,
            tenant,
            AuditAction.USERFLOW_ATTRIBUTE_ADDED,
            target=target,
            details={"attribute": key, "required": after[key]},
        )
    for key in before.keys() - after.keys():
        audit(
            request,
            tenant,
            AuditAction.USERFLOW_ATTRIBUTE_REMOVED,
            target=target,
            details={"attribute": key},
        )
    for key in before.keys() & after.keys():
        if before[key] != after[key]:
            audit(
                request,
                tenant,
                AuditAction.USERFLOW_ATTRIBUTE_UPDATED,
                target=target,
                details={"attribute": key},
                before={"required": before[key]},
                after={"required": after[key]},
            )


# --- Page layouts ---------------------------------------------------------------------------


def _look(item: UserFlowAttribute) -> dict[str, object]:
    return {
        "label": item.label,
        "input_type": item.input_type,
        "options": [option["value"] for option in item.options],
    }


def _row_form(item: UserFlowAttribute, data: object = None) -> forms.FlowAttributeForm:
    return forms.FlowAttributeForm(
        data,
        prefix=f"a{item.pk}",
        input_types=item.input_types,
        default_label=_default_label(item),
        initial={
            "label": item.label,
            "input_type": item.input_type,
            "options": "\n".join(f"{o['text']} | {o['value']}" for o in item.options),
        },
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_http_methods(["GET", "POST"])
def userflow_page_layouts(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    """The attribute-collection page, one row per attribute in page order, saved at once: every
    row is checked first, and either all of them are stored or none is (the rows with errors
    say why). Email Address is asked for first and verified; it has no settings here."""
    posted = request.POST if request.method == "POST" else None
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        items = flow_attributes(flow)
        editable = [(item, _row_form(item, posted)) for item in items if item.builtin != "email"]
        row_forms = {item.pk: form for item, form in editable}
        rows = [
            {
                "item": item,
                "name": _default_label(item),
                "kind": _kind(item.custom_attribute),
                "form": row_forms.get(item.pk),
            }
            for item in items
        ]
        changes: list[tuple[UserFlowAttribute, dict[str, object], dict[str, object]]] = []
        saved = False
        if posted is not None and all(form.is_valid() for _item, form in editable):
            try:
                with transaction.atomic():
                    for item, form in editable:
                        before = _look(item)
                        try:
                            services.flow_attribute_update(
                                attribute=item,
                                label=form.cleaned_data["label"],
                                required=item.required,
                                input_type=form.cleaned_data["input_type"],
                                options=form.parsed_options(),
                            )
                        except ValidationError as error:
                            form_errors_from(form, error)
                            raise
                        changes.append((item, before, _look(item)))
            except ValidationError:
                changes = []
            else:
                saved = True
    if saved:
        for item, before, after in changes:
            if before != after:
                audit(
                    request,
                    tenant,
                    AuditAction.USERFLOW_ATTRIBUTE_UPDATED,
                    target=flow_target(flow),
                    details={"attribute": attribute_key(item)},
                    before=before,
                    after=after,
                )
        messages.success(request, _("Page layout saved."))
        return redirect("admin_center:userflow-page-layouts", tenant.tenant_id, flow.flow_id)
    return section_page(
        request,
        tenant,
        flow,
        "page_layouts",
        {"rows": rows, "invalid": posted is not None},
        status=400 if posted is not None else 200,
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-page-layouts", "flow_id")
def userflow_attribute_move(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, item_id: int
) -> HttpResponse:
    """Move the attribute `to` the top, up, down or to the bottom of the page."""
    to = request.POST.get("to", "")
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        item = flow.attributes.filter(pk=item_id).select_related("custom_attribute").first()
        if item is None:
            raise Http404
        if to not in MOVES:
            return HttpResponseBadRequest(_("Move an attribute to the top, up, down or bottom."))
        before = [attribute_key(each) for each in flow_attributes(flow)]
        services.flow_attribute_move(attribute=item, to=to)
        after = [attribute_key(each) for each in flow_attributes(flow)]
    audit(
        request,
        tenant,
        AuditAction.USERFLOW_LAYOUT_CHANGED,
        target=flow_target(flow),
        details={"attribute": attribute_key(item)},
        before={"order": before},
        after={"order": after},
    )
    messages.success(request, _("Page layout saved."))
    return redirect("admin_center:userflow-page-layouts", tenant.tenant_id, flow.flow_id)
