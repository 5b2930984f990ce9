"""Writes about accounts: one module per concern, re-exported here."""

from accounts.services.attributes import (
    CustomAttributeLimitReached,
    custom_attribute_create,
    custom_attribute_update,
    custom_value_clean,
    customer_profile_update,
)
from accounts.services.operators import operator_create, password_change_done

__all__ = [
    "CustomAttributeLimitReached",
    "custom_attribute_create",
    "custom_attribute_update",
    "custom_value_clean",
    "customer_profile_update",
    "operator_create",
    "password_change_done",
]
