"""Forms of the admin center's customer pages.

They only parse what the browser sends; the services validate the values (lengths, email
addresses, custom attribute types) and their ValidationErrors are put back on the fields here.
"""

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.attributes import (
    ATTRIBUTE_TYPES,
    BUILTIN_ATTRIBUTES,
    AttributeChoices,
    EditSpec,
    several_values,
)
from accounts.models import CustomAttribute, User
from accounts.selectors import SEARCH_MAX_LENGTH
from admin_center.form_errors import form_errors_from

# The built-in attributes an admin edits on the profile, in the order of the page.
PROFILE_BUILTINS = (
    "display_name",
    "given_name",
    "surname",
    "job_title",
    "street_address",
    "city",
    "state",
    "postal_code",
    "country",
)
CUSTOM_FIELD_PREFIX = "custom_"


def _text_input(max_length: int, **attrs: str) -> forms.TextInput:
    # The length is a hint for the browser; the service is what enforces it.
    return forms.TextInput(attrs={"maxlength": str(max_length), **attrs})


class CustomerFilterForm(forms.Form):
    """The list's search box and filters (a GET form)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("The start of an email address or of a display name."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    created_from = forms.DateField(
        label=_("Created from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    created_to = forms.DateField(
        label=_("Created to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    blocked = forms.ChoiceField(
        label=_("Sign-in"),
        required=False,
        choices=[("", _("Any")), ("no", _("Allowed")), ("yes", _("Blocked"))],
    )
    deleted = forms.BooleanField(
        label=_("Show deleted customers (restorable for 30 days)"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("created_from")
        end: date | None = data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", _("The end date comes before the start date."))
        return data

    def filters(self) -> dict[str, Any]:
        """The selector's filters from the valid fields (an invalid one filters nothing)."""
        data = self.cleaned_data if self.is_bound else {}
        blocked = data.get("blocked")
        return {
            "search": data.get("q") or "",
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
            "blocked": {"yes": True, "no": False}.get(blocked or ""),
            "deleted": bool(data.get("deleted")),
        }


class CustomerCreateForm(forms.Form):
    email = forms.CharField(
        label=_("Email address"),
        strip=True,
        widget=forms.EmailInput(
            attrs={"autocomplete": "off", "maxlength": str(BUILTIN_ATTRIBUTES["email"].max_length)}
        ),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        required=False,
        widget=_text_input(BUILTIN_ATTRIBUTES["display_name"].max_length, autocomplete="off"),
    )


class CustomerProfileForm(forms.Form):
    """Built-in attributes (the email address is a sign-in identifier: not edited here) and the
    tenant's custom attributes, each with its data type's field from the table of attribute
    types (Boolean as a yes/no/unset choice, Int as text the service parses, String as text or
    as the options user flows offer for it)."""

    def __init__(
        self,
        *args: Any,
        customer: User,
        attributes: list[CustomAttribute],
        choices: dict[str, AttributeChoices],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.initial = {key: getattr(customer, key) for key in PROFILE_BUILTINS}
        for key in PROFILE_BUILTINS:
            spec = BUILTIN_ATTRIBUTES[key]
            self.fields[key] = forms.CharField(
                label=str(spec.label), required=False, widget=_text_input(spec.max_length)
            )
        self.attributes = attributes
        for attribute in attributes:
            self.fields[self.custom_field_name(attribute)] = ATTRIBUTE_TYPES[
                attribute.data_type
            ].edit_field(
                EditSpec(
                    label=attribute.name,
                    help_text=attribute.description,
                    value=customer.custom_attributes.get(attribute.name),
                    offered=choices.get(attribute.name),
                )
            )

    @staticmethod
    def custom_field_name(attribute: CustomAttribute) -> str:
        return f"{CUSTOM_FIELD_PREFIX}{attribute.name}"

    def builtin_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in PROFILE_BUILTINS]

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[self.custom_field_name(attribute)] for attribute in self.attributes]

    def values(self) -> tuple[dict[str, object], dict[str, object]]:
        """(built-in, custom) values for `customer_profile_update`; several picked options
        travel as one comma-separated string, as user flows store them."""
        builtin: dict[str, object] = {key: self.cleaned_data[key] for key in PROFILE_BUILTINS}
        custom: dict[str, object] = {}
        for attribute in self.attributes:
            value = self.cleaned_data.get(self.custom_field_name(attribute))
            custom[attribute.name] = several_values(value) if isinstance(value, list) else value
        return builtin, custom

    def add_service_errors(self, error: ValidationError) -> None:
        names = {attribute.name: self.custom_field_name(attribute) for attribute in self.attributes}
        form_errors_from(self, error, fields=names)
