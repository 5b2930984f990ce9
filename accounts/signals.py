"""What accounts announces to the floors above it, which it never imports (DESIGN.md, Walls).

The apps that issue something on the strength of a customer's credentials (tokens, codes)
connect to these signals in their AppConfig.ready and end it when told.
"""

from dataclasses import dataclass

from django.dispatch import Signal

customer_credentials_revoked = Signal()
"""Every credential the customer held until now ends: an admin reset their password, blocked,
deleted or signed them out everywhere, or they reset or changed their own password.

Sent with `customer` (the account), in the customer's tenant schema and inside the transaction
of the change, so that what the receivers end, ends with it or not at all. Each receiver ends
what it issued to the customer and returns a `TokensRevoked`.
"""


@dataclass(frozen=True)
class TokensRevoked:
    """What one receiver of `customer_credentials_revoked` ended."""

    refresh_tokens: int = 0
    access_tokens: int = 0
