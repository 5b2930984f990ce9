"""Ending what a tenant issued to a customer: every token and code, when the customer's
credentials are revoked (accounts' `customer_credentials_revoked` signal, connected in
AppRegistrationsConfig.ready)."""

from typing import Any

from django.db import transaction

from accounts.models import User
from accounts.signals import TokensRevoked
from apps.models import AccessToken, Grant, IDToken, RefreshToken


def customer_tokens_revoke(*, customer: User) -> TokensRevoked:
    """In the current tenant's schema and one transaction: revoke each of the customer's live
    refresh tokens (RFC 7009: it can no longer be exchanged; its family stays, so a replay is
    still detected), and delete their access tokens, ID tokens and authorization codes."""
    with transaction.atomic():
        refresh_tokens = list(RefreshToken.objects.filter(user=customer, revoked__isnull=True))
        for refresh_token in refresh_tokens:
            refresh_token.revoke()
        access_tokens, _details = AccessToken.objects.filter(user=customer).delete()
        IDToken.objects.filter(user=customer).delete()
        Grant.objects.filter(user=customer).delete()
    return TokensRevoked(refresh_tokens=len(refresh_tokens), access_tokens=access_tokens)


def on_customer_credentials_revoked(
    sender: object, *, customer: User, **kwargs: Any
) -> TokensRevoked:
    return customer_tokens_revoke(customer=customer)
