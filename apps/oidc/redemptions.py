"""The token endpoint's rows in the sign-in log (issue 13): an authorization code or a refresh
token redeemed by the app, or refused, one row per request.

oauthlib runs the validator on its own copy of the request, never the Django request the log
keeps its rows on; the validator sees that request's environment, though, as the copy's
headers (apps/oidc/sessions.py passes the browser session's identifier the same way). So
`TokenView` puts a `TokenRedemption` in the environment under `REDEMPTION_META_KEY` (not an
HTTP_ key: no client header can forge it), the validator notes in it what it found (the app,
the customer, how the customer signed in, and why it refused, where the response cannot say),
and the view records the row once the response is known. Nothing is read for it that the
redemption did not read anyway: the success path costs the row's INSERT only.

Client-credentials requests are the app's own, not a customer's sign-in: never recorded (their
lean path, apps/oidc/client_credentials.py, never gets here).
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse

from accounts.models import User
from apps.models import AppRegistration
from monitoring.models import SignInKind
from monitoring.reasons import Reason
from monitoring.records import SignInRecord, correlation_id_of, sign_in_record

REDEMPTION_META_KEY = "ciam.token_redemption"
_KINDS = {
    "authorization_code": SignInKind.CODE_REDEMPTION,
    "refresh_token": SignInKind.REFRESH,
}


@dataclass
class TokenRedemption:
    """What the validator found while redeeming a code or a refresh token: the client ID it
    looked up, and the app if there is one; the customer, as the code's or the token's row
    named them (read with it), and how they signed in. `refused` is a
    reason it decided itself (a PKCE downgrade, a blocked customer); `code_accepted` that the
    code itself was good, so a refusal after it is PKCE's (oauthlib checks the verifier next)
    unless `pkce_passed`."""

    kind: SignInKind
    client_id: str = ""
    client: AppRegistration | None = None
    customer: User | None = None
    identity_provider: str = ""
    methods: str = ""
    refused: Reason | None = None
    code_accepted: bool = False
    pkce_passed: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    correlation_id: str = ""


def redemption_begin(request: HttpRequest, grant_type: str) -> TokenRedemption | None:
    """The redemption a token request makes, in the request's environment for the validator;
    None for any other grant (client credentials)."""
    kind = _KINDS.get(grant_type)
    if kind is None:
        return None
    redemption = TokenRedemption(kind=kind, correlation_id=correlation_id_of(request))
    request.META[REDEMPTION_META_KEY] = redemption
    return redemption


def redemption_of(headers: Any) -> TokenRedemption | None:
    """The validator's view of it, from the oauthlib request's headers (None outside a
    redemption: introspection, revocation)."""
    found = headers.get(REDEMPTION_META_KEY) if headers is not None else None
    return found if isinstance(found, TokenRedemption) else None


def _failure(redemption: TokenRedemption, error: str) -> Reason:
    if redemption.refused is not None:
        return redemption.refused
    if error == "invalid_client":
        return Reason.CLIENT_AUTHENTICATION_FAILED
    if redemption.kind == SignInKind.REFRESH:
        return Reason.REFRESH_TOKEN_INVALID
    if redemption.code_accepted and not redemption.pkce_passed:
        return Reason.PKCE_FAILED
    return Reason.CODE_INVALID


def redemption_record(
    request: HttpRequest, redemption: TokenRedemption, response: HttpResponse
) -> None:
    """The request's row: success for a 200, else the reason the validator gave or the
    response's `error` says (RFC 6749 §5.2)."""
    error = ""
    if response.status_code != 200:
        try:
            error = str(json.loads(response.content).get("error", ""))
        except (ValueError, AttributeError):
            error = ""
    reason = Reason.SUCCESS if response.status_code == 200 else _failure(redemption, error)
    client = redemption.client
    customer = redemption.customer
    sign_in_record(
        SignInRecord(
            kind=redemption.kind,
            reason=reason,
            customer_object_id=customer.object_id if customer is not None else None,
            customer_email=customer.email if customer is not None else "",
            client_id=client.client_id if client is not None else redemption.client_id[:255],
            app_name=client.name if client is not None else "",
            methods=tuple(redemption.methods.split()),
            identity_provider=redemption.identity_provider,
            details={"error": error, **redemption.details} if error else redemption.details,
        ),
        request=request,
    )
