"""Authentication methods → "Send codes with your own provider" (issue 14): the tenant's one
OnOtpSend listener, which hands every one-time code (sign-up, sign-in by code, password reset,
emailed second factor) to a custom authentication extension instead of our email, and what a
failed send does. The extensions themselves are registered on the Custom authentication
extensions pages; here one registered for OnOtpSend is chosen."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from extensions.models import CustomAuthenticationExtension, ExtensionListener, FailurePolicy
from extensions.otp_listeners import otp_extensions, otp_listener


class OtpSendForm(forms.Form):
    extension = forms.ChoiceField(
        label=gettext_lazy("Custom authentication extension"),
        help_text=gettext_lazy(
            "Called with the customer's address and the code each time a code is due; its "
            "answer continueWithDefaultBehavior confirms that it sent the code."
        ),
    )
    failure_policy = forms.ChoiceField(
        label=gettext_lazy("When the extension fails"),
        choices=[
            (
                FailurePolicy.FAIL,
                gettext_lazy("Stop: the customer is told the code could not be sent (recommended)"),
            ),
            (
                FailurePolicy.CONTINUE,
                gettext_lazy("Send the code by our own email instead"),
            ),
        ],
        initial=FailurePolicy.FAIL,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "A failure is no answer within the extension's timeout, an error status, or an "
            "answer that is not Entra's OnOtpSend response."
        ),
    )

    def __init__(self, *args: Any, extensions: list[CustomAuthenticationExtension], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._extensions = {str(extension.extension_id): extension for extension in extensions}
        field: forms.ChoiceField = self.fields["extension"]  # type: ignore[assignment]
        field.choices = [(key, extension.name) for key, extension in self._extensions.items()]

    def chosen_extension(self) -> CustomAuthenticationExtension:
        return self._extensions[self.cleaned_data["extension"]]


def otp_send_context(form: OtpSendForm | None = None) -> dict[str, Any]:
    """The section's context (tenant schema): the listener, the extensions it may call and
    the form, bound when a save was refused."""
    listener: ExtensionListener | None = otp_listener()
    extensions = otp_extensions()
    if form is None:
        initial = (
            {
                "extension": str(listener.extension.extension_id),
                "failure_policy": listener.failure_policy,
            }
            if listener is not None
            else {"failure_policy": FailurePolicy.FAIL}
        )
        form = OtpSendForm(initial=initial, extensions=extensions)
    return {"otp_listener": listener, "otp_extensions": extensions, "otp_form": form}
