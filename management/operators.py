"""Delegated access: the admin center's signed-in operators call the same API with their
session, under `/admin-center/tenants/<tenant ID>/api/v1/…` (mounted by
ciam_portal/urls_public.py), for the admin center's own use.

Each route of management/urls.py is mounted again, wrapped: the wrapper resolves the operator
from the session and their roles on the tenant in the public schema (where operators live),
then runs the whole view in the tenant's schema. An operator holds the management roles their
admin roles grant (`MANAGEMENT_ROLES_FOR` below), checked by the same declaration an app's
token is (management/permissions.py). Anonymous callers get a 401 problem; an unknown tenant,
or one on which the operator holds no role granting any management role, a 403 problem alike
(the mount does not reveal which tenants exist).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.csrf import csrf_exempt

from accounts.models import User
from accounts.selectors import roles_of
from apps.management_api import MANAGEMENT_ROLE_VALUES
from management import urls as management_urls
from management.authentication import (
    OPERATOR_ATTRIBUTE,
    OperatorCaller,
    OperatorSessionAuthentication,
)
from management.base import ManagementView
from management.problems import problem_json
from tenants.models import AdminRole, Tenant, TenantStatus
from tenants.permissions import Capability, capabilities_of
from tenants.schemas import in_tenant

View = Callable[..., HttpResponseBase]

# What each admin-center capability lets an operator do through the API: the same things, by
# the management roles' names. A Global Administrator holds every role (below); capabilities
# with no API of their own (the overview, admins, the tenant's deletion) grant none.
MANAGEMENT_ROLES_FOR: dict[Capability, frozenset[str]] = {
    Capability.READ_AUDIT_LOG: frozenset({"AuditLog.Read.All"}),
    Capability.READ_SIGN_IN_LOGS: frozenset({"AuditLog.Read.All"}),
    Capability.MANAGE_CUSTOMERS: frozenset(
        {"User.Read.All", "User.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All"}
    ),
    # The admin center's app pages hold credentials, permissions and consent, token lifetimes
    # and the custom authentication extensions.
    Capability.MANAGE_APPS: frozenset(
        {
            "Application.Read.All",
            "Application.ReadWrite.All",
            "AppRoleAssignment.ReadWrite.All",
            "Policy.ReadWrite.ApplicationConfiguration",
            "CustomAuthenticationExtension.Read.All",
            "CustomAuthenticationExtension.ReadWrite.All",
        }
    ),
    Capability.MANAGE_USER_FLOWS: frozenset(
        {"IdentityUserFlow.Read.All", "IdentityUserFlow.ReadWrite.All"}
    ),
    Capability.MANAGE_BRANDING: frozenset(
        {"OrganizationalBranding.Read.All", "OrganizationalBranding.ReadWrite.All"}
    ),
    Capability.MANAGE_IDENTITY_PROVIDERS: frozenset(
        {"IdentityProvider.Read.All", "IdentityProvider.ReadWrite.All"}
    ),
    Capability.MANAGE_AUTHENTICATION_METHODS: frozenset(
        {"Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"}
    ),
    Capability.MANAGE_CONDITIONAL_ACCESS: frozenset(
        {"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"}
    ),
}


def management_roles_of(admin_roles: frozenset[AdminRole]) -> frozenset[str]:
    """The management roles an operator with these admin roles on a tenant holds."""
    if AdminRole.GLOBAL_ADMINISTRATOR in admin_roles:
        return MANAGEMENT_ROLE_VALUES
    granted: frozenset[str] = frozenset()
    for capability in capabilities_of(admin_roles):
        granted |= MANAGEMENT_ROLES_FOR.get(capability, frozenset())
    return granted


def _caller(request: HttpRequest, tenant_id: UUID) -> tuple[Tenant, OperatorCaller] | JsonResponse:
    """The tenant and the operator calling, or the problem that answers instead."""
    operator = request.user
    if not isinstance(operator, User) or not operator.is_authenticated:
        return problem_json(request, 401, "Sign in to the admin center first.")
    tenant = Tenant.objects.filter(tenant_id=tenant_id, status=TenantStatus.READY).first()
    roles: frozenset[str] = frozenset()
    if tenant is not None and not operator.must_change_password:
        roles = management_roles_of(roles_of(operator=operator, tenant=tenant))
    if tenant is None or not roles:
        return problem_json(request, 403, "You hold no role on this tenant that reaches its API.")
    return tenant, OperatorCaller(operator=operator, roles=roles)


def operator_view(view: View) -> View:
    """`view` (a route of the API) for the operator's session: resolved in the public schema,
    run in the tenant's. CSRF is checked by OperatorSessionAuthentication, as DRF checks it,
    on unsafe methods only."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, tenant_id: UUID, **kwargs: Any) -> HttpResponseBase:
        found = _caller(request, tenant_id)
        if isinstance(found, JsonResponse):
            return found
        tenant, caller = found
        setattr(request, OPERATOR_ATTRIBUTE, caller)
        with in_tenant(tenant):
            return view(request, **kwargs)

    return wrapped


def _unknown_path(request: HttpRequest, rest: str) -> JsonResponse:
    return problem_json(request, 404, "No such resource.")


def _mounted(pattern: URLPattern) -> URLPattern | None:
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None or not issubclass(view_class, ManagementView):
        return None  # the document and its page are the tenant's, public, not mounted here
    view = view_class.as_view(
        **getattr(pattern.callback, "view_initkwargs", {}),
        authentication_classes=[OperatorSessionAuthentication],
    )
    if pattern.name is None:
        return path(str(pattern.pattern), operator_view(view))
    return path(str(pattern.pattern), operator_view(view), name=pattern.name)


def operator_urlpatterns() -> list[URLPattern | URLResolver]:
    """The API's routes as the admin center's mount serves them (every route management/urls.py
    has, so a resource added there is mounted too), and a problem for any other path."""
    mounted = [
        found
        for pattern in management_urls.urlpatterns
        if isinstance(pattern, URLPattern) and (found := _mounted(pattern)) is not None
    ]
    return [*mounted, path("<path:rest>", operator_view(_unknown_path))]
