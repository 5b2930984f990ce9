"""Ending what a tenant issued to a customer: every token and code, when the customer's
credentials are revoked (accounts' `customer_credentials_revoked` signal, connected in
AppRegistrationsConfig.ready), or what one browser session signed in to, when it signs out
(RP-initiated logout)."""

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


def session_tokens_revoke(*, session_id: str) -> TokensRevoked:
    """In the current tenant's schema and one transaction, end what one browser session signed
    in to (apps/oidc/sessions.py): revoke its live refresh tokens, delete its access tokens and
    their ID tokens, and its codes not yet redeemed (a redeemed one stays, so that its replay
    is still detected). Nothing of any other session is touched."""
    if not session_id:
        return TokensRevoked()
    with transaction.atomic():
        access = AccessToken.objects.filter(session_id=session_id)
        id_tokens = list(access.exclude(id_token=None).values_list("id_token", flat=True))
        refresh_tokens = list(
            RefreshToken.objects.filter(session_id=session_id, revoked__isnull=True)
        )
        for refresh_token in refresh_tokens:
            refresh_token.revoke()  # and its access token
        access_tokens, _details = access.delete()
        IDToken.objects.filter(pk__in=id_tokens).delete()
        Grant.objects.filter(session_id=session_id, used_at__isnull=True).delete()
    return TokensRevoked(refresh_tokens=len(refresh_tokens), access_tokens=access_tokens)
