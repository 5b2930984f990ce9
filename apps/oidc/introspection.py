"""What introspection says about a token, and to whom (RFC 7662 §2.2)."""

import hashlib
import json
import time

from jwcrypto import jws
from jwcrypto.common import JWException

from apps.models import AccessToken, AppRegistration, RefreshToken
from apps.signing import verification_jwk

INACTIVE: dict[str, object] = {"active": False}


def _verified_claims(token: str) -> dict[str, object] | None:
    """The claims of a JWT this tenant signed with a published key, else None."""
    try:
        parsed = jws.JWS()
        parsed.deserialize(token)
        kid = parsed.jose_header.get("kid")
        key = verification_jwk(kid) if isinstance(kid, str) else None
        if key is None or parsed.jose_header.get("alg") != "RS256":
            return None
        parsed.verify(key, alg="RS256")
        claims = json.loads(parsed.payload)
    except (JWException, ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


def introspection_of(token: str, client: AppRegistration) -> dict[str, object]:
    """Introspect an access or refresh token on behalf of `client`."""
    if len(token) > 8192:
        return INACTIVE
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    access = (
        AccessToken.objects.select_related("application").filter(token_checksum=checksum).first()
    )
    if access is not None:
        claims = _verified_claims(token) or {}
        allowed = access.application_id == client.pk or claims.get("aud") == client.client_id
        if not allowed or not access.is_valid():
            return INACTIVE
        return {
            "active": True,
            "token_type": "Bearer",
            "scope": access.scope,
            "client_id": access.application.client_id if access.application else None,
            "exp": int(access.expires.timestamp()),
            **{
                k: claims[k]
                for k in ("iat", "nbf", "sub", "aud", "iss", "jti", "tid", "oid")
                if k in claims
            },
        }
    app_claims = _verified_claims(token)
    if app_claims is not None and app_claims.get("idtyp") == "app":
        claims = app_claims
        # A self-contained app token (client credentials) is not stored: its signature and
        # expiry are the whole truth about it. A user's token without a row was revoked.
        exp = claims.get("exp")
        allowed = client.client_id in (claims.get("aud"), claims.get("client_id"))
        if not allowed or not isinstance(exp, int) or exp <= time.time():
            return INACTIVE
        return {
            "active": True,
            "token_type": "Bearer",
            **{
                k: claims[k]
                for k in (
                    "scope",
                    "client_id",
                    "exp",
                    "iat",
                    "nbf",
                    "sub",
                    "aud",
                    "iss",
                    "jti",
                    "tid",
                    "oid",
                    "roles",
                )
                if k in claims
            },
        }
    refresh = (
        RefreshToken.objects.filter(token_checksum=checksum, revoked__isnull=True)
        .select_related("application")
        .first()
    )
    if refresh is None or refresh.application_id != client.pk:
        return INACTIVE
    return {
        "active": True,
        "token_type": "refresh_token",
        "client_id": client.client_id,
        "iat": int(refresh.created.timestamp()),
        "scope": refresh.access_token.scope if refresh.access_token else "",
    }
