"""Admin-center pages for user flows and custom user attributes (External ID User Flow
Administrator or Global Administrator)."""

import secrets
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.admin_center.access import tenant_admin_view
from accounts.attributes import BUILTIN_ATTRIBUTES, INPUT_TYPES_FOR
from accounts.models import CustomAttribute
from accounts.services import (
    CustomAttributeLimitReached,
    custom_attribute_create,
    custom_attribute_update,
)
from apps.admin_center.forms import form_errors_from
from apps.models import AppRegistration, Platform
from ciam_portal.whole_numbers import whole_number
from journey.forms import attribute_label
from tenants.admin_center.pages import tenant_page
from tenants.models import Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.selectors import tenant_base_url
from userflows import services
from userflows.admin_center import forms
from userflows.models import MAX_USER_FLOWS, UserFlow, UserFlowAttribute
from userflows.selectors import flow_attributes, userflow_list


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_http_methods(["GET", "POST"])
def userflow_list_view(request: HttpRequest, tenant: Tenant) -> HttpResponse:
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
                messages.success(request, _("User flow “%(name)s” created.") % {"name": flow})
                return redirect("admin_center:userflow-detail", tenant.tenant_id, flow.flow_id)
        flows = [(flow, list(flow.apps.all())) for flow in userflow_list()]
    return tenant_page(
        request,
        tenant,
        "admin_center/userflows/list.html",
        {"flows": flows, "form": form, "section": "user-flows", "max_flows": MAX_USER_FLOWS},
        status=200,
    )


def _flow(flow_id: uuid.UUID) -> UserFlow:
    flow = UserFlow.objects.filter(flow_id=flow_id).first()
    if flow is None:
        raise Http404
    return flow


def _layout(flow: UserFlow) -> list[dict[str, object]]:
    rows = []
    for item in flow_attributes(flow):
        input_types = (
            INPUT_TYPES_FOR[item.custom_attribute.data_type]
            if item.custom_attribute
            else ("TextBox",)
        )
        rows.append(
            {
                "item": item,
                "name": attribute_label(item),
                "kind": _("Built-in") if item.builtin else _("Custom"),
                "form": forms.FlowAttributeForm(
                    prefix=f"a{item.pk}",
                    input_types=input_types,
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


def _run_url(tenant: Tenant, app: AppRegistration) -> str | None:
    """The authorization request that runs the flow for this app (Entra's "Run user flow")."""
    uris = app.redirect_uris.split()
    if not uris:
        return None
    query = {
        "client_id": app.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": uris[0],
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "prompt": "login",
    }
    if app.is_public:
        # A fixed, published challenge: enough to open the pages, useless to anyone else.
        query.update(
            {
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            }
        )
    return f"{tenant_base_url(tenant)}/oauth2/v2.0/authorize?{urlencode(query)}"


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_http_methods(["GET", "POST"])
def userflow_detail(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    action = request.POST.get("action") if request.method == "POST" else None
    with in_tenant(tenant):
        flow = _flow(flow_id)
        properties = forms.UserFlowPropertiesForm(
            request.POST if action == "properties" else None,
            initial={
                "name": flow.name,
                "sign_in_method": flow.sign_in_method,
                "sign_up_allowed": flow.sign_up_allowed,
            },
        )
        done = None
        error = None
        try:
            done = _apply(request, flow, action, properties)
        except ValidationError as problem:
            if action == "properties":
                form_errors_from(properties, problem)
            else:
                error = " ".join(problem.messages)
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
        run_links = [(app, _run_url(tenant, app)) for app in apps if app.user_flow_id == flow.pk]
    if done:
        messages.success(request, done)
        return redirect("admin_center:userflow-detail", tenant.tenant_id, flow.flow_id)
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
            "error": error,
            "section": "user-flows",
        },
        status=400 if error else 200,
    )


def _apply(
    request: HttpRequest,
    flow: UserFlow,
    action: str | None,
    properties: forms.UserFlowPropertiesForm,
) -> str | None:
    """Carry out one change to the flow; return the message to show, or None."""
    if action == "properties" and properties.is_valid():
        services.userflow_update(flow=flow, **properties.cleaned_data)
        return _("Properties saved.")
    if action == "add-attribute":
        kind, _sep, key = request.POST.get("attribute", "").partition(":")
        if kind == "builtin":
            services.flow_attribute_add(flow=flow, builtin=key)
        elif kind == "custom" and (attribute_id := whole_number(key)) is not None:
            attribute = CustomAttribute.objects.filter(pk=attribute_id).first()
            if attribute is None:
                raise ValidationError(_("Choose an attribute."))
            services.flow_attribute_add(flow=flow, custom_attribute=attribute)
        else:
            raise ValidationError(_("Choose an attribute."))
        return _("Attribute added.")
    item = _item(flow, request.POST.get("item", ""))
    if action in {"up", "down", "top", "bottom"} and item is not None:
        services.flow_attribute_move(attribute=item, to=action)
        return _("Page layout saved.")
    if action == "remove" and item is not None:
        services.flow_attribute_remove(attribute=item)
        return _("Attribute removed.")
    if action == "update" and item is not None:
        input_types = (
            INPUT_TYPES_FOR[item.custom_attribute.data_type]
            if item.custom_attribute
            else ("TextBox",)
        )
        form = forms.FlowAttributeForm(request.POST, prefix=f"a{item.pk}", input_types=input_types)
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        services.flow_attribute_update(
            attribute=item,
            label=form.cleaned_data["label"],
            required=form.cleaned_data["required"],
            input_type=form.cleaned_data["input_type"],
            options=form.parsed_options(),
        )
        return _("Page layout saved.")
    if action == "assign-apps":
        ids = [
            app_id
            for value in request.POST.getlist("apps")
            if (app_id := whole_number(value)) is not None
        ]
        chosen = list(AppRegistration.objects.filter(pk__in=ids))
        services.flow_apps_assign(flow=flow, apps=chosen)
        for app in AppRegistration.objects.filter(user_flow=flow).exclude(pk__in=ids):
            services.flow_app_remove(flow=flow, app=app)
        return _("Applications saved.")
    if action is not None and action not in {"properties"}:
        raise ValidationError(_("That change is not possible."))
    return None


def _item(flow: UserFlow, value: str) -> UserFlowAttribute | None:
    item_id = whole_number(value)
    if item_id is None:
        return None
    return flow.attributes.filter(pk=item_id).select_related("custom_attribute").first()


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_POST
def userflow_delete(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        flow = _flow(flow_id)
        services.userflow_delete(flow=flow)
    messages.success(request, _("User flow “%(name)s” deleted.") % {"name": flow.name})
    return redirect("admin_center:userflow-list", tenant.tenant_id)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_http_methods(["GET", "POST"])
def custom_attribute_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    action = request.POST.get("action") if request.method == "POST" else None
    form = forms.CustomAttributeForm(request.POST if action == "add" else None)
    error = None
    with in_tenant(tenant):
        if action == "add" and form.is_valid():
            try:
                custom_attribute_create(**form.cleaned_data)
            except CustomAttributeLimitReached:
                form.add_error(None, _("A tenant has at most 100 custom attributes."))
            except ValidationError as problem:
                form_errors_from(form, problem)
            else:
                messages.success(request, _("Custom attribute added."))
                return redirect("admin_center:custom-attributes", tenant.tenant_id)
        elif (
            action == "update"
            and (attribute_id := whole_number(request.POST.get("attribute", ""))) is not None
        ):
            attribute = CustomAttribute.objects.filter(pk=attribute_id).first()
            if attribute is None:
                raise Http404
            try:
                custom_attribute_update(
                    attribute=attribute,
                    data_type=request.POST.get("data_type", ""),
                    description=request.POST.get("description", ""),
                    user_editable=request.POST.get("user_editable") == "on",
                )
            except ValidationError as problem:
                error = " ".join(problem.messages)
            else:
                messages.success(request, _("Custom attribute saved."))
                return redirect("admin_center:custom-attributes", tenant.tenant_id)
        attributes = list(CustomAttribute.objects.all())
    return tenant_page(
        request,
        tenant,
        "admin_center/userflows/custom_attributes.html",
        {"attributes": attributes, "form": form, "error": error, "section": "custom-attributes"},
        status=400 if error else 200,
    )
