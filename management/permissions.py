"""Which management roles reach which endpoint: each view declares its own, once.

A view class sets `roles = Needs(read=…, write=…)`: reading (GET, HEAD, OPTIONS) takes any
role of `read` or of `write` (Graph's rule: a ReadWrite permission includes its Read), writing
takes a role of `write`. The permission matrix test (tests/management/test_permission_matrix.py)
reads the same declarations from every route, so an endpoint that forgets one fails it, and the
OpenAPI document lists them per operation.
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from apps.management_api import MANAGEMENT_ROLE_VALUES


@dataclass(frozen=True)
class Needs:
    """The roles an endpoint accepts: any one of them suffices."""

    read: frozenset[str] = field(default_factory=frozenset)
    write: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = (self.read | self.write) - MANAGEMENT_ROLE_VALUES
        if unknown:
            raise ImproperlyConfigured(f"Unknown management roles: {sorted(unknown)}")

    def for_method(self, method: str) -> frozenset[str]:
        return self.read | self.write if method in SAFE_METHODS else self.write


def needs(*, read: tuple[str, ...] = (), write: tuple[str, ...] = ()) -> Needs:
    return Needs(read=frozenset(read), write=frozenset(write))


def roles_of_view(view: Any) -> Needs | None:
    roles = getattr(view, "roles", None)
    return roles if isinstance(roles, Needs) else None


class HoldsManagementRole(BasePermission):
    """403 unless the caller holds one of the roles the view declares for the method; a view
    that declares none is closed to everyone (never open by omission)."""

    message = "The calling app holds none of the roles this operation needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        declared = roles_of_view(view)
        caller_roles: frozenset[str] = getattr(request.auth, "roles", frozenset())
        if declared is None:
            return False
        return bool(caller_roles & declared.for_method(request.method or "GET"))
