"""User flows (External ID User Flow Administrator or Global Administrator): the list and
creation, a flow's page, its properties, its apps, running it, deleting it. One view per
operation; each change is audited.

Every view reads and writes in the tenant's schema inside `in_tenant`, then records the audit
entry and renders in the public schema with evaluated data.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.attributes import BUILTIN_ATTRIBUTES
from accounts.models import CustomAttribute
from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import operation_of, tenant_page
from admin_center.userflows import forms
from admin_center.userflows.runs import userflow_run_begin, userflow_run_url, userflow_runs
from apps.models import AppRegistration, Platform
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.whole_numbers import whole_number
from userflows import services
from userflows.models import MAX_USER_FLOWS, UserFlow, UserFlowAttribute
from userflows.selectors import attribute_label, flow_attributes, userflow_list


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


def _layout(flow: UserFlow) -> list[dict[str, object]]:
    rows = []
    for item in flow_attributes(flow):
        rows.append(
            {
                "item": item,
                "name": attribute_label(item),
                "kind": _("Built-in") if item.builtin else _("Custom"),
                "form": forms.FlowAttributeForm(
                    prefix=f"a{item.pk}",
                    input_types=item.input_types,
                    initial={
                        "label": item.label,
                        "required": item.required,
                        "input_type": item.input_type,
                        "options": "\n".join(f"{o['text']} | {o['value']}" for o in item.options),
                    },
                ),
            }
        )
    return rows


def flow_page(
    request: HttpRequest,
    tenant: Tenant,
    flow: UserFlow,
    *,
    properties: forms.UserFlowPropertiesForm | None = None,
    error: str | None = None,
) -> HttpResponse:
    """The flow's page: properties, page layout, apps and their runs, deletion. With `error`
    (a change that could not be made), the page says so above everything and answers 400."""
    with in_tenant(tenant):
        properties = properties or forms.UserFlowPropertiesForm(initial=_properties(flow))
        layout = _layout(flow)
        collected_custom = {item.custom_attribute_id for item in flow.attributes.all()}
        collected_builtin = {item.builtin for item in flow.attributes.all()}
        addable = [
            (f"builtin:{key}", str(spec.label))
            for key, spec in BUILTIN_ATTRIBUTES.items()
            if key not in collected_builtin
        ] + [
            (f"custom:{attribute.pk}", attribute.name)
            for attribute in CustomAttribute.objects.exclude(pk__in=collected_custom)
        ]
        apps = list(AppRegistration.objects.exclude(platform=Platform.DAEMON).order_by("name"))
    flow_apps = [app for app in apps if app.user_flow_id == flow.pk]
    run_links = [
        (
            app,
            reverse(
                "admin_center:userflow-run", args=[tenant.tenant_id, flow.flow_id, app.object_id]
            )
            if app.redirect_uris.split()
            else None,
        )
        for app in flow_apps
    ]
    client_ids = {app.client_id: app for app in flow_apps}
    runs = [
        (client_ids[run.client_id], run)
        for run in userflow_runs(session=request.session)
        if run.client_id in client_ids and run.code_verifier
    ]
    return tenant_page(
        request,
        tenant,
        "admin_center/userflows/detail.html",
        {
            "flow": flow,
            "properties": properties,
            "layout": layout,
            "addable": addable,
            "apps": apps,
            "run_links": run_links,
            "runs": runs,
            "error": error,
            "section": "user-flows",
        },
        status=400 if error else 200,
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_GET
def userflow_detail(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        flow = flow_get(flow_id)
    return flow_page(request, tenant, flow)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-detail", "flow_id")
def userflow_properties(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    properties = forms.UserFlowPropertiesForm(request.POST)
    saved = False
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        before = _properties(flow)
        if properties.is_valid():
            try:
                services.userflow_update(flow=flow, **properties.cleaned_data)
            except ValidationError as error:
                form_errors_from(properties, error)
            else:
                saved = True
    if not saved:
        return flow_page(request, tenant, flow, properties=properties)
    audit(
        request,
        tenant,
        AuditAction.USERFLOW_UPDATED,
        target=flow_target(flow),
        before=before,
        after=_properties(flow),
    )
    messages.success(request, _("Properties saved."))
    return redirect("admin_center:userflow-detail", tenant.tenant_id, flow.flow_id)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-detail", "flow_id")
def userflow_apps_assign(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    """Exactly the chosen apps use the flow afterwards: chosen ones move here from any other
    flow, unchosen ones that used it are left without a flow."""
    ids = [
        app_id
        for value in request.POST.getlist("apps")
        if (app_id := whole_number(value)) is not None
    ]
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        before = sorted(app.client_id for app in AppRegistration.objects.filter(user_flow=flow))
        error = None
        try:
            services.flow_apps_assign(
                flow=flow, apps=list(AppRegistration.objects.filter(pk__in=ids))
            )
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            for app in AppRegistration.objects.filter(user_flow=flow).exclude(pk__in=ids):
                services.flow_app_remove(flow=flow, app=app)
        after = sorted(app.client_id for app in AppRegistration.objects.filter(user_flow=flow))
    if error is not None:
        return flow_page(request, tenant, flow, error=error)
    audit(
        request,
        tenant,
        AuditAction.USERFLOW_APPS_ASSIGNED,
        target=flow_target(flow),
        before={"apps": before},
        after={"apps": after},
    )
    messages.success(request, _("Applications saved."))
    return redirect("admin_center:userflow-detail", tenant.tenant_id, flow.flow_id)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_GET
def userflow_run(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, app_id: uuid.UUID
) -> HttpResponse:
    """Start a run of the flow for one of its apps: a fresh PKCE verifier kept in the admin's
    session, and the browser sent to the authorization request."""
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        app = (
            AppRegistration.objects.filter(object_id=app_id, user_flow=flow)
            .exclude(platform=Platform.DAEMON)
            .first()
        )
    if app is None or not app.redirect_uris.split():
        raise Http404
    run = userflow_run_begin(session=request.session, app=app)
    return redirect(userflow_run_url(tenant=tenant, app=app, run=run))


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
