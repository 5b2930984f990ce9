"""Who sends a one-time code (issue 14): the tenant's OnOtpSend extension when it has one
(extensions/otp_send.py), else our own email (CustomerAccountAdapter.send_mail).

Every emailed code goes through here first: sign-up verification, sign-in by code, password
reset and the emailed second factor. The extension is called in the request, so a customer is
told at once when no code is on its way: with the failure policy "fail", the branded page
"We couldn't send your code" (503, never the code, never a 500); with "continue", our email
carries the code as if there were no extension.
"""

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import get_language

from accounts.models import User
from accounts.services import customer_sign_up_abandon
from apps import lookups
from apps.oidc.acr import ONE_TIME_CODE
from extensions.models import ExtensionEvent
from extensions.otp_send import OtpDelivery, OtpRequestType, OtpSendResult, otp_send
from journey import transaction
from journey.mfa import email_code
from journey.sign_in_log import extension_continued_note, interactive_record
from monitoring.reasons import Reason
from monitoring.records import correlation_id_of

_SIGN_UP_TEMPLATE = "account/email/email_confirmation_signup"
# The emails that carry a code (`code` in their context), and the moment Entra names for each.
CODE_TEMPLATES: dict[str, OtpRequestType] = {
    _SIGN_UP_TEMPLATE: OtpRequestType.SIGN_UP,
    # An address verified outside the sign-up form: an identity provider's, not trusted.
    "account/email/email_confirmation": OtpRequestType.SIGN_UP,
    "account/email/login_code": OtpRequestType.SIGN_IN,
    "account/email/password_reset_code": OtpRequestType.PASSWORD_RESET,
    email_code.EMAIL_TEMPLATE: OtpRequestType.MFA,
}


def _client_ip(request: HttpRequest, adapter: Any) -> str:
    try:
        return str(adapter.get_client_ip(request))
    except (PermissionDenied, ImproperlyConfigured):
        return ""


def code_sent_by_extension(
    request: HttpRequest,
    *,
    adapter: Any,
    template_prefix: str,
    email: str,
    context: dict[str, Any],
) -> bool:
    """Whether the tenant's OnOtpSend extension took the code this email would carry (call in
    the tenant's schema). False for an email without a code, a tenant without the listener, or
    a failed call whose policy continues: the caller emails it. A failed call whose policy
    fails raises `ImmediateHttpResponse` with the branded "We couldn't send your code" page."""
    request_type = CODE_TEMPLATES.get(template_prefix)
    code = context.get("code")
    if request_type is None or not isinstance(code, str) or not code:
        return False
    journey = transaction.current(request)
    app = lookups.client(journey.client_id) if journey is not None else None
    result = otp_send(
        email=email,
        code=code,
        request_type=request_type,
        correlation_id=correlation_id_of(request),
        client_ip=_client_ip(request, adapter),
        locale=get_language() or settings.LANGUAGE_CODE,
        app=app,
    )
    if result.delivery is OtpDelivery.FALLBACK:
        extension_continued_note(
            request,
            extension=result.extension_name,
            event=ExtensionEvent.OTP_SEND.value,
            outcome=str(result.outcome or ""),
        )
    if result.delivery is OtpDelivery.FAILED:
        _stop(
            request,
            template_prefix=template_prefix,
            email=email,
            request_type=request_type,
            result=result,
            context=context,
        )
    return result.delivery is OtpDelivery.SENT


def _stop(
    request: HttpRequest,
    *,
    template_prefix: str,
    email: str,
    request_type: OtpRequestType,
    result: OtpSendResult,
    context: dict[str, Any],
) -> None:
    user = context.get("user")
    known = user if isinstance(user, User) and user.pk else None
    # The account the sign-up form has just made waits for a code that never came: the sign-up
    # stops without it, so the customer may start again (an address with an account is
    # otherwise answered "check your email", enumeration prevention). Its row names the
    # address alone: the account is no more.
    abandoned = known is not None and template_prefix == _SIGN_UP_TEMPLATE
    interactive_record(
        request,
        reason=Reason.EXTENSION_FAILED,
        customer=None if abandoned else known,
        email=email,
        methods=(ONE_TIME_CODE,),
        details={
            "extension": result.extension_name,
            "event": ExtensionEvent.OTP_SEND.value,
            "request_type": request_type.value,
            "outcome": str(result.outcome or ""),
        },
    )
    if abandoned and known is not None:
        customer_sign_up_abandon(customer=known)
    raise ImmediateHttpResponse(render(request, "hosted/code_not_sent.html", status=503))
