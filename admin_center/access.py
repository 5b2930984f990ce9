"""Who may open admin-center pages: signed-in operators, and per tenant only with a role.

Every admin-center view is wrapped by exactly one of the guards below, and each guard records
on the view what it lets through (`guard_of`). That record is what the role-by-route sweep in the
tests reads to know which answer to expect, so a view that loses its guard loses its record and
fails the sweep, and the expectation never lives in a second list.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from accounts.selectors import roles_of
from tenants.models import AdminRole, Tenant
from tenants.permissions import ROLES_FOR, Capability

View = Callable[..., HttpResponseBase]

_GUARD_ATTRIBUTE = "admin_center_guard"


@dataclass(frozen=True)
class Guard:
    """What a view's guard lets through.

    `signed_in`: only signed-in operators (others are sent to the sign-in page).
    `capability`: per-tenant views only: operators holding a role on the tenant that grants it,
    or that grants `or_capability` when one is given (others get 403).
    """

    signed_in: bool
    capability: Capability | None = None
    or_capability: Capability | None = None

    def allows(self, roles: frozenset[AdminRole]) -> bool:
        """Whether a signed-in operator with these roles on the tenant gets past the guard."""
        if self.capability is None:
            return True
        allowed = ROLES_FOR[self.capability]
        if self.or_capability is not None:
            allowed = allowed | ROLES_FOR[self.or_capability]
        return bool(roles & allowed)


ANYONE = Guard(signed_in=False)
OPERATOR = Guard(signed_in=True)


def guard_of(view: object) -> Guard | None:
    """The guard a view declared, or None for a view that has none."""
    guard = getattr(view, _GUARD_ATTRIBUTE, None)
    return guard if isinstance(guard, Guard) else None


def _declare(view: View, guard: Guard) -> View:
    setattr(view, _GUARD_ATTRIBUTE, guard)
    return view


def open_to_anyone(view: View) -> View:
    """No check: the sign-in page itself, and signing out (harmless when signed out)."""
    return _declare(view, ANYONE)


def operator_signed_in(view: View) -> View:
    """Send anonymous visitors to the admin center's sign-in page.

    Admin-center URLs exist only in the public URLconf and run in the public schema, where only
    operators' accounts exist: a customer's session cookie is never sent here and a customer's
    credentials match no row.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin_center:sign-in"))
        return view(request, *args, **kwargs)

    return _declare(wrapped, OPERATOR)


def operator_required(view: View) -> View:
    """`operator_signed_in`, and an operator with a temporary password must change it first."""

    @operator_signed_in
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.must_change_password:  # type: ignore[union-attr]
            return redirect("admin_center:password-change")
        return view(request, *args, **kwargs)

    return _declare(wrapped, OPERATOR)


def tenant_admin_view(
    capability: Capability, *, or_capability: Capability | None = None
) -> Callable[[View], View]:
    """Guard a per-tenant admin-center view: 403 unless the operator holds a role granting it
    (or granting `or_capability`: a page two roles share, such as a user flow's Languages).

    The role is checked before anything else about the request is read (its method included),
    so every URL of a tenant answers 403 alike to an operator without a role, whatever else its
    path names. Unknown tenant IDs answer 403 too, so the admin center does not reveal which
    exist. The view is called with the tenant in place of its ID, and `request.admin_roles` set.
    """
    guard = Guard(signed_in=True, capability=capability, or_capability=or_capability)

    def decorator(view: View) -> View:
        @operator_required
        @wraps(view)
        def wrapped(request: HttpRequest, tenant_id: UUID, **kwargs: Any) -> HttpResponseBase:
            tenant = Tenant.objects.filter(tenant_id=tenant_id).first()
            roles: frozenset[AdminRole] = frozenset()
            if tenant is not None:
                roles = roles_of(operator=request.user, tenant=tenant)  # type: ignore[arg-type]
            if not guard.allows(roles):
                raise PermissionDenied
            request.admin_roles = roles  # type: ignore[attr-defined]
            return view(request, tenant, **kwargs)

        return _declare(wrapped, guard)

    return decorator
