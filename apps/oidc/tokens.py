"""Access tokens as signed JWTs (RFC 9068), so resource servers validate them offline."""

import json
import time
import uuid
from typing import Any

from jwcrypto import jwt

from apps import selectors
from apps.oidc.claims import configured_claims, pairwise_subject
from apps.signing import active_signing_jwk
from tenants.current import current_tenant
from tenants.selectors import tenant_issuer


def access_token_claims(request: Any) -> dict[str, object]:
    """The claims of an access token for this oauthlib request (RFC 9068 §2.2).

    Delegated tokens name the API (`aud`) and the granted scopes (`scp`); client-credentials
    tokens name the API and the app roles granted to the client (`roles`).
    """
    tenant = current_tenant()
    client = request.client
    now = int(time.time())
    lifetime = selectors.token_settings().access_token_minutes * 60
    claims: dict[str, object] = {
        "iss": tenant_issuer(tenant),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        "client_id": client.client_id,
        "azp": client.client_id,
        "tid": str(tenant.tenant_id),
        "ver": "2.0",
    }
    if request.grant_type == "client_credentials":
        resource = getattr(request, "ciam_resource", None) or selectors.resource_for_default_scope(
            request.scopes
        )
        if resource is None:
            raise ValueError("scopes were validated before a token is generated")
        roles = getattr(request, "ciam_roles", None)
        if roles is None:
            roles = selectors.granted_roles(client=client, resource=resource)
        claims.update(
            {
                "aud": resource.client_id,
                "sub": str(client.object_id),
                "oid": str(client.object_id),
                "idtyp": "app",
                "roles": roles,
            }
        )
        return claims
    grant = selectors.granted_delegated(client=client, scopes=list(request.scopes))
    if grant is None:
        raise ValueError("scopes were validated before a token is generated")
    claims.update(
        {
            "aud": grant.resource.client_id if grant.resource else client.client_id,
            "sub": pairwise_subject(tenant=tenant, client=client, user=request.user),
            "oid": str(request.user.object_id),
            "scp": " ".join(grant.api_scopes or grant.oidc_scopes),
        }
    )
    configured = configured_claims(user=request.user, client=client, token="access")
    claims.update({name: value for name, value in configured.items() if name not in claims})
    return claims


def access_token_generator(request: Any, refresh_token: bool = False) -> str:
    """DOT's ACCESS_TOKEN_GENERATOR: an RS256 JWT with `typ: at+jwt`, signed by the tenant."""
    key = active_signing_jwk()
    token = jwt.JWT(
        header=json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": key.thumbprint()}),
        claims=json.dumps(access_token_claims(request)),
    )
    token.make_signed_token(key)
    return str(token.serialize())
