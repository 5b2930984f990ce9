"""allauth.mfa's WebAuthn forms, for the journey's second factor, with one thing more: a passkey
answer that is JSON but not shaped as WebAuthn's (no `rawId`, a list, a number) is the form's
error. allauth turns only some of those into one; the rest would be a 500."""

from typing import Any

from allauth.mfa.adapter import get_adapter
from allauth.mfa.webauthn.forms import AuthenticateWebAuthnForm, SignupWebAuthnForm

# What fido2 raises on a payload of the wrong shape.
_MALFORMED = (AttributeError, KeyError, TypeError, ValueError)


class PasskeyAddForm(SignupWebAuthnForm):  # type: ignore[misc]
    """A new passkey: the browser's registration answer, verified against this sign-in's
    challenge (allauth's, kept in the session)."""

    def clean(self) -> dict[str, Any]:
        try:
            cleaned: dict[str, Any] = super().clean()
        except _MALFORMED as error:
            raise get_adapter().validation_error("incorrect_code") from error
        return cleaned


class PasskeyForm(AuthenticateWebAuthnForm):  # type: ignore[misc]
    """An enrolled passkey's answer to this sign-in's challenge."""

    def clean_credential(self) -> Any:
        if not isinstance(self.cleaned_data.get("credential"), dict):
            raise get_adapter().validation_error("incorrect_code")
        try:
            return super().clean_credential()
        except _MALFORMED as error:
            raise get_adapter().validation_error("incorrect_code") from error
