"""The tenant's signing keys: generation, encryption at rest, lookup for signing and JWKS.

Keys are RSA 2048 / RS256 (DESIGN.md decision 6); `kid` is the RFC 7638 thumbprint, which is
also what django-oauth-toolkit writes into ID token headers.
"""

from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from jwcrypto import jwk

from apps.models import KeyStatus, SigningKey
from tenants.memory import MISSING, BoundedDict, TenantMemory
from tenants.schemas import current_schema_name
from tenants.secrets import secret_decrypt, secret_encrypt

PUBLISHED_STATUSES = (KeyStatus.NEXT, KeyStatus.ACTIVE, KeyStatus.RETIRING)

_TENANTS = int(getattr(settings, "CIAM_MEMORY_TENANTS", 20_000))
# Decrypted keys by (schema, kid): decrypting and parsing a PEM costs far more than signing. A
# kid is the key's own thumbprint, so an entry never goes stale; it is only bounded.
_private_keys: dict[tuple[str, str], jwk.JWK] = BoundedDict(_TENANTS)
# The active kid per schema, remembered until the change feed names the tenant (a rotation
# writes its keys), so signing needs no query. A node may sign up to CIAM_LOOKUP_SECONDS longer
# with a key another node just retired to `retiring`: that key still verifies.
_active_kids = TenantMemory(lambda: settings.CIAM_LOOKUP_SECONDS)
# Per schema, the active key as a `cryptography` object with its kid, for signing access tokens
# (kept while the active key is the same object).
_pyca_keys: dict[str, tuple[jwk.JWK, str, RSAPrivateKey]] = BoundedDict(_TENANTS)


def signing_key_generate(*, status: KeyStatus) -> SigningKey:
    """Create a new RSA 2048 key in the current tenant's schema, its private half encrypted."""
    key = jwk.JWK.generate(kty="RSA", size=2048)
    kid = key.thumbprint()
    public = key.export_public(as_dict=True)
    public.update({"kid": kid, "use": "sig", "alg": "RS256"})
    pem = key.export_to_pem(private_key=True, password=None)
    now = timezone.now()
    return SigningKey.objects.create(
        kid=kid,
        status=status,
        public_jwk=public,
        private_key_encrypted=secret_encrypt(pem),
        activated_at=now if status == KeyStatus.ACTIVE else None,
    )


def signing_keys_provision() -> None:
    """Give a new tenant an active key and the next one, already published."""
    signing_key_generate(status=KeyStatus.ACTIVE)
    signing_key_generate(status=KeyStatus.NEXT)


def signing_key_rotate() -> SigningKey:
    """Rotate the current tenant's keys: active → retiring, next → active, and a new next.

    The next key has been in the JWKS since it was made, so relying parties that cache the JWKS
    already know the key that signs from now on.
    """
    now = timezone.now()
    with transaction.atomic():
        keys = {
            k.status: k
            for k in SigningKey.objects.select_for_update().filter(
                status__in=[KeyStatus.NEXT, KeyStatus.ACTIVE]
            )
        }
        if KeyStatus.ACTIVE in keys:
            SigningKey.objects.filter(pk=keys[KeyStatus.ACTIVE].pk).update(
                status=KeyStatus.RETIRING, retiring_at=now
            )
        if KeyStatus.NEXT in keys:
            SigningKey.objects.filter(pk=keys[KeyStatus.NEXT].pk).update(
                status=KeyStatus.ACTIVE, activated_at=now
            )
            active = SigningKey.objects.get(pk=keys[KeyStatus.NEXT].pk)
        else:
            active = signing_key_generate(status=KeyStatus.ACTIVE)
        signing_key_generate(status=KeyStatus.NEXT)
    _active_kids.forget(current_schema_name())
    return active


def signing_keys_retire_due(*, now: datetime | None = None) -> int:
    """Retire keys that have been retiring long enough; they leave the JWKS."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CIAM_SIGNING_KEY_RETIRE_AFTER_HOURS)
    return SigningKey.objects.filter(status=KeyStatus.RETIRING, retiring_at__lte=cutoff).update(
        status=KeyStatus.RETIRED, retired_at=now, private_key_encrypted=""
    )


def _load_private(schema: str, key: SigningKey) -> jwk.JWK:
    cached = _private_keys.get((schema, key.kid))
    if cached is None:
        pem = secret_decrypt(key.private_key_encrypted)
        cached = jwk.JWK()
        # RSA's consistency checks (its primes and exponents) cost about 40 ms per load, twice
        # (the PEM, then the numbers jwcrypto keeps): a worker serving thousands of tenants loads
        # keys all the time. They guard against a key of unknown origin; ours were generated
        # here and come out of authenticated encryption (tenants/secrets.py), whole or not at all.
        cached.unsafe_skip_rsa_key_validation = True
        cached.import_from_pem(pem)
        _private_keys[(schema, key.kid)] = cached
    return cached


def active_signing_jwk() -> jwk.JWK:
    """The current tenant's active private key, as a jwcrypto JWK."""
    schema = current_schema_name()
    kid = _active_kids.get(schema, "active")
    if kid is not MISSING:
        cached = _private_keys.get((schema, kid))
        if cached is not None:
            return cached
    key = SigningKey.objects.get(status=KeyStatus.ACTIVE)
    _active_kids.put(schema, "active", key.kid)
    return _load_private(schema, key)


def active_signing_key() -> tuple[str, RSAPrivateKey]:
    """The current tenant's active key as (kid, `cryptography` private key) for PyJWT."""
    key = active_signing_jwk()
    schema = current_schema_name()
    cached = _pyca_keys.get(schema)
    if cached is None or cached[0] is not key:
        cached = (key, key.thumbprint(), key.get_op_key("sign"))
        _pyca_keys[schema] = cached
    return cached[1], cached[2]


def verification_jwk(kid: str) -> jwk.JWK | None:
    """The public key with this kid, if the tenant still publishes it (not retired).

    A kid comes from a token's unverified header: one with a NUL byte names no key (and
    PostgreSQL text cannot hold it).
    """
    if "\x00" in kid:
        return None
    key = SigningKey.objects.filter(kid=kid, status__in=PUBLISHED_STATUSES).first()
    return jwk.JWK(**key.public_jwk) if key else None


def published_jwks() -> dict[str, list[dict[str, str]]]:
    """The JWKS document: next, active and retiring public keys (RFC 7517 §5)."""
    keys = SigningKey.objects.filter(status__in=PUBLISHED_STATUSES).order_by("created_at")
    return {"keys": [dict(key.public_jwk) for key in keys]}
