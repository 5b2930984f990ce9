"""Writes about accounts: one module per concern, re-exported here."""

from accounts.services.attributes import (
    CustomAttributeLimitReached,
    custom_attribute_create,
    custom_attribute_update,
    custom_value_clean,
    customer_profile_update,
)
from accounts.services.customers import (
    CUSTOMER_RESTORE_DAYS,
    CustomerDeleted,
    CustomerNotRestorable,
    Revoked,
    customer_block,
    customer_create,
    customer_delete,
    customer_password_changed,
    customer_password_reset,
    customer_restore,
    customer_sign_out_everywhere,
    customer_tokens_revoke,
    customer_unblock,
    customers_purge_due,
)
from accounts.services.operators import operator_create, password_change_done

__all__ = [
    "CUSTOMER_RESTORE_DAYS",
    "CustomAttributeLimitReached",
    "CustomerDeleted",
    "CustomerNotRestorable",
    "Revoked",
    "custom_attribute_create",
    "custom_attribute_update",
    "custom_value_clean",
    "customer_block",
    "customer_create",
    "customer_delete",
    "customer_password_changed",
    "customer_password_reset",
    "customer_profile_update",
    "customer_restore",
    "customer_sign_out_everywhere",
    "customer_tokens_revoke",
    "customer_unblock",
    "customers_purge_due",
    "operator_create",
    "password_change_done",
]
