"""The registration form of a custom authentication extension: Entra's fields (name,
description, event, target URL, timeout, retries, the API's app registration). The event is
chosen once: an edit does not offer it."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.models import AppRegistration
from extensions.models import (
    MAX_TIMEOUT_MS,
    MIN_TIMEOUT_MS,
    CustomAuthenticationExtension,
    ExtensionCall,
    ExtensionEvent,
)


class ExtensionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=256, required=False)
    event = forms.ChoiceField(
        label=_("Event type"), choices=ExtensionEvent.choices, widget=forms.RadioSelect
    )
    target_url = forms.URLField(
        label=_("Target URL"),
        max_length=2048,
        assume_scheme="https",
        help_text=_(
            "The endpoint we POST each event to. https, or http to 127.0.0.1, ::1 or "
            "localhost while developing."
        ),
    )
    timeout_ms = forms.IntegerField(
        label=_("Timeout (milliseconds)"),
        min_value=MIN_TIMEOUT_MS,
        max_value=MAX_TIMEOUT_MS,
        initial=MAX_TIMEOUT_MS,
        help_text=_("Per attempt, %(low)d to %(high)d.")
        % {"low": MIN_TIMEOUT_MS, "high": MAX_TIMEOUT_MS},
    )
    max_retries = forms.TypedChoiceField(
        label=_("Retries"),
        choices=[(0, _("None")), (1, _("One, after a timeout, a failed connection or a 5xx"))],
        coerce=int,
        initial=1,
        widget=forms.RadioSelect,
    )
    api_app = forms.ChoiceField(
        label=_("API app registration"),
        help_text=_(
            "Each call carries a bearer token issued for this app: its application ID is the "
            "token's audience."
        ),
    )

    def __init__(
        self, *args: Any, apps: list[AppRegistration], editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        app_field: forms.ChoiceField = self.fields["api_app"]  # type: ignore[assignment]
        app_field.choices = [("", _("Choose an app registration"))] + [
            (str(app.object_id), f"{app.name} ({app.client_id})") for app in apps
        ]
        if editing:
            del self.fields["event"]

    def service_arguments(self) -> dict[str, Any]:
        arguments = dict(self.cleaned_data)
        arguments["api_app_id"] = arguments.pop("api_app")
        return arguments


def initial_of(extension: CustomAuthenticationExtension) -> dict[str, Any]:
    return {
        "name": extension.name,
        "description": extension.description,
        "target_url": extension.target_url,
        "timeout_ms": extension.timeout_ms,
        "max_retries": extension.max_retries,
        "api_app": str(extension.api_app.object_id),
    }


SAMPLE = "sample"
# What started a recorded call (`ExtensionCall.origin`), as the console names it.
ORIGINS = {"sign_in": _("Sign-in"), "test": _("Test"), "replay": _("Replay")}


class TestEventForm(forms.Form):
    """What "Send a test event" sends: the sample request of the extension's event, or the
    request of a recorded call."""

    request = forms.ChoiceField(label=_("Request to send"))

    def __init__(self, *args: Any, calls: list[ExtensionCall], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request_field: forms.ChoiceField = self.fields["request"]  # type: ignore[assignment]
        request_field.choices = [(SAMPLE, _("A sample request for this event"))] + [
            (
                str(call.pk),
                _("Recorded: %(when)s, %(origin)s, %(outcome)s")
                % {
                    "when": f"{call.occurred_at:%Y-%m-%d %H:%M:%S}",
                    "origin": ORIGINS.get(call.origin, call.origin),
                    "outcome": call.get_outcome_display(),
                },
            )
            for call in calls
        ]
