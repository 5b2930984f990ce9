"""OnTokenIssuanceStart (issue 14): the hook the protocol calls once per token response that
issues a customer's tokens (CIAM_TOKEN_ISSUANCE_CLAIMS, apps/oidc/token_issuance.py). It sends
Entra's `tokenIssuanceStart` request, with the customer as `authenticationContext.user`, to the
app's custom claims provider and returns the claims of its `provideClaimsForToken` answer; the
app's claims mapping decides which of them reach a token.

A failed call (timeout, error status, an answer that is not JSON or not the schema, a claim
that is neither a string nor an array of strings) is kept for the console (ExtensionCall) and
noted in the sign-in log's row; then the listener's failure policy decides: continue (Entra's
default) returns no claims, fail raises `CustomClaimsRefused` (the token request is refused).
"""

from typing import Any

from apps import lookups
from apps.oidc.token_issuance import CustomClaimsRefused, ProvidedClaims, TokenIssuance
from extensions.client import envelope, extension_call, service_principal
from extensions.listeners import token_issuance_listener_of
from extensions.models import FailurePolicy
from tenants.current import current_tenant


def authentication_context(issuance: TokenIssuance) -> dict[str, Any]:
    """Entra's `authenticationContext` for OnTokenIssuanceStart: the request, the client app
    and the resource the access token is for, and the customer as `user`."""
    customer, app = issuance.customer, issuance.app
    grant = lookups.delegated_grant(app, list(issuance.scopes))
    resource = grant.resource if grant is not None and grant.resource is not None else app
    language = customer.preferred_language or "en-us"
    return {
        "correlationId": issuance.correlation_id,
        "client": {"ip": issuance.client_ip, "locale": language, "market": language},
        "protocol": "OAUTH2.0",
        "clientServicePrincipal": service_principal(app),
        "resourceServicePrincipal": service_principal(resource),
        "user": {
            "id": str(customer.object_id),
            "mail": customer.email,
            "userPrincipalName": customer.email,
            "displayName": customer.display_name,
            "givenName": customer.given_name,
            "surname": customer.surname,
            "companyName": "",
            "preferredLanguage": customer.preferred_language,
            "createdDateTime": customer.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "userType": "Member",
        },
    }


def claims_for_token(issuance: TokenIssuance) -> ProvidedClaims:
    """The claims the app's custom claims provider gives this customer's tokens (tenant
    schema; no database transaction is open around the call): {} when the app has none, or
    when it failed and its listener continues; raises CustomClaimsRefused when it failed and
    its listener fails the sign-in."""
    listener = token_issuance_listener_of(issuance.app)
    if listener is None:
        return {}
    extension = listener.extension
    tenant_id = str(current_tenant().tenant_id)
    payload = envelope(
        extension=extension,
        listener=listener,
        tenant_id=tenant_id,
        source=f"/tenants/{tenant_id}/applications/{issuance.app.client_id}",
        authentication_context=authentication_context(issuance),
        data={},
    )
    result = extension_call(
        extension=extension,
        listener=listener,
        payload=payload,
        correlation_id=issuance.correlation_id,
    )
    if result.action is not None:
        return dict(result.action.claims)
    issuance.details["custom_claims_provider"] = {
        "extension": extension.name,
        "outcome": str(result.outcome),
        "error": result.error[:300],
        "policy": listener.failure_policy,
    }
    if listener.failure_policy == FailurePolicy.FAIL:
        raise CustomClaimsRefused(f"{extension.name}: {result.outcome} {result.error}".strip())
    return {}
