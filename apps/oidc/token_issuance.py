"""Custom claims at token issuance (issue 14, Entra's OnTokenIssuanceStart), as the protocol
sees them: once per token response that issues a customer's tokens (an authorization code or a
refresh token redeemed; never client credentials), after every check of the request passed,
the hook `CIAM_TOKEN_ISSUANCE_CLAIMS` names (a dotted path: the protocol imports no extension)
is asked for the claims of the app's custom claims provider. The ID token and the access token
of that response share its answer; only the claims the app maps (`AppCustomClaim`) reach them
(apps/oidc/claims.py, `custom_provider_claims`).

When the provider fails and its listener says the sign-in fails, the hook raises
`CustomClaimsRefused` and the token request is answered `invalid_grant` (RFC 6749 §5.2, status
400): the code or refresh token presented cannot be turned into tokens now, and the client
starts the sign-in again, which asks the extension again. `server_error` is not among the
token endpoint's errors (§5.2 lists it only for the authorization endpoint, §4.1.2.1), and a
5xx would invite the client to replay a request that failed by policy. The code is not spent
(oauthlib spends it only after issuing tokens), so it stays redeemable until it expires.
"""

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.openid import Server

from accounts.models import User
from apps.models import AppRegistration
from apps.oidc.redemptions import redemption_of
from monitoring.reasons import Reason
from monitoring.records import client_address_of_environ

# Provided claims as the extension answered them, by claim ID (strings or arrays of strings).
ProvidedClaims = dict[str, str | list[str]]
CUSTOM_CLAIMS_ATTRIBUTE = "ciam_custom_claims"
_GRANTS = ("authorization_code", "refresh_token")


class CustomClaimsRefused(Exception):
    """The app's custom claims provider failed and its listener's policy fails the sign-in;
    the message says why (for the sign-in log, never for the client)."""


@dataclass(frozen=True)
class TokenIssuance:
    """What the hook is told: the app, the customer, and the request's context."""

    app: AppRegistration
    customer: User
    client_ip: str
    correlation_id: str
    grant_type: str
    scopes: tuple[str, ...]
    # What the hook wants the sign-in log's row to say (its `details`), whatever happened.
    details: dict[str, Any] = field(default_factory=dict)


ClaimsHook = Callable[[TokenIssuance], ProvidedClaims]


@functools.cache
def _hook() -> ClaimsHook | None:
    path = getattr(settings, "CIAM_TOKEN_ISSUANCE_CLAIMS", "")
    return import_string(path) if path else None


def custom_claims_validate(request: Request) -> None:
    """oauthlib's post-token validator (it runs once the grant, PKCE and the redirect URI were
    checked): ask the hook for the customer's custom claims, keep them on the request."""
    setattr(request, CUSTOM_CLAIMS_ATTRIBUTE, {})
    hook = _hook()
    user = getattr(request, "user", None)
    if hook is None or request.grant_type not in _GRANTS or not isinstance(user, User):
        return
    redemption = redemption_of(request.headers)
    issuance = TokenIssuance(
        app=request.client,
        customer=user,
        # Behind the trusted proxies, as the sign-in log reads it (oauthlib's headers are a
        # copy of the request's META).
        client_ip=client_address_of_environ(dict(request.headers or {})) or "",
        correlation_id=redemption.correlation_id if redemption else str(uuid.uuid4()),
        grant_type=request.grant_type,
        scopes=tuple(request.scopes or ()),
    )
    try:
        provided = hook(issuance)
    except CustomClaimsRefused as refused:
        if redemption is not None:
            redemption.details.update(issuance.details)
            redemption.details["custom_claims"] = str(refused)[:300]
            redemption.refused = Reason.EXTENSION_FAILED
        raise errors.InvalidGrantError(
            description="The app's custom claims provider did not answer; sign in again.",
            request=request,
        ) from refused
    if redemption is not None:
        redemption.details.update(issuance.details)
    setattr(request, CUSTOM_CLAIMS_ATTRIBUTE, provided)


class CiamServer(Server):  # type: ignore[misc]
    """oauthlib's OpenID Connect server with the custom claims step on the grants that issue
    a customer's tokens (OAUTH2_PROVIDER["OAUTH2_SERVER_CLASS"])."""

    def __init__(self, request_validator: object, *args: object, **kwargs: object) -> None:
        super().__init__(request_validator, *args, **kwargs)
        for grant in (self.auth_grant, self.openid_connect_auth, self.refresh_grant):
            grant.custom_validators.post_token.append(custom_claims_validate)
