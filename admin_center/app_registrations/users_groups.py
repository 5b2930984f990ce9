"""An app's Users and groups (Entra's Enterprise application → Users and groups): its roles
for users assigned to customers, by email, or to groups, by name; listed and removed. Token
configuration: the app's groups claim. One view per operation; each change is audited."""

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import CustomerGroup
from accounts.selectors import customer_get_by_email
from admin_center.access import tenant_admin_view
from admin_center.app_registrations.app_pages import app_get, app_page, app_tab_saved, app_target
from admin_center.app_registrations.forms import AssignmentForm, GroupsClaimForm
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import operation_of
from apps import services
from apps.assignments import (
    app_role_assign,
    app_role_assignment_get,
    app_role_assignments,
    app_role_unassign,
    user_assignable_roles,
)
from apps.models import AppRegistration, AppRoleAssignment
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

TAB = "users-groups"


def _assignment_details(assignment: AppRoleAssignment) -> dict[str, object]:
    details: dict[str, object] = {"role": assignment.role.value}
    if assignment.user is not None:
        details.update(customer=assignment.user.email, object_id=str(assignment.user.object_id))
    elif assignment.group is not None:
        details.update(
            group=assignment.group.display_name, object_id=str(assignment.group.object_id)
        )
    return details


def _page(
    request: HttpRequest, tenant: Tenant, app: AppRegistration, form: AssignmentForm | None = None
) -> HttpResponse:
    with in_tenant(tenant):
        roles = user_assignable_roles(app=app)
        assignments = app_role_assignments(app=app)
    return app_page(
        request,
        tenant,
        app,
        TAB,
        {
            "form": form or AssignmentForm(roles=roles),
            "roles": roles,
            "assignments": assignments,
        },
        status=400 if form is not None else 200,
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def app_users_groups(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
    return _page(request, tenant, app)


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-users-groups", "app_id")
def app_role_assignment_add(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID
) -> HttpResponse:
    assignment: AppRoleAssignment | None = None
    with in_tenant(tenant):
        app = app_get(app_id)
        roles = user_assignable_roles(app=app)
        form = AssignmentForm(request.POST, roles=roles)
        if form.is_valid():
            role = next(role for role in roles if str(role.role_id) == form.cleaned_data["role"])
            email, group_name = form.cleaned_data["email"], form.cleaned_data["group"]
            user = customer_get_by_email(email=email) if email else None
            group = (
                CustomerGroup.objects.filter(display_name__iexact=group_name).first()
                if group_name
                else None
            )
            if email and user is None:
                form.add_error("email", "No customer of this tenant has this email address.")
            elif group_name and group is None:
                form.add_error("group", "No group has this name.")
            else:
                try:
                    assignment = app_role_assign(role=role, user=user, group=group)
                except ValidationError as error:
                    form_errors_from(form, error, fields={"user": "email"})
    if assignment is None:
        return _page(request, tenant, app, form)
    audit(
        request,
        tenant,
        AuditAction.APP_ROLE_ASSIGNED,
        target=app_target(app),
        details=_assignment_details(assignment),
    )
    return app_tab_saved(request, tenant, app, TAB, "Role assigned.")


@tenant_admin_view(Capability.MANAGE_APPS)
@require_POST
def app_role_assignment_remove(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID, assignment_id: uuid.UUID
) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
        assignment = app_role_assignment_get(app=app, assignment_id=str(assignment_id))
        if assignment is None:
            raise Http404
        app_role_unassign(role=assignment.role, user=assignment.user, group=assignment.group)
    audit(
        request,
        tenant,
        AuditAction.APP_ROLE_UNASSIGNED,
        target=app_target(app),
        details=_assignment_details(assignment),
    )
    return app_tab_saved(request, tenant, app, TAB, "Assignment removed.")


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def app_token_configuration(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID
) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
    form = GroupsClaimForm(initial={"group_membership_claims": app.group_membership_claims})
    return app_page(request, tenant, app, "token-config", {"form": form})


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-token-config", "app_id")
def app_groups_claim_set(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    form = GroupsClaimForm(request.POST)
    with in_tenant(tenant):
        app = app_get(app_id)
        before = app.group_membership_claims
        if form.is_valid():
            services.group_membership_claims_set(
                app=app, value=form.cleaned_data["group_membership_claims"]
            )
    if not form.is_valid():
        return app_page(request, tenant, app, "token-config", {"form": form}, status=400)
    audit(
        request,
        tenant,
        AuditAction.APP_CLAIMS_UPDATED,
        target=app_target(app),
        before={"groups_claim": before},
        after={"groups_claim": app.group_membership_claims},
    )
    return app_tab_saved(request, tenant, app, "token-config", "Groups claim saved.")
