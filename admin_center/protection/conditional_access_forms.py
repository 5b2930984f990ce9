"""The forms of Conditional access: a policy (Entra's sections: users, target apps, conditions,
grant, state) and a named location (its IP ranges, one a line). Choices of apps and locations
are the tenant's, read by the view in the tenant's schema and passed in."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from protection.conditional_access import MAX_EXCLUDED_CUSTOMERS, MAX_IP_RANGES, PolicySettings
from protection.models import (
    ConditionalAccessPolicy,
    GrantControl,
    LocationScope,
    NamedLocation,
    PolicyState,
)

Choices = list[tuple[str, str]]

_ALL_APPS = "all"
_SELECTED_APPS = "selected"
# Email addresses and IP ranges are one a line; commas and spaces separate them too.
_SEPARATORS = re.compile(r"[\s,;]+")


def _entries(text: str) -> list[str]:
    return [entry for entry in _SEPARATORS.split(text) if entry]


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=256)
    excluded_customer_emails = forms.CharField(
        label=_("Excluded customers"),
        required=False,
        max_length=MAX_EXCLUDED_CUSTOMERS * 255,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "The policy applies to every customer but these: their email addresses, one a line."
        ),
    )
    apps = forms.ChoiceField(
        label=_("Include apps"),
        choices=[(_ALL_APPS, _("All apps")), (_SELECTED_APPS, _("Selected apps"))],
        initial=_ALL_APPS,
        widget=forms.RadioSelect,
    )
    client_ids = forms.MultipleChoiceField(
        label=_("Selected apps"), required=False, widget=forms.CheckboxSelectMultiple
    )
    excluded_client_ids = forms.MultipleChoiceField(
        label=_("Excluded apps"), required=False, widget=forms.CheckboxSelectMultiple
    )
    risk_levels = forms.MultipleChoiceField(
        label=_("Sign-in risk"),
        required=False,
        choices=[("low", _("Low")), ("medium", _("Medium")), ("high", _("High"))],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unchecked to apply at any risk."),
    )
    locations = forms.ChoiceField(
        label=_("Include locations"),
        choices=LocationScope.choices,
        initial=LocationScope.ANY,
        widget=forms.RadioSelect,
    )
    included_location_ids = forms.MultipleChoiceField(
        label=_("Selected locations"), required=False, widget=forms.CheckboxSelectMultiple
    )
    exclude_trusted_locations = forms.BooleanField(
        label=_("Exclude all trusted locations"), required=False
    )
    excluded_location_ids = forms.MultipleChoiceField(
        label=_("Excluded locations"), required=False, widget=forms.CheckboxSelectMultiple
    )
    grant = forms.ChoiceField(
        label=_("Grant"), choices=GrantControl.choices, widget=forms.RadioSelect
    )
    state = forms.ChoiceField(
        label=_("Enable policy"),
        choices=PolicyState.choices,
        initial=PolicyState.REPORT_ONLY,
        widget=forms.RadioSelect,
        help_text=_("Report-only evaluates the policy at each sign-in without enforcing it."),
    )

    def __init__(self, *args: Any, apps: Choices, locations: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("client_ids", "excluded_client_ids"):
            self.fields[name].choices = apps  # type: ignore[attr-defined]
        for name in ("included_location_ids", "excluded_location_ids"):
            self.fields[name].choices = locations  # type: ignore[attr-defined]

    def clean_excluded_customer_emails(self) -> list[str]:
        return _entries(str(self.cleaned_data["excluded_customer_emails"]))

    def policy_settings(self) -> PolicySettings:
        """The cleaned values as the protection services take them."""
        data = self.cleaned_data
        return PolicySettings(
            name=data["name"],
            state=data["state"],
            grant=data["grant"],
            excluded_customer_emails=data["excluded_customer_emails"],
            all_apps=data["apps"] == _ALL_APPS,
            client_ids=data["client_ids"],
            excluded_client_ids=data["excluded_client_ids"],
            risk_levels=data["risk_levels"],
            locations=data["locations"],
            included_location_ids=data["included_location_ids"],
            exclude_trusted_locations=data["exclude_trusted_locations"],
            excluded_location_ids=data["excluded_location_ids"],
        )


def policy_initial(
    policy: ConditionalAccessPolicy,
    *,
    emails: list[str],
    included: list[NamedLocation],
    excluded: list[NamedLocation],
) -> dict[str, Any]:
    """The edit form's values for a stored policy."""
    return {
        "name": policy.name,
        "excluded_customer_emails": "\n".join(emails),
        "apps": _ALL_APPS if policy.all_apps else _SELECTED_APPS,
        "client_ids": policy.client_ids,
        "excluded_client_ids": policy.excluded_client_ids,
        "risk_levels": policy.risk_levels,
        "locations": policy.locations,
        "included_location_ids": [str(location.location_id) for location in included],
        "exclude_trusted_locations": policy.exclude_trusted_locations,
        "excluded_location_ids": [str(location.location_id) for location in excluded],
        "grant": policy.grant,
        "state": policy.state,
    }


class NamedLocationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=256)
    ip_ranges = forms.CharField(
        label=_("IP ranges"),
        max_length=MAX_IP_RANGES * 50,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "IPv4 and IPv6 ranges in CIDR notation, one a line (203.0.113.0/24, 2001:db8::/48); "
            "a single address is a range of one. Locations are IP ranges only: countries are "
            "not offered."
        ),
    )
    trusted = forms.BooleanField(label=_("Mark as trusted location"), required=False)

    def clean_ip_ranges(self) -> list[str]:
        return _entries(str(self.cleaned_data["ip_ranges"]))


def named_location_initial(location: NamedLocation) -> dict[str, Any]:
    return {
        "name": location.name,
        "ip_ranges": "\n".join(location.ip_ranges),
        "trusted": location.trusted,
    }
