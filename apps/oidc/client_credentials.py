"""The client credentials grant (RFC 6749 §4.4) on a lean path.

The busiest call of a CIAM: daemons fetch app tokens constantly. This path reads nothing from
the database once its lookups are remembered (apps/lookups.py), stores nothing (the token is a
self-contained, signed JWT that expires within the hour) but the tenant's request counts (one
round trip to the shared cache: protection/limits.py, a 429 beyond them), and answers exactly
as the RFC says: errors per §5.2, 401 with a Basic challenge for a client that failed to
authenticate.
Assertions (private_key_jwt), CORS requests and anything unusual take DOT's full path.

`wsgi_client_credentials` serves it before Django's request handling even starts (the web
node's WSGI entry point calls it first); `client_credentials_token` is the same grant for a
request that did come through Django.
"""

import functools
import io
import json
import logging
import re
from collections.abc import Mapping
from urllib.parse import parse_qs

from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

from apps import lookups
from apps.models import AppRegistration
from apps.oidc.client_auth import (
    client_secret_matches,
    secret_credentials,
    several_authentication_methods,
)
from apps.oidc.tokens import app_token_claims, signed_access_token
from monitoring.metrics import token_issued
from protection.limits import environ_client_address, request_limit_refusal
from tenants.current import current_tenant
from tenants.endpoints import TOKEN
from tenants.errors import TOO_MANY_REQUESTS_DESCRIPTION
from tenants.request_guard import HOST_REFUSED, host_allowed
from tenants.schemas import use_public_schema, use_tenant_schema
from tenants.selectors import tenant_for_path_segment, tenant_issuer

logger = logging.getLogger(__name__)
_ALLOWED_PARAMS = frozenset({"grant_type", "scope", "client_id", "client_secret"})
_MAX_BODY = 8192
TOKEN_HEADERS = (
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    ("X-Content-Type-Options", "nosniff"),
)


def issue(
    params: Mapping[str, list[str]], authorization: str | None
) -> tuple[int, dict[str, object], str | None]:
    """(status, JSON body, WWW-Authenticate or None) for a client credentials request, in the
    current tenant's schema."""
    if any(len(values) > 1 for values in params.values()):
        return _error(400, "invalid_request", "A parameter is repeated.")  # §3.2

    def one(name: str) -> str | None:
        values = params.get(name)
        return values[0] if values else None

    if several_authentication_methods(
        authorization=authorization, client_secret=one("client_secret"), client_assertion=None
    ):
        return _error(400, "invalid_request", "Authenticate the client one way only.")  # §2.3
    credentials = secret_credentials(authorization, one("client_id"), one("client_secret"))
    app: AppRegistration | None = lookups.client(credentials[0]) if credentials else None
    if (
        credentials is None
        or app is None
        or app.is_public
        or not client_secret_matches(app=app, secret=credentials[1])
    ):
        status, body, _ = _error(401, "invalid_client", "Client authentication failed.")
        return status, body, client_challenge(tenant_issuer(current_tenant()))
    if not app.allows_grant_type(AppRegistration.GRANT_CLIENT_CREDENTIALS):
        return _error(400, "unauthorized_client", "This app may not use client credentials.")
    scope = (one("scope") or "").strip()
    grant = lookups.client_credentials_grant(app, scope) if " " not in scope else None
    if grant is None:
        return _error(
            400, "invalid_scope", "Ask for one API's scope as <application ID URI>/.default."
        )
    resource, roles = grant
    claims = app_token_claims(client=app, resource=resource, roles=roles)
    expires_in = int(claims["exp"]) - int(claims["iat"])  # type: ignore[call-overload]
    token_issued("client_credentials")
    return (
        200,
        {
            "access_token": signed_access_token(claims),
            "token_type": "Bearer",
            "expires_in": expires_in,
            "scope": scope,
        },
        None,
    )


def client_challenge(issuer: str) -> str:
    """The challenge of every 401 from the token endpoint: HTTP requires one on a 401 (RFC 9110
    §15.5.2), RFC 6749 §5.2 requires the scheme the client tried when it used Basic, and Basic
    is this endpoint's scheme whatever the client tried (RFC 6750's Bearer is a resource
    server's, which oauthlib would send)."""
    return f'Basic realm="{issuer}", error="invalid_client"'


def _error(status: int, error: str, description: str) -> tuple[int, dict[str, object], None]:
    return status, {"error": error, "error_description": description}, None


def client_credentials_token(request: HttpRequest) -> HttpResponse:
    status, body, challenge = issue(
        {name: request.POST.getlist(name) for name in request.POST},
        request.META.get("HTTP_AUTHORIZATION"),
    )
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    if challenge:
        response["WWW-Authenticate"] = challenge
    return response


def is_lean_client_credentials(request: HttpRequest) -> bool:
    """Secret-authenticated client credentials requests with nothing unexpected in them."""
    params = request.POST
    return params.get("grant_type") == "client_credentials" and set(params) <= _ALLOWED_PARAMS


_STATUS_TEXT = {
    200: "200 OK",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    429: "429 Too Many Requests",
}


@functools.cache
def _token_path() -> re.Pattern[str]:
    """`/<tenant's domain name>` and the token endpoint's path (tenants/endpoints.py), made
    once per process."""
    return re.compile(rf"^/([a-z0-9-]{{3,63}}){re.escape(TOKEN.path)}$")


def wsgi_client_credentials(
    environ: dict[str, object],
) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """Serve a plain client credentials request straight from the WSGI environ, or None to let
    Django handle the request (anything else, or anything unusual about this one)."""
    if environ.get("REQUEST_METHOD") != "POST" or environ.get("HTTP_ORIGIN"):
        return None
    match = _token_path().match(str(environ.get("PATH_INFO", "")))
    if match is None:
        return None
    if not host_allowed(environ):  # as Django refuses every page's foreign host
        return _answer(400, {"error": "invalid_request", "error_description": HOST_REFUSED}, None)
    content_type = str(environ.get("CONTENT_TYPE", ""))
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return None
    try:
        length = int(str(environ.get("CONTENT_LENGTH") or "0"))
    except ValueError:
        return None
    if not 0 < length <= _MAX_BODY:
        return None
    stream = environ["wsgi.input"]
    raw = stream.read(length)  # type: ignore[attr-defined]
    try:
        params = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        params = None
    if (
        params is None
        or params.get("grant_type") != ["client_credentials"]
        or not set(params) <= _ALLOWED_PARAMS
        or any("\x00" in value for values in params.values() for value in values)
    ):
        # Hand the request, body included, to Django as it came.
        environ["wsgi.input"] = io.BytesIO(raw)
        return None
    # The same request boundaries as Django's handler: stale database connections are closed.
    request_started.send(sender=__name__, environ=environ)
    try:
        tenant = tenant_for_path_segment(match.group(1))
        if tenant is None or tenant.domain_name != match.group(1):
            environ["wsgi.input"] = io.BytesIO(raw)
            return None
        use_tenant_schema(tenant)
        try:
            # The tenant's request limits hold here too (protection/limits.py).
            retry_after = request_limit_refusal(environ_client_address(environ))
            if retry_after is None:
                authorization = environ.get("HTTP_AUTHORIZATION")
                status, body, challenge = issue(
                    params, str(authorization) if authorization else None
                )
        finally:
            use_public_schema()
    finally:
        request_finished.send(sender=__name__)
    if retry_after is not None:
        refused: dict[str, object] = {
            "error": "too_many_requests",
            "error_description": TOO_MANY_REQUESTS_DESCRIPTION,
        }
        return _answer(429, refused, None, retry_after=retry_after)
    return _answer(status, body, challenge)


def _answer(
    status: int, body: dict[str, object], challenge: str | None, *, retry_after: int | None = None
) -> tuple[str, list[tuple[str, str]], bytes]:
    headers = list(TOKEN_HEADERS)
    if challenge:
        headers.append(("WWW-Authenticate", challenge))
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    payload = json.dumps(body).encode()
    headers.append(("Content-Length", str(len(payload))))
    return _STATUS_TEXT[status], headers, payload
