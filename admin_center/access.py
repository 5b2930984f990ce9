"""Who may open admin-center pages: signed-in operators, and per tenant only with a role."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from tenants.models import AdminRole, Tenant
from tenants.permissions import ROLES_FOR, Capability
from tenants.selectors import roles_of

View = Callable[..., HttpResponse]


def operator_signed_in(view: View) -> View:
    """Send anonymous visitors to the admin center's sign-in page.

    Admin-center URLs exist only in the public URLconf and run in the public schema, where only
    operators' accounts exist: a customer's session cookie is never sent here and a customer's
    credentials match no row.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin_center:sign-in"))
        return view(request, *args, **kwargs)

    return wrapped


def operator_required(view: View) -> View:
    """`operator_signed_in`, and an operator with a temporary password must change it first."""

    @operator_signed_in
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.must_change_password:  # type: ignore[union-attr]
            return redirect("admin_center:password-change")
        return view(request, *args, **kwargs)

    return wrapped


def tenant_admin_view(capability: Capability) -> Callable[[View], View]:
    """Guard a per-tenant admin-center view: 403 unless the operator holds a role granting it.

    The role is checked before anything else about the request is read, so every URL of a
    tenant answers 403 alike to an operator without a role, whatever else its path names.
    Unknown tenant IDs answer 403 too, so the admin center does not reveal which exist.
    The view is called with the tenant in place of its ID.
    """

    def decorator(view: View) -> View:
        @operator_required
        @wraps(view)
        def wrapped(request: HttpRequest, tenant_id: UUID, **kwargs: Any) -> HttpResponse:
            tenant = Tenant.objects.filter(tenant_id=tenant_id).first()
            roles: frozenset[AdminRole] = frozenset()
            if tenant is not None:
                roles = roles_of(operator=request.user, tenant=tenant)  # type: ignore[arg-type]
            if not roles & ROLES_FOR[capability]:
                raise PermissionDenied
            request.admin_roles = roles  # type: ignore[attr-defined]
            return view(request, tenant, **kwargs)

        wrapped.ciam_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator
