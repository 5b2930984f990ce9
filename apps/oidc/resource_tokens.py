"""An access token presented to an API of this tenant, checked as a resource server must
(RFC 9068 §4; RFC 6750 §3.1): ours, for this API, app-only, and still granted.

The management API (management/authentication.py) is the one caller: the tenant's own tokens
are verified with its published keys, remembered per process with the other hot lookups.
"""

import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from apps import lookups
from apps.signing import verification_jwk
from tenants.current import current_tenant
from tenants.selectors import tenant_issuer

_MAX_TOKEN = 8192
# Clock skew a resource server allows between the token's issuer and itself.
_LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class AppCaller:
    """An app calling with an app-only token: who it is and the roles it holds now."""

    client_id: str
    name: str
    roles: frozenset[str]


def _public_key(kid: str) -> RSAPublicKey | None:
    def load() -> RSAPublicKey | None:
        key = verification_jwk(kid)
        if key is None:
            return None
        public = key.get_op_key("verify")
        return public if isinstance(public, RSAPublicKey) else None

    return lookups.remembered("verification-key", kid, load)


def app_caller_of(token: str, *, audience: str, resource_uri: str) -> AppCaller | None:
    """The calling app of an app-only access token (client credentials) for the API whose
    client ID is `audience`, or None for anything else: not a JWT, not signed by a key this
    tenant publishes (another tenant's token included), another issuer or audience, `typ` other
    than `at+jwt` (RFC 9068 §4 item 1), expired or not yet valid, a customer's (delegated)
    token, or an app since deleted.

    `roles` is what the token says and an admin still consents to (`resource_uri` names the
    API's `.default` grant, read as the token endpoint reads it): revoking consent counts
    within the lookups' few seconds, not at the token's expiry.
    """
    if not token or len(token) > _MAX_TOKEN:
        return None
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return None
    kid = header.get("kid")
    if header.get("alg") != "RS256" or header.get("typ") != "at+jwt" or not isinstance(kid, str):
        return None
    key = _public_key(kid)
    if key is None:
        return None
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=audience,
            issuer=tenant_issuer(current_tenant()),
            leeway=_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except (jwt.PyJWTError, ValueError):
        return None
    if claims.get("idtyp") != "app" or claims.get("exp", 0) <= time.time() - _LEEWAY_SECONDS:
        return None
    client_id = claims.get("client_id")
    app = lookups.client(client_id) if isinstance(client_id, str) else None
    if app is None:
        return None
    granted = lookups.client_credentials_grant(app, f"{resource_uri}/.default")
    token_roles = claims.get("roles")
    if granted is None or not isinstance(token_roles, list):
        return None
    roles = frozenset(role for role in token_roles if isinstance(role, str)) & set(granted[1])
    return AppCaller(client_id=app.client_id, name=app.name, roles=roles)
