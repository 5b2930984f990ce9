from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from admin_center.operators.throttle import sign_in_attempt_begin


class OperatorSignInForm(AuthenticationForm):
    """The admin center's sign-in: email and password, within the failed-sign-in limits
    (admin_center/operators/throttle.py), checked before the password is."""

    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages: Any = {
        "invalid_login": _("That email address and password do not match an admin account."),
        "inactive": _("This admin account is blocked."),
        "throttled": _("Too many failed sign-ins. Wait a few minutes, then try again."),
    }

    @property
    def throttled(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, code="throttled")

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (email and password):
            return super().clean()
        attempt = sign_in_attempt_begin(request=self.request, email=email)  # type: ignore[arg-type]
        if not attempt.allowed:
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        cleaned = super().clean()
        attempt.succeeded()
        return cleaned
