"""The user attributes a tenant can collect and emit: one table of built-in attributes and one
table of data types (Zulip's pattern), read by forms, validation and claims alike."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class BuiltinAttribute:
    key: str  # the User field
    label: Promise
    max_length: int
    claim: str  # the claim name in tokens and userinfo (OIDC Core §5.1 where one exists)


BUILTIN_ATTRIBUTES: dict[str, BuiltinAttribute] = {
    attribute.key: attribute
    for attribute in (
        BuiltinAttribute("city", _("City"), 128, "city"),
        BuiltinAttribute("country", _("Country/Region"), 128, "country"),
        BuiltinAttribute("display_name", _("Display Name"), 256, "name"),
        BuiltinAttribute("email", _("Email Address"), 254, "email"),
        BuiltinAttribute("given_name", _("Given Name"), 64, "given_name"),
        BuiltinAttribute("job_title", _("Job Title"), 128, "jobTitle"),
        BuiltinAttribute("postal_code", _("Postal Code"), 40, "postalCode"),
        BuiltinAttribute("state", _("State/Province"), 128, "state"),
        BuiltinAttribute("street_address", _("Street Address"), 1024, "streetAddress"),
        BuiltinAttribute("surname", _("Surname"), 64, "family_name"),
    )
}


class DataType:
    STRING = "string"
    BOOLEAN = "boolean"
    INT = "int"


class InputType:
    TEXT_BOX = "TextBox"
    RADIO_SINGLE_SELECT = "RadioSingleSelect"
    CHECKBOX_MULTI_SELECT = "CheckboxMultiSelect"
    CHECKBOX_SINGLE_SELECT = "CheckboxSingleSelect"
    NUMERIC_TEXT_BOX = "NumericTextBox"


# Which input types each data type may use; the first is the default (as in Entra).
INPUT_TYPES_FOR: dict[str, tuple[str, ...]] = {
    DataType.STRING: (
        InputType.TEXT_BOX,
        InputType.RADIO_SINGLE_SELECT,
        InputType.CHECKBOX_MULTI_SELECT,
    ),
    DataType.BOOLEAN: (InputType.CHECKBOX_SINGLE_SELECT,),
    DataType.INT: (InputType.NUMERIC_TEXT_BOX,),
}
INPUT_TYPES_WITH_OPTIONS = frozenset(
    {InputType.RADIO_SINGLE_SELECT, InputType.CHECKBOX_MULTI_SELECT}
)
CUSTOM_STRING_MAX_LENGTH = 250
MAX_CUSTOM_ATTRIBUTES = 100

# Claim names a custom attribute's name must not shadow, even lower-cased.
RESERVED_CLAIMS = frozenset(
    {"sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "ver", "email", "name", "scp", "roles"}
)
