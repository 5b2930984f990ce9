"""The client credentials grant (RFC 6749 §4.4) on a lean path.

The busiest call of a CIAM: daemons fetch app tokens constantly. This path reads nothing from
the database once its lookups are remembered (apps/lookups.py), stores nothing (the token is a
self-contained, signed JWT that expires within the hour), and answers exactly as the RFC says:
errors per §5.2, 401 with a Basic challenge for a client that authenticated with Basic.
Assertions (private_key_jwt) take DOT's full path.
"""

from django.http import HttpRequest, JsonResponse

from apps import lookups
from apps.models import AppRegistration
from apps.oidc.client_auth import client_secret_matches, secret_credentials
from apps.oidc.tokens import app_token_claims, signed_access_token
from tenants.current import current_tenant
from tenants.selectors import tenant_issuer

_ALLOWED_PARAMS = frozenset({"grant_type", "scope", "client_id", "client_secret"})


def _error(status: int, error: str, description: str, *, basic: bool = False) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    if basic:
        issuer = tenant_issuer(current_tenant())
        response["WWW-Authenticate"] = f'Basic realm="{issuer}", error="invalid_client"'
    return response


def client_credentials_token(request: HttpRequest) -> JsonResponse:
    params = request.POST
    if any(len(params.getlist(name)) > 1 for name in params):
        return _error(400, "invalid_request", "A parameter is repeated.")  # §3.2
    authorization = request.META.get("HTTP_AUTHORIZATION")
    credentials = secret_credentials(
        authorization, params.get("client_id"), params.get("client_secret")
    )
    basic = bool(authorization)
    app: AppRegistration | None = lookups.client(credentials[0]) if credentials else None
    if (
        credentials is None
        or app is None
        or app.is_public
        or not client_secret_matches(app=app, secret=credentials[1])
    ):
        return _error(401, "invalid_client", "Client authentication failed.", basic=basic)
    if not app.allows_grant_type(AppRegistration.GRANT_CLIENT_CREDENTIALS):
        return _error(400, "unauthorized_client", "This app may not use client credentials.")
    scope = params.get("scope", "").strip()
    grant = lookups.client_credentials_grant(app, scope) if " " not in scope else None
    if grant is None:
        return _error(
            400, "invalid_scope", "Ask for one API's scope as <application ID URI>/.default."
        )
    resource, roles = grant
    claims = app_token_claims(client=app, resource=resource, roles=roles)
    return JsonResponse(
        {
            "access_token": signed_access_token(claims),
            "token_type": "Bearer",
            "expires_in": int(claims["exp"]) - int(claims["iat"]),  # type: ignore[call-overload]
            "scope": scope,
        }
    )


def is_lean_client_credentials(request: HttpRequest) -> bool:
    """Secret-authenticated client credentials requests with nothing unexpected in them."""
    params = request.POST
    return params.get("grant_type") == "client_credentials" and set(params) <= _ALLOWED_PARAMS
