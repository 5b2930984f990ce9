"""Per-process memory of the protocol's hot lookups, per tenant.

The token and authorization endpoints and the hosted pages read the same client (with its user
flow), secrets, consented permissions, claim choices and settings on every request; remembering
them takes the database off that path. An entry is kept until the change feed names its tenant
(tenants/changes.py): a change made in the admin center reaches every node within
CIAM_LOOKUP_SECONDS (the node that made it may answer from memory that long too), the same
promise tenant routing makes. Secret expiry is still checked on every use.
"""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.conf import settings

from accounts.models import CustomAttribute, Directory
from apps import selectors
from apps.models import (
    USER_ASSIGNABLE,
    AppClaim,
    AppCustomClaim,
    AppRegistration,
    AppRole,
    ClientSecret,
    TokenSettings,
)
from apps.selectors import DelegatedGrant
from tenants.memory import TenantMemory
from tenants.schemas import current_schema_name

T = TypeVar("T")
_memory = TenantMemory(lambda: settings.CIAM_LOOKUP_SECONDS)


def _remembered(kind: str, key: str, load: Callable[[], T]) -> T:
    return _memory.remembered(current_schema_name(), (kind, key), load)


def remembered(kind: str, key: str, load: Callable[[], T]) -> T:
    """`load()`, remembered per tenant for CIAM_LOOKUP_SECONDS under (kind, key): for the
    rooms above the protocol that read a hot row on its path (extensions' listeners)."""
    return _remembered(kind, key, load)


def forget_all() -> None:
    """Forget everything this process remembers (tests; after bulk changes)."""
    _memory.clear()


def client(client_id: str) -> AppRegistration | None:
    if not client_id or len(client_id) > 100 or "\x00" in client_id:
        return None

    def load() -> AppRegistration | None:
        app: AppRegistration | None = (
            AppRegistration.objects.select_related("user_flow").filter(client_id=client_id).first()
        )
        return app

    return _remembered("client", client_id, load)


def secret_digests(app: AppRegistration) -> list[tuple[str, datetime]]:
    return _remembered(
        "secrets",
        str(app.pk),
        lambda: list(ClientSecret.objects.filter(app=app).values_list("digest", "expires_at")),
    )


def delegated_grant(app: AppRegistration, scopes: list[str]) -> DelegatedGrant | None:
    """What an authorization request for these scopes may receive (apps.selectors)."""
    key = f"{app.pk}:{' '.join(scopes)}"
    if len(key) > 2000:  # not worth remembering, and not letting a request grow the memory
        return selectors.granted_delegated(client=app, scopes=scopes)
    return _remembered(
        "delegated", key, lambda: selectors.granted_delegated(client=app, scopes=scopes)
    )


# An app's claim choices: (built-in attribute, custom attribute name, in ID token, in access).
ClaimChoice = tuple[str, str | None, bool, bool]


def claim_choices(app: AppRegistration) -> list[ClaimChoice]:
    def load() -> list[ClaimChoice]:
        rows = AppClaim.objects.filter(app=app).select_related("custom_attribute")
        return [
            (
                row.builtin,
                row.custom_attribute.name if row.custom_attribute is not None else None,
                row.in_id_token,
                row.in_access_token,
            )
            for row in rows.order_by("pk")
        ]

    return _remembered("claims", str(app.pk), load)


# An app's custom claims provider mappings: (claim ID, JWT claim name, in ID token, in access).
CustomClaimMapping = tuple[str, str, bool, bool]


def custom_claim_mappings(app: AppRegistration) -> list[CustomClaimMapping]:
    """The app's mappings of a custom claims provider's claims (apps.models.AppCustomClaim)."""
    return _remembered(
        "custom-claims",
        str(app.pk),
        lambda: list(
            AppCustomClaim.objects.filter(app=app)
            .order_by("pk")
            .values_list("claim_id", "jwt_claim_name", "in_id_token", "in_access_token")
        ),
    )


def has_user_roles(app: AppRegistration) -> bool:
    """Whether the app defines an enabled role customers and groups may be given: without one,
    issuing its tokens reads no assignment (apps/oidc/claims.py, `directory_claims`)."""
    return _remembered(
        "user-roles",
        str(app.pk),
        lambda: AppRole.objects.filter(
            app=app, enabled=True, allowed_member_types__in=USER_ASSIGNABLE
        ).exists(),
    )


def custom_attribute_types() -> dict[str, str]:
    """Each custom attribute's data type, by name: which converter makes its claim."""
    return _remembered(
        "attribute-types",
        "",
        lambda: dict(CustomAttribute.objects.values_list("name", "data_type")),
    )


def extensions_app_id() -> uuid.UUID:
    return _remembered(
        "extensions-app-id",
        "",
        lambda: Directory.objects.get_or_create(singleton=True)[0].extensions_app_id,
    )


def all_scopes() -> dict[str, str]:
    """Every scope the tenant knows, with its description (DOT's scopes backend)."""
    return _remembered("scopes", "", selectors.scope_descriptions)


def token_settings() -> TokenSettings:
    def load() -> TokenSettings:
        row, _created = TokenSettings.objects.get_or_create(singleton=True)
        return row

    return _remembered("token-settings", "", load)


def client_credentials_grant(
    app: AppRegistration, scope: str
) -> tuple[AppRegistration, list[str]] | None:
    """The API a `<application ID URI>/.default` scope names, and the roles granted to `app`."""

    def load() -> tuple[AppRegistration, list[str]] | None:
        resource = selectors.resource_for_default_scope([scope])
        if resource is None:
            return None
        return resource, selectors.granted_roles(client=app, resource=resource)

    return _remembered("cc-grant", f"{app.pk}:{scope}", load)


def redirect_uri_platforms(app: AppRegistration) -> dict[str, str]:
    """Each redirect URI of the app with its platform (apps.selectors)."""
    return _remembered(
        "redirect-platforms", str(app.pk), lambda: selectors.redirect_uri_platforms(app)
    )


def spa_origins(app: AppRegistration) -> frozenset[str]:
    """The origins of the app's single-page redirect URIs (apps.selectors, CORS)."""
    return _remembered("spa-origins", str(app.pk), lambda: selectors.spa_origins(app))
