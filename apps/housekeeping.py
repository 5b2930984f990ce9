"""Tokens nobody can use any more are removed; what can still matter is kept.

Every sign-in stores an authorization code, an ID token, an access token and a refresh token
in the tenant's schema; without this the tables only grow. Celery beat runs it hourly in every
ready tenant (`apps.tasks.tokens_clear_expired`). What stays, and why:

- a refresh token, while its family (the chain of rotated tokens since one sign-in) may still
  be used: the family's lifetime counts from its first token, so its members, revoked ones
  included, go together once it has ended — deleting the oldest first would move the start
  and lengthen the family's life, and revoked members are what lets a replayed one revoke the
  family (RFC 9700 §4.14.2);
- an access token a refresh token still points to (django-oauth-toolkit reads the scopes of a
  refresh from it); others go when they expire;
- an ID token, for as long as the sign-in it came from may be in use (the refresh lifetime):
  RP-initiated logout accepts an expired one as `id_token_hint`, found by its `jti`;
- an authorization code, for a day after it expired: a replay within that day still revokes
  what the code issued (RFC 6749 §4.1.2);
- a spent client assertion's `jti`, until the assertion expired (it cannot be replayed after).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min, Model, QuerySet
from django.utils import timezone

from apps.models import (
    AccessToken,
    Grant,
    IDToken,
    RefreshToken,
    SpentClientAssertion,
    TokenSettings,
)

_BATCH = 1_000
GRANT_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class Cleared:
    refresh_tokens: int
    access_tokens: int
    id_tokens: int
    grants: int
    client_assertions: int


def _delete_in_batches(queryset: "QuerySet[Model]") -> int:
    """Delete what the query selects, a batch of rows (with what cascades) at a time."""
    deleted = 0
    model = queryset.model
    while True:
        batch = list(queryset.values_list("pk", flat=True)[:_BATCH])
        if not batch:
            return deleted
        model._base_manager.filter(pk__in=batch).delete()
        deleted += len(batch)


def refresh_lifetime() -> timedelta:
    """The longest a sign-in may be kept up by refresh tokens in this tenant (as stored now,
    not as a node remembers it)."""
    settings = TokenSettings.objects.filter(singleton=True).first() or TokenSettings()
    return max(
        timedelta(days=settings.refresh_token_days),
        timedelta(hours=settings.spa_refresh_token_hours),
    )


def tokens_clear_expired(*, now: datetime | None = None) -> Cleared:
    """Remove, in the current tenant's schema, the tokens and codes nobody can use any more."""
    now = now or timezone.now()
    sign_in_cutoff = now - refresh_lifetime()
    ended_families = (
        RefreshToken.objects.filter(token_family__isnull=False)
        .values("token_family")
        .annotate(started=Min("created"))
        .filter(started__lt=sign_in_cutoff)
    )
    refresh_tokens = 0
    while True:
        families = [row["token_family"] for row in ended_families[:_BATCH]]
        if not families:
            break
        _total, per_model = RefreshToken.objects.filter(token_family__in=families).delete()
        refresh_tokens += per_model.get(RefreshToken._meta.label, 0)
    refresh_tokens += _delete_in_batches(
        RefreshToken.objects.filter(token_family__isnull=True, created__lt=sign_in_cutoff)
    )
    access_tokens = _delete_in_batches(
        AccessToken.objects.filter(expires__lt=now, refresh_token__isnull=True)
    )
    id_tokens = _delete_in_batches(
        IDToken.objects.filter(expires__lt=sign_in_cutoff, access_token__isnull=True)
    )
    grants = _delete_in_batches(Grant.objects.filter(expires__lt=now - GRANT_RETENTION))
    client_assertions = _delete_in_batches(SpentClientAssertion.objects.filter(expires_at__lt=now))
    return Cleared(
        refresh_tokens=refresh_tokens,
        access_tokens=access_tokens,
        id_tokens=id_tokens,
        grants=grants,
        client_assertions=client_assertions,
    )
