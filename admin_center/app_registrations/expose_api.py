"""Expose an API: the application ID URI, the scopes and the app roles an app's API defines.
One view per operation; each change is audited."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from admin_center.access import tenant_admin_view
from admin_center.app_registrations import forms
from admin_center.app_registrations.app_pages import app_get, app_page, app_tab_saved, app_target
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import operation_of
from apps import services
from apps.models import AllowedMemberTypes, ApiScope, AppRegistration, AppRole
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant


def _expose_api_page(
    request: HttpRequest,
    tenant: Tenant,
    app: AppRegistration,
    *,
    uri_form: forms.AppIdUriForm | None = None,
    scope_form: forms.ScopeAddForm | None = None,
    role_form: forms.RoleAddForm | None = None,
) -> HttpResponse:
    with in_tenant(tenant):
        scopes = list(app.api_scopes.all())
        roles = list(app.app_roles.all())
    return app_page(
        request,
        tenant,
        app,
        "expose-api",
        {
            "uri_form": uri_form
            or forms.AppIdUriForm(initial={"app_id_uri": app.effective_app_id_uri}),
            "scope_form": scope_form or forms.ScopeAddForm(),
            "role_form": role_form or forms.RoleAddForm(),
            "scopes": scopes,
            "roles": roles,
            "member_types": AllowedMemberTypes.choices,
        },
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def app_expose_api(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
    return _expose_api_page(request, tenant, app)


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-expose-api", "app_id")
def app_id_uri_set(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    form = forms.AppIdUriForm(request.POST)
    saved = False
    with in_tenant(tenant):
        app = app_get(app_id)
        before = app.effective_app_id_uri
        if form.is_valid():
            try:
                services.app_id_uri_set(app=app, app_id_uri=form.cleaned_data["app_id_uri"])
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                saved = True
    if not saved:
        return _expose_api_page(request, tenant, app, uri_form=form)
    audit(
        request,
        tenant,
        AuditAction.APP_ID_URI_SET,
        target=app_target(app),
        before={"app_id_uri": before},
        after={"app_id_uri": app.effective_app_id_uri},
    )
    return app_tab_saved(request, tenant, app, "expose-api", _("Saved."))


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-expose-api", "app_id")
def app_scope_add(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    form = forms.ScopeAddForm(request.POST)
    scope: ApiScope | None = None
    with in_tenant(tenant):
        app = app_get(app_id)
        if form.is_valid():
            try:
                scope = services.api_scope_add(app=app, **form.cleaned_data)
            except ValidationError as error:
                form_errors_from(form, error)
    if scope is None:
        return _expose_api_page(request, tenant, app, scope_form=form)
    audit(
        request,
        tenant,
        AuditAction.API_SCOPE_ADDED,
        target=app_target(app),
        details={"scope": scope.value, "display_name": scope.admin_consent_display_name},
    )
    return app_tab_saved(request, tenant, app, "expose-api", _("Saved."))


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-expose-api", "app_id")
def app_role_add(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    form = forms.RoleAddForm(request.POST)
    role: AppRole | None = None
    with in_tenant(tenant):
        app = app_get(app_id)
        if form.is_valid():
            try:
                role = services.app_role_add(app=app, **form.cleaned_data)
            except ValidationError as error:
                form_errors_from(form, error)
    if role is None:
        return _expose_api_page(request, tenant, app, role_form=form)
    audit(
        request,
        tenant,
        AuditAction.APP_ROLE_ADDED,
        target=app_target(app),
        details={
            "role": role.value,
            "display_name": role.display_name,
            "allowed_member_types": role.allowed_member_types,
        },
    )
    return app_tab_saved(request, tenant, app, "expose-api", _("Saved."))


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-expose-api", "app_id")
def app_role_member_types(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID, role_id: uuid.UUID
) -> HttpResponse:
    """Change who one of the app's roles is for (applications, users and groups, or both)."""
    form = forms.RoleMemberTypesForm(request.POST)
    with in_tenant(tenant):
        app = app_get(app_id)
        role = app.app_roles.filter(role_id=role_id).first()
        if role is None:
            raise Http404
        before = role.allowed_member_types
        if form.is_valid():
            try:
                services.app_role_member_types_set(
                    role=role, allowed_member_types=form.cleaned_data["allowed_member_types"]
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
    if not form.is_valid():
        problems = [str(message) for message in form.non_field_errors()]
        messages.error(request, f"{role.value}: {' '.join(problems)}")
        return redirect("admin_center:app-expose-api", tenant.tenant_id, app.object_id)
    audit(
        request,
        tenant,
        AuditAction.APP_ROLE_UPDATED,
        target=app_target(app),
        details={"role": role.value},
        before={"allowed_member_types": before},
        after={"allowed_member_types": role.allowed_member_types},
    )
    return app_tab_saved(request, tenant, app, "expose-api", f"{role.value} saved.")
