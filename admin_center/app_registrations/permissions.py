"""API permissions of an app registration: add, remove, grant and revoke admin consent. One view
per operation; each change is audited with the permission it concerns."""

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from admin_center.access import tenant_admin_view
from admin_center.app_registrations import forms
from admin_center.app_registrations.app_pages import app_get, app_page, app_tab_saved, app_target
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import operation_of
from apps import services
from apps.models import ApiPermission, ApiScope, AppRegistration, AppRole, OidcScope, Platform
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant


def _permission_choices(app: AppRegistration) -> list[tuple[str, str]]:
    """What the app may request (call in the tenant's schema): OpenID scopes and other apps'
    delegated scopes for apps that sign customers in, app roles for confidential apps."""
    choices: list[tuple[str, str]] = []
    if app.platform != Platform.DAEMON:
        choices += [(f"oidc:{scope.value}", f"OpenID · {scope.value}") for scope in OidcScope]
        for scope in ApiScope.objects.select_related("app").filter(enabled=True):
            choices.append((f"scope:{scope.pk}", f"{scope.app.name} · {scope.value} (delegated)"))
    if app.platform in (Platform.WEB, Platform.DAEMON):
        for role in AppRole.objects.select_related("app").filter(enabled=True):
            choices.append((f"role:{role.pk}", f"{role.app.name} · {role.value} (application)"))
    return choices


def _permission_name(permission: ApiPermission) -> str:
    """How the page and the audit log name a permission: `openid`, `API · Orders.Read`."""
    if permission.oidc_scope:
        return str(permission.oidc_scope)
    if permission.api_scope is not None:
        return f"{permission.api_scope.app.name} · {permission.api_scope.value}"
    if permission.app_role is not None:
        return f"{permission.app_role.app.name} · {permission.app_role.value}"
    return ""


def _permissions_page(
    request: HttpRequest,
    tenant: Tenant,
    app: AppRegistration,
    form: forms.PermissionAddForm | None = None,
) -> HttpResponse:
    with in_tenant(tenant):
        form = form or forms.PermissionAddForm(choices=_permission_choices(app))
        permissions = list(
            ApiPermission.objects.filter(client=app).select_related(
                "api_scope__app", "app_role__app"
            )
        )
    return app_page(request, tenant, app, "permissions", {"form": form, "permissions": permissions})


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def app_permissions(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
    return _permissions_page(request, tenant, app)


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-permissions", "app_id")
def app_permission_add(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    permission: ApiPermission | None = None
    name = ""
    with in_tenant(tenant):
        app = app_get(app_id)
        form = forms.PermissionAddForm(request.POST, choices=_permission_choices(app))
        if form.is_valid():
            # The choice was one of `_permission_choices`, so its row exists.
            kind, _sep, key = form.cleaned_data["permission"].partition(":")
            try:
                if kind == "oidc":
                    permission = services.api_permission_add(client=app, oidc_scope=key)
                elif kind == "scope":
                    permission = services.api_permission_add(
                        client=app, api_scope=ApiScope.objects.get(pk=key)
                    )
                else:
                    permission = services.api_permission_add(
                        client=app, app_role=AppRole.objects.get(pk=key)
                    )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                name = _permission_name(permission)
    if permission is None:
        return _permissions_page(request, tenant, app, form)
    audit(
        request,
        tenant,
        AuditAction.PERMISSION_ADDED,
        target=app_target(app),
        details={"permission": name},
    )
    return app_tab_saved(request, tenant, app, "permissions", _("Saved."))


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-permissions", "app_id")
def app_permission_remove(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID, permission_id: int
) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
        permission = (
            ApiPermission.objects.filter(client=app, pk=permission_id)
            .select_related("api_scope__app", "app_role__app")
            .first()
        )
        if permission is None:
            raise Http404
        name = _permission_name(permission)
        services.api_permission_remove(client=app, permission_id=permission.pk)
    audit(
        request,
        tenant,
        AuditAction.PERMISSION_REMOVED,
        target=app_target(app),
        details={"permission": name},
    )
    return app_tab_saved(request, tenant, app, "permissions", _("Saved."))


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-permissions", "app_id")
def app_consent_grant(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
        granted = services.admin_consent_grant(client=app)
    audit(
        request,
        tenant,
        AuditAction.CONSENT_GRANTED,
        target=app_target(app),
        details={"permissions": granted},
    )
    return app_tab_saved(request, tenant, app, "permissions", _("Saved."))


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-permissions", "app_id")
def app_consent_revoke(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
        revoked = services.admin_consent_revoke(client=app)
    audit(
        request,
        tenant,
        AuditAction.CONSENT_REVOKED,
        target=app_target(app),
        details={"permissions": revoked},
    )
    return app_tab_saved(request, tenant, app, "permissions", _("Saved."))
