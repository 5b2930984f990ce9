"""Writes about operators: admin-center accounts in the public schema, and their roles on
tenants. Every change of roles is recorded in the tenant's audit log."""

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from tenants.models import AdminRole, AuditAction, RoleAssignment, Tenant
from tenants.schemas import use_public_schema
from tenants.services import audit_record


class LastGlobalAdministrator(Exception):
    """The change would leave the tenant without a Global Administrator."""


def operator_create(*, email: str, password: str, display_name: str = "") -> User:
    """Create an operator: an account in the public schema, who may sign in to the admin center.

    Customers are created in their tenant's schema, never by this service.
    """
    use_public_schema()
    user = User(email=User.objects.normalize_email(email), display_name=display_name)
    user.set_password(password)
    user.full_clean()
    with transaction.atomic():
        user.save()
    return user


def password_change_done(*, user: User) -> None:
    """Clear the must-change-password mark once the account chose its own password."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])


def admin_add(
    *, tenant: Tenant, email: str, roles: Iterable[AdminRole], actor: User
) -> tuple[User, str | None]:
    """Give an operator (found or created by email) roles on the tenant.

    A new operator account gets a random temporary password, returned once for the actor to
    pass on and to be changed at first sign-in; an existing one keeps its password (None).
    """
    email = User.objects.normalize_email(email)
    EmailValidator()(email)
    roles = set(roles)
    if not roles:
        raise ValidationError(_("Choose at least one role."), code="no_role")
    temporary_password = None
    with transaction.atomic():
        operator = User.objects.filter(email__iexact=email).first()
        if operator is None:
            temporary_password = secrets.token_urlsafe(12)
            operator = User.objects.create_user(
                email=email, password=temporary_password, must_change_password=True
            )
            audit_record(actor=actor, tenant=tenant, action=AuditAction.ADMIN_ADDED, target=email)
        _roles_grant(tenant=tenant, operator=operator, roles=roles, actor=actor)
    return operator, temporary_password


def admin_roles_set(
    *, tenant: Tenant, operator: User, roles: Iterable[AdminRole], actor: User
) -> None:
    """Make the operator's roles on the tenant exactly `roles` (empty removes the admin)."""
    wanted = set(roles)
    with transaction.atomic():
        # Lock the tenant's assignments so two admins editing at once cannot both remove
        # the last Global Administrator.
        current_rows = list(
            RoleAssignment.objects.select_for_update().filter(tenant=tenant).order_by("pk")
        )
        current = {AdminRole(row.role) for row in current_rows if row.operator_id == operator.pk}
        removed = current - wanted
        if AdminRole.GLOBAL_ADMINISTRATOR in removed:
            others = [
                row
                for row in current_rows
                if row.role == AdminRole.GLOBAL_ADMINISTRATOR and row.operator_id != operator.pk
            ]
            if not others:
                raise LastGlobalAdministrator()
        for role in sorted(removed):
            RoleAssignment.objects.filter(tenant=tenant, operator=operator, role=role).delete()
            audit_record(
                actor=actor,
                tenant=tenant,
                action=AuditAction.ROLE_REMOVED,
                target=operator.email,
                details={"role": role.value},
            )
        _roles_grant(tenant=tenant, operator=operator, roles=wanted - current, actor=actor)


def admin_remove(*, tenant: Tenant, operator: User, actor: User) -> None:
    """Remove every role the operator holds on the tenant."""
    admin_roles_set(tenant=tenant, operator=operator, roles=(), actor=actor)


def _roles_grant(
    *, tenant: Tenant, operator: User, roles: Iterable[AdminRole], actor: User
) -> None:
    for role in sorted(roles):
        _, created = RoleAssignment.objects.get_or_create(
            tenant=tenant, operator=operator, role=role
        )
        if created:
            audit_record(
                actor=actor,
                tenant=tenant,
                action=AuditAction.ROLE_GRANTED,
                target=operator.email,
                details={"role": role.value},
            )
