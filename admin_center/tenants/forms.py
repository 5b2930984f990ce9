from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from tenants.models import AdminRole, AuditAction, Tenant
from tenants.selectors import AuditFilter
from tenants.services import domain_name_check


class TenantCreateForm(forms.Form):
    display_name = forms.CharField(
        label=_("Tenant name"),
        max_length=256,
        help_text=_("Shown to admins; customers see your company branding instead."),
    )
    domain_name = forms.CharField(
        label=_("Domain name"),
        strip=True,
        help_text=_(
            "3 to 63 lower-case letters, digits and hyphens. It becomes the first part of every "
            "address of the tenant and cannot be changed."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    country = forms.ChoiceField(
        label=_("Country/Region"),
        choices=[("", _("Select a country/region")), *countries],
        help_text=_("Where the tenant's data is kept. It cannot be changed later."),
    )

    def clean_domain_name(self) -> str:
        domain_name: str = self.cleaned_data["domain_name"]
        domain_name_check(domain_name)
        if Tenant.objects.filter(domain_name=domain_name).exists():
            raise ValidationError(
                _("The domain name “%(name)s” is already taken; choose another."),
                params={"name": domain_name},
                code="taken",
            )
        return domain_name


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=AdminRole.choices, **kwargs)

    def clean(self, value: Any) -> list[AdminRole]:
        return [AdminRole(role) for role in super().clean(value)]


class AdminAddForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    roles = RolesField(
        label=_("Roles"),
        error_messages={"required": _("Choose at least one role.")},
    )


class AdminRolesForm(forms.Form):
    roles = RolesField(label=_("Roles"), required=False)


# The audit log's time ranges, back from now; "all" has no start, "custom" its own dates.
AUDIT_PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
AUDIT_DEFAULT_PERIOD = "30d"
# The system's own changes are recorded with this as the actor (tenants.services.audit_record).
SYSTEM_ACTOR = "system"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class AuditFilterForm(forms.Form):
    """The audit log's filters (a GET form): what `filters` turns into an AuditFilter.

    Dates are UTC days, both inclusive; they are read only with the custom range, which asks
    for at least one of them.
    """

    period = forms.ChoiceField(
        label=_("Time range"),
        choices=[
            ("24h", _("Last 24 hours")),
            ("7d", _("Last 7 days")),
            ("30d", _("Last 30 days")),
            ("90d", _("Last 90 days")),
            ("all", _("Any time")),
            ("custom", _("Custom range")),
        ],
    )
    start = forms.DateField(
        label=_("From (UTC)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To (UTC)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    action = forms.ChoiceField(
        label=_("Activity"),
        required=False,
        choices=[("", _("Any activity")), *AuditAction.choices],
    )
    actor = forms.CharField(
        label=_("Initiated by"),
        required=False,
        max_length=254,
        help_text=_("An admin's email address, or “system”."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    target = forms.CharField(
        label=_("Target contains"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_actor(self) -> str:
        actor: str = self.cleaned_data["actor"]
        if not actor or actor.lower() == SYSTEM_ACTOR:
            return actor.lower()
        try:
            validate_email(actor)
        except ValidationError:
            raise ValidationError(
                _("Enter an admin's email address, or “system”."), code="invalid"
            ) from None
        return actor

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if data.get("period") == "custom":
            unreadable = self.has_error("start") or self.has_error("end")
            if start is None and end is None and not unreadable:
                self.add_error("start", _("Give a start date, an end date or both."))
            if start and end and start > end:
                self.add_error("end", _("The end date comes before the start date."))
        elif (start or end) and "period" in data:
            self.add_error("period", _("Choose “Custom range” to search between dates."))
        return data

    def filters(self, *, now: datetime) -> AuditFilter:
        """The valid form's filters, its time range counted back from `now`."""
        data = self.cleaned_data
        period: str = data["period"]
        since = until = None
        if period in AUDIT_PERIODS:
            since = now - AUDIT_PERIODS[period]
        elif period == "custom":
            start: date | None = data["start"]
            end: date | None = data["end"]
            since = _day_start(start) if start else None
            # The end day is whole; there is no day after the last one a date can name.
            until = _day_start(end + timedelta(days=1)) if end and end < date.max else None
        return AuditFilter(
            since=since,
            until=until,
            action=data["action"],
            actor=data["actor"],
            target=data["target"],
        )

    def recorded(self) -> dict[str, str]:
        """The valid form's filters as given (for the audit entry of a download)."""
        return {
            name: value.isoformat() if isinstance(value, date) else str(value)
            for name, value in self.cleaned_data.items()
            if value
        }
