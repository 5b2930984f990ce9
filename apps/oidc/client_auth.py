"""Client authentication by secret (RFC 6749 §2.3.1): reading the credentials, checking them."""

import base64
import binascii
import hmac
from urllib.parse import unquote_plus

from django.utils import timezone

from apps import lookups
from apps.models import AppRegistration, ClientSecret


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
