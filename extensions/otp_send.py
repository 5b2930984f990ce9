"""OnOtpSend (issue 14): a one-time code handed to the company's own email or SMS provider.

The journey asks `otp_send` before it emails a code. Without the tenant's OnOtpSend listener
the answer is `NOT_LISTENED` and the journey emails the code itself. With one, the extension is
called at once, in the request (the customer must know now whether a code is on its way), with
Entra's request: `otpContext` {identifier: the address, oneTimeCode: the code} and the
authentication context (correlation ID, client address and locale, `requestType`: signUp,
signIn, passwordReset or mfa, the app's service principal when an app is signing in). Its
`continueWithDefaultBehavior` answer means the code was sent (`SENT`). A failed call (timeout,
error status, an answer off Entra's schema) follows the listener's policy: `FAILED` (the
journey stops and says the code could not be sent) or `FALLBACK` (the journey emails it).

The code never leaves this module but in the call itself: the replay console keeps the request
redacted (extensions.client.redacted), and nothing here logs it.
"""

import enum
from dataclasses import dataclass
from typing import Any

from apps.models import AppRegistration
from extensions.client import envelope, extension_call, service_principal
from extensions.models import CallOutcome, FailurePolicy
from extensions.otp_listeners import otp_listener
from tenants.current import current_tenant


class OtpRequestType(enum.StrEnum):
    """Entra's `authenticationContext.requestType` of an OnOtpSend call."""

    SIGN_UP = "signUp"
    SIGN_IN = "signIn"
    PASSWORD_RESET = "passwordReset"
    MFA = "mfa"


class OtpDelivery(enum.Enum):
    NOT_LISTENED = "not_listened"  # no listener: the journey emails the code
    SENT = "sent"  # the extension confirmed it sends the code
    FALLBACK = "fallback"  # the extension failed, the policy continues: the journey emails it
    FAILED = "failed"  # the extension failed, the policy fails: no code goes out


@dataclass(frozen=True)
class OtpSendResult:
    delivery: OtpDelivery
    # Set when an extension was called: its outcome, and why it failed (never the code).
    outcome: CallOutcome | None = None
    error: str = ""
    extension_name: str = ""


def otp_authentication_context(
    *,
    correlation_id: str,
    client_ip: str,
    locale: str,
    request_type: OtpRequestType,
    app: AppRegistration | None,
) -> dict[str, Any]:
    """Entra's `authenticationContext` of an OnOtpSend call."""
    context: dict[str, Any] = {
        "correlationId": correlation_id,
        "client": {"ip": client_ip, "locale": locale, "market": locale},
        "requestType": request_type.value,
        "protocol": "OAUTH2.0",
    }
    if app is not None:
        context["clientServicePrincipal"] = service_principal(app)
    return context


def otp_send(
    *,
    email: str,
    code: str,
    request_type: OtpRequestType,
    correlation_id: str,
    client_ip: str,
    locale: str,
    app: AppRegistration | None,
) -> OtpSendResult:
    """Hand `code` for `email` to the tenant's OnOtpSend extension, if it has one (tenant
    schema; outside any transaction that should not wait for the extension). Never raises for
    what the extension does: a failure is the listener's policy's `FAILED` or `FALLBACK`."""
    listener = otp_listener()
    if listener is None:
        return OtpSendResult(OtpDelivery.NOT_LISTENED)
    extension = listener.extension
    tenant_id = str(current_tenant().tenant_id)
    source = f"/tenants/{tenant_id}" + (f"/applications/{app.client_id}" if app else "")
    payload = envelope(
        extension=extension,
        listener=listener,
        tenant_id=tenant_id,
        source=source,
        authentication_context=otp_authentication_context(
            correlation_id=correlation_id,
            client_ip=client_ip,
            locale=locale,
            request_type=request_type,
            app=app,
        ),
        data={"otpContext": {"identifier": email, "oneTimeCode": code}},
    )
    result = extension_call(
        extension=extension, listener=listener, payload=payload, correlation_id=correlation_id
    )
    if result.action is not None:
        delivery = OtpDelivery.SENT
    elif listener.failure_policy == FailurePolicy.CONTINUE:
        delivery = OtpDelivery.FALLBACK
    else:
        delivery = OtpDelivery.FAILED
    return OtpSendResult(
        delivery=delivery,
        outcome=result.outcome,
        error=result.error,
        extension_name=extension.name,
    )
