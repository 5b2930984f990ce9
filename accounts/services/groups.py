"""Writes about groups of customers (Entra's security groups), in the current tenant's schema.

As the customer services, each runs in the caller's `in_tenant` block and returns what the
caller's audit entry needs; none records one. A group's name is unique ignoring case, so an
admin who types "Gold members" twice gets an error rather than two groups tokens cannot tell
apart by name. Messages are in English: they reach operators only (the admin center, the
management API), never customers.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import CustomerGroup, CustomerGroupMembership, User

GROUP_NAME_MAX_LENGTH = 256
GROUP_DESCRIPTION_MAX_LENGTH = 1024


class GroupMemberDeleted(Exception):
    """A deleted customer cannot join a group: restore it first."""


def _group_values(display_name: str, description: str) -> tuple[str, str]:
    name = display_name.strip()
    if not name:
        raise ValidationError({"display_name": "Enter a display name."})
    if len(name) > GROUP_NAME_MAX_LENGTH:
        raise ValidationError({"display_name": f"At most {GROUP_NAME_MAX_LENGTH} characters."})
    text = description.strip()
    if len(text) > GROUP_DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {"description": f"At most {GROUP_DESCRIPTION_MAX_LENGTH} characters."}
        )
    return name, text


def _name_taken() -> ValidationError:
    return ValidationError({"display_name": "A group of this name already exists."})


def group_create(*, display_name: str, description: str = "") -> CustomerGroup:
    """A new group without members. The name (stripped, at most 256 characters) must differ,
    ignoring case, from every other group's; the unique index decides a race."""
    name, text = _group_values(display_name, description)
    try:
        with transaction.atomic():
            return CustomerGroup.objects.create(display_name=name, description=text)
    except IntegrityError as error:
        raise _name_taken() from error


def group_update(*, group: CustomerGroup, display_name: str, description: str) -> CustomerGroup:
    """Rename and describe the group, under the rules of `group_create`; its object ID, members
    and role assignments stay."""
    name, text = _group_values(display_name, description)
    group.display_name, group.description = name, text
    try:
        with transaction.atomic():
            group.save(update_fields=["display_name", "description"])
    except IntegrityError as error:
        group.refresh_from_db(fields=["display_name", "description"])
        raise _name_taken() from error
    return group


def group_delete(*, group: CustomerGroup) -> None:
    """Delete the group with its memberships and its app role assignments (one transaction):
    its members' next tokens no longer carry its roles nor its ID."""
    group.delete()


def group_member_add(*, group: CustomerGroup, user: User) -> bool:
    """Make the customer a member; False when they already were (nothing changes). A deleted
    customer raises GroupMemberDeleted."""
    if user.deleted_at is not None:
        raise GroupMemberDeleted
    _membership, created = CustomerGroupMembership.objects.get_or_create(group=group, user=user)
    return created


def group_member_remove(*, group: CustomerGroup, user: User) -> bool:
    """End the customer's membership; False when they were no member."""
    removed, _by_model = CustomerGroupMembership.objects.filter(group=group, user=user).delete()
    return removed > 0
