"""Access tokens as signed JWTs (RFC 9068), so resource servers validate them offline."""

import time
import uuid
from typing import Any

import jwt

from apps import lookups, selectors
from apps.models import AppRegistration
from apps.oidc.claims import (
    configured_claims,
    custom_provider_claims,
    pairwise_subject,
    sign_in_strength_claims,
    token_directory_claims,
)
from apps.signing import active_signing_key
from tenants.current import current_tenant
from tenants.models import Tenant
from tenants.selectors import tenant_issuer


def _common_claims(tenant: Tenant, client: AppRegistration) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": tenant_issuer(tenant),
        "iat": now,
        "nbf": now,
        "exp": now + lookups.token_settings().access_token_minutes * 60,
        "jti": uuid.uuid4().hex,
        "client_id": client.client_id,
        "azp": client.client_id,
        "tid": str(tenant.tenant_id),
        "ver": "2.0",
    }


def app_token_claims(
    *, client: AppRegistration, resource: AppRegistration, roles: list[str]
) -> dict[str, object]:
    """An app-only token (client credentials): the API as `aud`, the granted app roles as
    `roles`, and the client app itself as subject (RFC 9068 §2.2, Entra's `idtyp: app`)."""
    claims = _common_claims(current_tenant(), client)
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


def access_token_claims(request: Any) -> dict[str, object]:
    """The claims of an access token for this oauthlib request (RFC 9068 §2.2).

    Delegated tokens name the API (`aud`) and the granted scopes (`scp`), how the customer
    signed in (`amr`, `acr`: an API may demand two factors, RFC 9068 §2.2.3.1), the API's app
    roles the customer holds and the groups its groups claim names (`roles`, `groups`), plus
    the attributes the app chose for access tokens.
    """
    client = request.client
    if request.grant_type == "client_credentials":
        resource = getattr(request, "ciam_resource", None) or selectors.resource_for_default_scope(
            request.scopes
        )
        if resource is None:
            raise ValueError("scopes were validated before a token is generated")
        roles = getattr(request, "ciam_roles", None)
        if roles is None:
            roles = selectors.granted_roles(client=client, resource=resource)
        return app_token_claims(client=client, resource=resource, roles=roles)
    tenant = current_tenant()
    grant = lookups.delegated_grant(client, list(request.scopes))
    if grant is None:
        raise ValueError("scopes were validated before a token is generated")
    claims = _common_claims(tenant, client)
    claims.update(
        {
            "aud": grant.resource.client_id if grant.resource else client.client_id,
            "sub": pairwise_subject(tenant=tenant, client=client, user=request.user),
            "oid": str(request.user.object_id),
            "scp": " ".join(grant.api_scopes or grant.oidc_scopes),
            **sign_in_strength_claims(getattr(request, "ciam_sign_in_methods", "")),
        }
    )
    claims.update(token_directory_claims(request, token="access"))
    configured = configured_claims(user=request.user, client=client, token="access")
    claims.update({name: value for name, value in configured.items() if name not in claims})
    provided = getattr(request, "ciam_custom_claims", None) or {}
    custom = custom_provider_claims(client=client, provided=provided, token="access")
    claims.update({name: value for name, value in custom.items() if name not in claims})
    return claims


def signed_access_token(claims: dict[str, object]) -> str:
    """Sign the claims with the tenant's active key: RS256, `typ: at+jwt` (RFC 9068 §2.1).

    PyJWT signs with the `cryptography` key directly; on the token endpoint it costs little more
    than the RSA operation itself.
    """
    kid, private_key = active_signing_key()
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"typ": "at+jwt", "kid": kid})


def access_token_generator(request: Any, refresh_token: bool = False) -> str:
    """DOT's ACCESS_TOKEN_GENERATOR."""
    return signed_access_token(access_token_claims(request))
