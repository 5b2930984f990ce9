"""Client authentication (RFC 6749 §2.3): reading and checking secrets (§2.3.1), and spending
the single-use `jti` of a client assertion (RFC 7523 §3)."""

import base64
import binascii
import hmac
from datetime import datetime
from urllib.parse import unquote_plus

from django.db import connection
from django.utils import timezone

from apps import lookups
from apps.models import AppRegistration, ClientSecret, SpentClientAssertion


def secret_credentials(
    authorization: str | None, client_id: str | None, client_secret: str | None
) -> tuple[str, str] | None:
    """(client_id, secret) from an HTTP Basic header or the body, or None.

    One method per request (§2.3): a Basic header with a body secret, or a body client_id that
    contradicts the header, is refused. Basic credentials are form-encoded (§2.3.1).
    """
    if authorization:
        if client_secret is not None:
            return None
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        header_id, sep, secret = decoded.partition(":")
        if not sep:
            return None
        header_id, secret = unquote_plus(header_id), unquote_plus(secret)
        if "\x00" in header_id or "\x00" in secret:
            return None  # no client ID or secret holds NUL (and PostgreSQL text cannot)
        if client_id is not None and client_id != header_id:
            return None
        return header_id, secret
    if client_id and client_secret:
        return client_id, client_secret
    return None


def several_authentication_methods(
    *, authorization: str | None, client_secret: str | None, client_assertion: str | None
) -> bool:
    """True when a request authenticates its client more than one way: an Authorization header
    (of any scheme), a secret in the body, an assertion (RFC 7523). RFC 6749 §2.3 forbids it,
    and §5.2 answers it with `invalid_request`, not `invalid_client`."""
    methods = (bool(authorization), client_secret is not None, client_assertion is not None)
    return sum(methods) > 1


def client_secret_matches(*, app: AppRegistration, secret: str) -> bool:
    """True when `secret` is one of the app's unexpired secrets.

    Every candidate is compared in constant time, and all of them are compared, so timing does
    not tell which secret (if any) came close.
    """
    if not secret or len(secret) > 512:
        return False
    digest = ClientSecret.digest_of(secret)
    now = timezone.now()
    matched = False
    for stored, expires_at in lookups.secret_digests(app):
        matched |= hmac.compare_digest(stored, digest) and expires_at > now
    return matched


def client_assertion_spend(*, client_id: str, jti: str, expires_at: datetime) -> bool:
    """Record that the client's assertion `jti` was used; True only for its first use while a
    row for it lives (RFC 7523 §3 item 7: the server may refuse a replayed `jti`).

    One INSERT on the unique (client ID, jti) key in the tenant's schema: of any number of
    requests presenting one assertion, on any process of any node, at once or apart, exactly
    one gets True. The row lives until `expires_at` (after the assertion's own expiry, so a
    refused replay is never accepted later); an expired row may be taken over by a new
    assertion with the same `jti`, the old one being past use. Expired rows are removed by the
    token housekeeping.
    """
    table = connection.ops.quote_name(SpentClientAssertion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS spent (client_id, jti, expires_at) "  # noqa: S608 - a name
            "VALUES (%s, %s, %s) "
            "ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at "
            "WHERE spent.expires_at <= statement_timestamp() "
            "RETURNING 1",
            [client_id, jti, expires_at],
        )
        return cursor.fetchone() is not None
