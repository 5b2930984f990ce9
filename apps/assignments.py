"""App roles assigned to customers and groups (Entra's Enterprise applications → Users and
groups): the writes and the reads, in the current tenant's schema.

Only a role whose allowed member types include users (`AppRole.assignable_to_users`) can be
assigned; each (role, customer) and (role, group) pair exists once, which the table's partial
unique indexes hold. Like the other services, none records an audit entry: the caller does.
Messages are in English: only operators read them.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import CustomerGroup, CustomerGroupMembership, User
from apps.models import USER_ASSIGNABLE, AppRegistration, AppRole, AppRoleAssignment


def _principal(user: User | None, group: CustomerGroup | None) -> Q:
    if (user is None) == (group is None):
        raise ValidationError("Assign the role to one customer or one group.")
    return Q(user=user) if user is not None else Q(group=group)


def app_role_assign(
    *, role: AppRole, user: User | None = None, group: CustomerGroup | None = None
) -> AppRoleAssignment:
    """Assign the role to one customer or one group (ValidationError otherwise): the role must
    be for users, the customer not deleted, and the pair not assigned already."""
    _principal(user, group)
    if not role.assignable_to_users:
        raise ValidationError({"role": "This role is for applications only."})
    if user is not None and user.deleted_at is not None:
        raise ValidationError({"user": "This customer is deleted."})
    try:
        with transaction.atomic():
            return AppRoleAssignment.objects.create(role=role, user=user, group=group)
    except IntegrityError as error:
        raise ValidationError("The role is already assigned to them.") from error


def app_role_unassign(
    *, role: AppRole, user: User | None = None, group: CustomerGroup | None = None
) -> bool:
    """Remove the role from the customer or group; False when it was not assigned."""
    removed, _by_model = AppRoleAssignment.objects.filter(
        _principal(user, group), role=role
    ).delete()
    return removed > 0


def app_role_assignments(*, app: AppRegistration) -> list[AppRoleAssignment]:
    """Every assignment of the app's roles, newest first, with the role and whom it names."""
    return list(
        AppRoleAssignment.objects.filter(role__app=app)
        .select_related("role", "user", "group")
        .order_by("-created_at", "-id")
    )


def app_role_assignment_get(
    *, app: AppRegistration, assignment_id: str
) -> AppRoleAssignment | None:
    assignment: AppRoleAssignment | None = (
        AppRoleAssignment.objects.filter(role__app=app, assignment_id=assignment_id)
        .select_related("role", "user", "group")
        .first()
    )
    return assignment


def user_assignable_roles(*, app: AppRegistration) -> list[AppRole]:
    """The app's roles that customers and groups may be given."""
    return list(
        AppRole.objects.filter(app=app, allowed_member_types__in=USER_ASSIGNABLE).order_by(
            "display_name"
        )
    )


@dataclass(frozen=True)
class CustomerRole:
    """One role a customer holds, and through which group (None: assigned to them)."""

    app: AppRegistration
    role: AppRole
    through: CustomerGroup | None


def roles_of_customer(*, user: User) -> list[CustomerRole]:
    """Every app role the customer holds, directly or through a group (the customer's page)."""
    their_groups = CustomerGroupMembership.objects.filter(user=user).values("group_id")
    rows = (
        AppRoleAssignment.objects.filter(Q(user=user) | Q(group_id__in=their_groups))
        .select_related("role__app", "group")
        .order_by("role__app__name", "role__value", "id")
    )
    return [CustomerRole(app=row.role.app, role=row.role, through=row.group) for row in rows]
