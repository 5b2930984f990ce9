"""Writes about operators: admin-center accounts in the public schema."""

from django.db import transaction

from accounts.models import User
from tenants.schemas import use_public_schema


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
