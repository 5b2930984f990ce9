"""Per-process memory of the protocol's hot lookups, per tenant, for a few seconds.

The token endpoint reads the same client, secrets, permissions and settings on every request;
remembering them briefly takes the database off that path. A change made in the admin center
reaches every node within LOOKUP_SECONDS (the node that made it may answer from memory that
long too), the same promise tenant routing makes. Secret expiry is still checked on every use.
"""

import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.conf import settings

from apps.models import AppRegistration, ClientSecret, TokenSettings
from tenants.schemas import current_schema_name

T = TypeVar("T")
_MAX_ENTRIES = 20_000
_memory: dict[tuple[str, str, str], tuple[float, object]] = {}


def _remembered(kind: str, key: str, load: Callable[[], T]) -> T:
    ttl = settings.CIAM_LOOKUP_SECONDS
    if ttl <= 0:
        return load()
    entry_key = (current_schema_name(), kind, key)
    now = time.monotonic()
    entry = _memory.get(entry_key)
    if entry is not None and entry[0] > now:
        return entry[1]  # type: ignore[return-value]
    value = load()
    if len(_memory) >= _MAX_ENTRIES:
        _memory.clear()
    _memory[entry_key] = (now + ttl, value)
    return value


def forget_all() -> None:
    """Forget everything this process remembers (tests; after bulk changes)."""
    _memory.clear()


def client(client_id: str) -> AppRegistration | None:
    if not client_id or len(client_id) > 100:
        return None

    def load() -> AppRegistration | None:
        app: AppRegistration | None = AppRegistration.objects.filter(client_id=client_id).first()
        return app

    return _remembered("client", client_id, load)


def secret_digests(app: AppRegistration) -> list[tuple[str, datetime]]:
    return _remembered(
        "secrets",
        str(app.pk),
        lambda: list(ClientSecret.objects.filter(app=app).values_list("digest", "expires_at")),
    )


def token_settings() -> TokenSettings:
    def load() -> TokenSettings:
        row, _created = TokenSettings.objects.get_or_create(singleton=True)
        return row

    return _remembered("token-settings", "", load)


def client_credentials_grant(
    app: AppRegistration, scope: str
) -> tuple[AppRegistration, list[str]] | None:
    """The API a `<application ID URI>/.default` scope names, and the roles granted to `app`."""
    from apps import selectors

    def load() -> tuple[AppRegistration, list[str]] | None:
        resource = selectors.resource_for_default_scope([scope])
        if resource is None:
            return None
        return resource, selectors.granted_roles(client=app, resource=resource)

    return _remembered("cc-grant", f"{app.pk}:{scope}", load)
