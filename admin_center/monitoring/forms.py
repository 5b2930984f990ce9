"""The forms of the sign-in log: its filters (a GET form, the list's and the downloads') and
the retention setting. The GET parameters are the ones the log's URLs promise (the benchmark
and bookmarks use them): `range`, `since`, `until`, `customer`, `app`, `status`, `reason`, `ip`,
`method`, `kind`."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.oidc.acr import (
    FEDERATED,
    HARDWARE_KEY,
    MULTIPLE_FACTORS,
    ONE_TIME_CODE,
    PASSWORD,
    SOFTWARE_KEY,
)
from monitoring.models import SignInKind, SignInStatus
from monitoring.reasons import OUTCOMES, Reason
from monitoring.selectors import SignInFilter

Choices = list[tuple[str, str | Promise]]

RANGES: dict[str, timedelta | None] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "custom": None,
}
DEFAULT_RANGE = "24h"
CUSTOM_RANGE = "custom"

# The `methods` a sign-in row holds are the `amr` values its tokens carry (apps/oidc/acr.py),
# in the order a token lists them.
METHOD_LABELS: dict[str, Promise] = {
    PASSWORD: _("Password"),
    ONE_TIME_CODE: _("One-time code"),
    HARDWARE_KEY: _("Passkey (device-bound)"),
    SOFTWARE_KEY: _("Passkey (synced)"),
    FEDERATED: _("Identity provider"),
    MULTIPLE_FACTORS: _("Multifactor"),
}

# What a browser's datetime-local field sends, and a day alone (the parameters' two forms).
_MINUTE_FORMAT = "%Y-%m-%dT%H:%M"
_DAY_FORMAT = "%Y-%m-%d"
_WHEN_MAX_LENGTH = 16
CLIENT_ID_MAX_LENGTH = 255  # SignInEvent.client_id's
RETENTION_MIN_DAYS = 1
RETENTION_MAX_DAYS = 730


class UtcDateTimeField(forms.Field):
    """A time in UTC, written YYYY-MM-DDTHH:MM or YYYY-MM-DD (that day's midnight, or with
    `day_end`, the next midnight: "until 2026-03-05" includes the 5th)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
    default_error_messages = {
        "invalid": _("Enter a date as YYYY-MM-DD, or a date and time as YYYY-MM-DDTHH:MM (UTC)."),
    }

    def __init__(self, *, day_end: bool = False, **kwargs: Any) -> None:
        self.day_end = day_end
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) <= _WHEN_MAX_LENGTH:
            for pattern in (_MINUTE_FORMAT, _DAY_FORMAT):
                try:
                    found = datetime.strptime(text, pattern).replace(tzinfo=UTC)
                except ValueError:
                    continue
                if pattern == _DAY_FORMAT and self.day_end:
                    found += timedelta(days=1)
                return found
        raise ValidationError(self.error_messages["invalid"], code="invalid")


def reason_choices() -> Choices:
    return [("", _("Any"))] + [
        (reason.value, f"{outcome.summary} ({outcome.code})")
        for reason, outcome in OUTCOMES.items()
        if reason != Reason.SUCCESS
    ]


class SignInLogFilterForm(forms.Form):
    """The sign-in log's filters. Every field is optional; an invalid one is an error on its
    field and the log is not read (a filter silently dropped would show more than was asked,
    looking as if it applied). `apps`: the tenant's app registrations as (client ID, name)."""

    range = forms.ChoiceField(
        label=_("Time range"),
        required=False,
        choices=[
            ("24h", _("Last 24 hours")),
            ("7d", _("Last 7 days")),
            ("30d", _("Last 30 days")),
            (CUSTOM_RANGE, _("Custom range")),
        ],
    )
    since = UtcDateTimeField(label=_("From (UTC)"), required=False)
    until = UtcDateTimeField(label=_("To (UTC)"), required=False, day_end=True)
    customer = forms.CharField(
        label=_("Customer"),
        required=False,
        max_length=254,
        help_text=_("An email address or an object ID."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    app = forms.ChoiceField(label=_("Application"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *SignInStatus.choices],
    )
    reason = forms.ChoiceField(label=_("Failure reason"), required=False)
    ip = forms.GenericIPAddressField(label=_("IP address"), required=False)
    method = forms.ChoiceField(
        label=_("Authentication method"),
        required=False,
        choices=[("", _("Any")), *METHOD_LABELS.items()],
        help_text=_("One-time code: emailed, an authenticator app's, or a recovery code."),
    )
    kind = forms.ChoiceField(
        label=_("Sign-in type"), required=False, choices=[("", _("Any")), *SignInKind.choices]
    )

    def __init__(self, data: Any = None, *, apps: list[tuple[str, str]]) -> None:
        if data is not None and (data.get("since") or data.get("until")):
            # A start or an end given is a custom range, whatever the range's select said.
            data = data.copy()
            data["range"] = CUSTOM_RANGE
        super().__init__(data)
        app_field: forms.ChoiceField = self.fields["app"]  # type: ignore[assignment]
        choices: Choices = [("", _("Any")), *apps]
        given = str(self.data.get("app", "")) if self.is_bound else ""
        if given and len(given) <= CLIENT_ID_MAX_LENGTH and given not in dict(apps):
            # The log outlives its apps: an app since removed is still a filter (its ID as
            # the log recorded it).
            choices.append((given, _("%(client_id)s (not registered now)") % {"client_id": given}))
        app_field.choices = choices
        reason_field: forms.ChoiceField = self.fields["reason"]  # type: ignore[assignment]
        reason_field.choices = reason_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since: datetime | None = data.get("since")
        until: datetime | None = data.get("until")
        if since and until and since >= until:
            self.add_error("until", _("The end comes before the start."))
        unread = "since" in self.errors or "until" in self.errors
        if data.get("range") == CUSTOM_RANGE and not since and not until and not unread:
            self.add_error("since", _("Give a start, an end, or both, for a custom range."))
        return data

    def chosen_range(self) -> str:
        """The range the filters use (the last 24 hours unless another is chosen)."""
        return str(self.cleaned_data.get("range") or DEFAULT_RANGE)

    def sign_in_filter(self, *, now: datetime | None = None) -> SignInFilter:
        """The filter the valid form describes."""
        data = self.cleaned_data
        chosen = self.chosen_range()
        since, until = data.get("since"), data.get("until")
        span = RANGES.get(chosen)
        if span is not None:
            since, until = (now or timezone.now()) - span, None
        return SignInFilter(
            since=since,
            until=until,
            customer=data.get("customer", "").strip(),
            client_id=data.get("app", ""),
            status=data.get("status", ""),
            reason=data.get("reason", ""),
            ip_address=data.get("ip") or "",
            method=data.get("method", ""),
            kind=data.get("kind", ""),
        )

    def recorded(self) -> dict[str, str]:
        """The filters given, as the audit log records them (empty ones left out)."""
        data = self.cleaned_data
        found = {"range": self.chosen_range()}
        for name in ("since", "until"):
            value = data.get(name)
            if value is not None:
                found[name] = value.isoformat()
        for name in ("customer", "app", "status", "reason", "ip", "method", "kind"):
            if data.get(name):
                found[name] = str(data[name])
        return found


class LogRetentionForm(forms.Form):
    retention_days = forms.IntegerField(
        label=_("Keep sign-ins for (days)"),
        min_value=RETENTION_MIN_DAYS,
        max_value=RETENTION_MAX_DAYS,
        help_text=_(
            "From 1 to 730 days. Sign-ins older than that are removed within the hour, for good."
        ),
    )
