"""The tenant's OnOtpSend listener (issue 14): at most one per tenant, for the whole tenant
(neither an app nor a user flow, as Entra's `onEmailOtpSendListener`). While it exists, every
one-time code the journey would email (sign-up verification, sign-in by code, password reset,
the emailed second factor) goes to its extension instead (extensions/otp_send.py), and its
failure policy says what a failed send does: fail (the default: the customer is told the code
could not be sent) or continue (the code goes out by our own email).
"""

from django.core.exceptions import ValidationError

from extensions.listeners import listener_put
from extensions.models import (
    CustomAuthenticationExtension,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)


class OtpListenerRefused(ValueError):
    """The listener cannot be set as asked; the message says why (for the admin's form)."""


def otp_listener() -> ExtensionListener | None:
    """The tenant's OnOtpSend listener with its extension and the extension's API app, or
    None (tenant schema; one query)."""
    return (
        ExtensionListener.objects.select_related("extension", "extension__api_app")
        .filter(event=ExtensionEvent.OTP_SEND, app__isnull=True, user_flow__isnull=True)
        .first()
    )


def otp_extensions() -> list[CustomAuthenticationExtension]:
    """The extensions registered for OnOtpSend, by name: those a listener may call."""
    return list(CustomAuthenticationExtension.objects.filter(event=ExtensionEvent.OTP_SEND))


def otp_listener_set(
    *,
    extension: CustomAuthenticationExtension,
    failure_policy: str = FailurePolicy.FAIL,
) -> ExtensionListener:
    """Make `extension` the tenant's OnOtpSend listener with `failure_policy`, in place of any
    earlier one (tenant schema, one transaction). Refused (`OtpListenerRefused`) for an
    extension of another event, an unknown policy, or a tenant at Entra's listener limit."""
    try:
        return listener_put(
            event=ExtensionEvent.OTP_SEND, extension=extension, failure_policy=failure_policy
        )
    except ValidationError as refused:
        raise OtpListenerRefused(" ".join(refused.messages)) from refused


def otp_listener_remove() -> bool:
    """Remove the tenant's OnOtpSend listener, so codes go out by our email again (tenant
    schema). False when there was none."""
    deleted, _kinds = ExtensionListener.objects.filter(
        event=ExtensionEvent.OTP_SEND, app__isnull=True, user_flow__isnull=True
    ).delete()
    return deleted > 0
