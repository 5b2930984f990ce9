"""A user flow's Applications section: the apps that use it, and running it for one of them
(a fresh authorization request, its PKCE verifier kept in the admin's session)."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.pages import operation_of
from admin_center.userflows.flows import flow_get, flow_target, section_page
from admin_center.userflows.runs import (
    userflow_run_begin,
    userflow_run_needs_pkce,
    userflow_run_url,
    userflow_runs,
)
from apps.models import AppRegistration, Platform
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.whole_numbers import whole_number
from userflows import services
from userflows.models import UserFlow


def _applications_page(
    request: HttpRequest, tenant: Tenant, flow: UserFlow, *, error: str | None = None
) -> HttpResponse:
    """The section: every app that can use a flow (daemons sign no one in), those of this flow
    checked, a run link for each of them, and the verifiers of the admin's recent runs."""
    with in_tenant(tenant):
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
    return section_page(
        request,
        tenant,
        flow,
        "applications",
        {"apps": apps, "run_links": run_links, "runs": runs, "error": error},
        status=400 if error else 200,
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_GET
def userflow_applications(request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        flow = flow_get(flow_id)
    return _applications_page(request, tenant, flow)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:userflow-applications", "flow_id")
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
        return _applications_page(request, tenant, flow, error=error)
    audit(
        request,
        tenant,
        AuditAction.USERFLOW_APPS_ASSIGNED,
        target=flow_target(flow),
        before={"apps": before},
        after={"apps": after},
    )
    messages.success(request, _("Applications saved."))
    return redirect("admin_center:userflow-applications", tenant.tenant_id, flow.flow_id)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_GET
def userflow_run(
    request: HttpRequest, tenant: Tenant, flow_id: uuid.UUID, app_id: uuid.UUID
) -> HttpResponse:
    """Start a run of the flow for one of its apps: a fresh PKCE verifier kept in the admin's
    session when the run's redirect URI is a public platform's, and the browser sent to the
    authorization request."""
    with in_tenant(tenant):
        flow = flow_get(flow_id)
        app = (
            AppRegistration.objects.filter(object_id=app_id, user_flow=flow)
            .exclude(platform=Platform.DAEMON)
            .first()
        )
        if app is None or not app.redirect_uris.split():
            raise Http404
        pkce = userflow_run_needs_pkce(app)
    run = userflow_run_begin(session=request.session, app=app, pkce=pkce)
    return redirect(userflow_run_url(tenant=tenant, app=app, run=run))
