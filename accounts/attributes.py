"""The user attributes a tenant can collect and emit: one table of built-in attributes and one
table of attribute types (Zulip's pattern for custom profile fields).

A custom attribute's data type decides everything about its values, in one row of
`ATTRIBUTE_TYPES`: the input types a user flow may ask for it with (and the hosted page's field
for each), the cleaner every value passes before it is stored (hosted sign-up, the admin center
and the profile API alike), the admin center's field, and the converter from a stored value to
the value its claim and the profile API carry. The hosted pages, the admin center, the services
and the claims read this table instead of each branching on the type.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenants.whole_numbers import whole_number


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

CUSTOM_STRING_MAX_LENGTH = 250
MAX_CUSTOM_ATTRIBUTES = 100
# Int values are 64-bit signed, whichever way they arrive.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def extension_claim_name(extensions_app_id: uuid.UUID, name: str) -> str:
    """Entra's name for a custom attribute's claim: `extension_<app ID without hyphens>_<name>`
    (the extensions app's ID is the tenant's `accounts.models.Directory`). Its language-file key
    is the same name after `Attribute_` (branding/strings.py)."""
    return f"extension_{extensions_app_id.hex}_{name}"


# Claim names a custom attribute's name must not shadow, even lower-cased.
RESERVED_CLAIMS = frozenset(
    {"sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "ver", "email", "name", "scp", "roles"}
)


class DataType(models.TextChoices):
    """A custom attribute's data type (Entra's String, Boolean and Int)."""

    STRING = "string", _("String")
    BOOLEAN = "boolean", _("Boolean")
    INT = "int", _("Int")


class InputType(models.TextChoices):
    """How a user flow's page asks for an attribute (Entra's user input types)."""

    TEXT_BOX = "TextBox"
    RADIO_SINGLE_SELECT = "RadioSingleSelect"
    CHECKBOX_MULTI_SELECT = "CheckboxMultiSelect"
    CHECKBOX_SINGLE_SELECT = "CheckboxSingleSelect"
    NUMERIC_TEXT_BOX = "NumericTextBox"


# What a custom attribute holds once cleaned: the JSON type of its data type.
AttributeValue = str | bool | int


def storable_text(text: str) -> bool:
    """Whether PostgreSQL can store the text: its text and jsonb types hold neither NUL nor a
    lone UTF-16 surrogate. Form values cannot carry either (the request guard refuses NUL and
    form bodies are decoded as UTF-8), but a JSON string can, as `\\u0000` or `\\ud800`."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def several_values(values: Sequence[str]) -> str:
    """Several picked options as one value: Entra stores and emits them comma-separated (which
    is why option values hold no comma)."""
    return ",".join(values)


@dataclass(frozen=True)
class AttributeChoices:
    """The options user flows offer for one custom attribute."""

    multiple: bool
    options: list[tuple[str, str]]  # (value, text)


# --- Cleaners: every value on its way to storage, whoever sent it -------------------------------


def _clean_string(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(gettext("Enter text."))
    if not storable_text(value):
        raise ValidationError(gettext("This text holds characters that cannot be stored."))
    text = value.strip()  # stored as checked, as the built-in attributes are
    if len(text) > CUSTOM_STRING_MAX_LENGTH:
        raise ValidationError(
            gettext("At most %(max)d characters.") % {"max": CUSTOM_STRING_MAX_LENGTH}
        )
    return text


def _clean_boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ValidationError(gettext("Use true or false."))


def _clean_int(value: object) -> int:
    # ASCII digits only: int() alone also reads "1_000" and Arabic-Indic "١٢".
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and (read := whole_number(value.strip(), signed=True)) is not None:
        number = read
    else:
        raise ValidationError(gettext("Enter a whole number."))
    if not INT_MIN <= number <= INT_MAX:
        raise ValidationError(gettext("This number is too large."))
    return number


# --- Claim converters: a stored value as its claim and the profile API carry it ----------------
# A stored value of another JSON type (only a write that bypassed the cleaner could leave one) is
# no value of the attribute: it is left out rather than emitted under the declared type.


def _string_claim(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _boolean_claim(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _int_claim(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- The hosted pages' fields, one per input type -----------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """What a user flow says about one attribute on its page."""

    label: str
    required: bool
    max_length: int = CUSTOM_STRING_MAX_LENGTH  # for text boxes; built-ins have their own
    choices: Sequence[tuple[str, str]] = ()  # (value, text) for the input types with options


class WholeNumberField(forms.IntegerField):
    """A whole number in ASCII digits: Django's field hands the text to int(), which also
    reads "1_000" and Arabic-Indic "١٢" (the NumericTextBox input type is for 0-9)."""

    def to_python(self, value: Any) -> int | None:
        text = str(value).strip() if value is not None else ""
        if text and whole_number(text, signed=True) is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        number: int | None = super().to_python(text)
        return number


def _text_box(spec: FieldSpec) -> forms.Field:
    return forms.CharField(label=spec.label, max_length=spec.max_length, required=spec.required)


def _radio_single_select(spec: FieldSpec) -> forms.Field:
    return forms.ChoiceField(
        label=spec.label,
        choices=list(spec.choices),
        required=spec.required,
        widget=forms.RadioSelect,
    )


def _checkbox_multi_select(spec: FieldSpec) -> forms.Field:
    return forms.MultipleChoiceField(
        label=spec.label,
        choices=list(spec.choices),
        required=spec.required,
        widget=forms.CheckboxSelectMultiple,
    )


def _checkbox_single_select(spec: FieldSpec) -> forms.Field:
    return forms.BooleanField(label=spec.label, required=spec.required)


def _numeric_text_box(spec: FieldSpec) -> forms.Field:
    return WholeNumberField(
        label=spec.label, required=spec.required, min_value=INT_MIN, max_value=INT_MAX
    )


def _as_given(value: Any) -> object:
    return value


@dataclass(frozen=True)
class InputKind:
    """One input type: the hosted page's field for it, and how that field's cleaned value goes
    to its data type's cleaner (an empty one, "" or None, removes the attribute's value)."""

    input_type: InputType
    field: Callable[[FieldSpec], forms.Field]
    value: Callable[[Any], object] = _as_given
    with_options: bool = False  # the flow lists the options to pick from


# --- The admin center's field, one per data type ------------------------------------------------


@dataclass(frozen=True)
class EditSpec:
    """One custom attribute on the admin center's customer profile. Its field is optional (an
    empty value removes the attribute's value), shows the stored value, and hands the service
    text that the data type's cleaner reads, so the cleaner's messages are the field errors."""

    label: str
    help_text: str
    value: object  # the stored value, None when there is none
    offered: AttributeChoices | None = None  # the options user flows offer for it, if any


def _edit_string(spec: EditSpec) -> forms.Field:
    if spec.offered is None:
        return forms.CharField(
            label=spec.label,
            help_text=spec.help_text,
            required=False,
            initial=spec.value,
            # The length is a hint for the browser; the cleaner is what enforces it.
            widget=forms.TextInput(attrs={"maxlength": str(CUSTOM_STRING_MAX_LENGTH)}),
        )
    stored = "" if spec.value is None else str(spec.value)
    picked = [part for part in stored.split(",") if part] if spec.offered.multiple else [stored]
    options = list(spec.offered.options)
    # A value stored before the options changed stays selectable, so saving other fields
    # never fails on it.
    known = {option for option, _text in options}
    for part in picked:
        if part and part not in known:
            options.append((part, part))
            known.add(part)
    if spec.offered.multiple:
        return forms.MultipleChoiceField(
            label=spec.label,
            help_text=spec.help_text,
            required=False,
            choices=options,
            initial=picked if spec.value is not None else None,
            widget=forms.CheckboxSelectMultiple,
        )
    return forms.ChoiceField(
        label=spec.label,
        help_text=spec.help_text,
        required=False,
        choices=[("", _("Not set")), *options],
        initial=spec.value,
    )


def _edit_boolean(spec: EditSpec) -> forms.Field:
    return forms.ChoiceField(
        label=spec.label,
        help_text=spec.help_text,
        required=False,
        choices=[("", _("Not set")), ("true", _("Yes")), ("false", _("No"))],
        initial=("true" if spec.value else "false") if isinstance(spec.value, bool) else spec.value,
    )


def _edit_int(spec: EditSpec) -> forms.Field:
    # Text, not WholeNumberField: the cleaner's own messages ("This number is too large.") are
    # what the admin reads, as the profile API's clients do.
    return forms.CharField(
        label=spec.label,
        help_text=spec.help_text,
        required=False,
        initial=spec.value,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


# --- The table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeType:
    """Everything one data type decides about an attribute's values."""

    data_type: DataType
    inputs: tuple[InputKind, ...]  # the input types it allows; the first is the default (Entra)
    clean: Callable[[object], AttributeValue]  # raises ValidationError with the field's message
    edit_field: Callable[[EditSpec], forms.Field]
    claim_value: Callable[[object], AttributeValue | None]  # None: no value to emit

    @property
    def input_types(self) -> tuple[InputType, ...]:
        return tuple(kind.input_type for kind in self.inputs)


ATTRIBUTE_TYPES: dict[str, AttributeType] = {
    row.data_type: row
    for row in (
        AttributeType(
            data_type=DataType.STRING,
            inputs=(
                InputKind(InputType.TEXT_BOX, _text_box),
                InputKind(InputType.RADIO_SINGLE_SELECT, _radio_single_select, with_options=True),
                InputKind(
                    InputType.CHECKBOX_MULTI_SELECT,
                    _checkbox_multi_select,
                    value=several_values,
                    with_options=True,
                ),
            ),
            clean=_clean_string,
            edit_field=_edit_string,
            claim_value=_string_claim,
        ),
        AttributeType(
            data_type=DataType.BOOLEAN,
            inputs=(
                # An optional box left unticked is an answer, "no": BooleanField cleans it to
                # False, which is stored, where other empty values remove the stored one.
                InputKind(InputType.CHECKBOX_SINGLE_SELECT, _checkbox_single_select),
            ),
            clean=_clean_boolean,
            edit_field=_edit_boolean,
            claim_value=_boolean_claim,
        ),
        AttributeType(
            data_type=DataType.INT,
            inputs=(InputKind(InputType.NUMERIC_TEXT_BOX, _numeric_text_box),),
            clean=_clean_int,
            edit_field=_edit_int,
            claim_value=_int_claim,
        ),
    )
}

# Each input type serves one data type, so it is found from the table alone.
INPUT_KINDS: dict[str, InputKind] = {
    kind.input_type: kind for row in ATTRIBUTE_TYPES.values() for kind in row.inputs
}
INPUT_TYPES_WITH_OPTIONS = frozenset(
    kind.input_type for kind in INPUT_KINDS.values() if kind.with_options
)
# Built-in attributes are text, asked for in a text box of their own length.
BUILTIN_INPUT_TYPES: tuple[InputType, ...] = (InputType.TEXT_BOX,)


def input_types_for(data_type: str | None) -> tuple[InputType, ...]:
    """The input types a flow may ask for an attribute with, the default first: a custom
    attribute's by its data type, a built-in attribute's (None) a text box."""
    return BUILTIN_INPUT_TYPES if data_type is None else ATTRIBUTE_TYPES[data_type].input_types


def input_kind(input_type: str) -> InputKind:
    """The input kind of a flow's attribute; an input type no service wrote (an old or hand-
    edited row) is asked for in a text box, which the cleaner still checks."""
    return INPUT_KINDS.get(input_type, INPUT_KINDS[InputType.TEXT_BOX])
