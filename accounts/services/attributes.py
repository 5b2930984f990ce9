"""Writes about customers' attributes: custom attribute definitions and profile values."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.attributes import (
    BUILTIN_ATTRIBUTES,
    CUSTOM_STRING_MAX_LENGTH,
    MAX_CUSTOM_ATTRIBUTES,
    RESERVED_CLAIMS,
)
from accounts.models import CustomAttribute, CustomAttributeDataType, Directory, User
from tenants.whole_numbers import whole_number

_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


def _storable(text: str) -> bool:
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


class CustomAttributeLimitReached(Exception):
    """The tenant already has 100 custom attributes."""


def custom_attribute_create(
    *, name: str, data_type: str, description: str = "", user_editable: bool = True
) -> CustomAttribute:
    """Define a custom attribute (at most 100 per tenant, enforced under a lock)."""
    name = name.strip()
    if not _ATTRIBUTE_NAME.match(name):
        raise ValidationError(
            {"name": _("Start with a letter; use up to 64 letters and digits, no spaces.")}
        )
    if name.lower() in {key.replace("_", "") for key in BUILTIN_ATTRIBUTES} | RESERVED_CLAIMS:
        raise ValidationError({"name": _("This name is reserved for a built-in attribute.")})
    if data_type not in CustomAttributeDataType.values:
        raise ValidationError({"data_type": _("Choose String, Boolean or Int.")})
    if len(description) > 256:
        raise ValidationError({"description": _("At most 256 characters.")})
    with transaction.atomic():
        Directory.objects.get_or_create(singleton=True)
        Directory.objects.select_for_update().get(singleton=True)
        if CustomAttribute.objects.count() >= MAX_CUSTOM_ATTRIBUTES:
            raise CustomAttributeLimitReached()
        if CustomAttribute.objects.filter(name__iexact=name).exists():
            raise ValidationError({"name": _("A custom attribute has this name already.")})
        return CustomAttribute.objects.create(
            name=name,
            data_type=data_type,
            description=description.strip(),
            user_editable=user_editable,
        )


def custom_attribute_update(
    *, attribute: CustomAttribute, data_type: str, description: str, user_editable: bool
) -> CustomAttribute:
    """Change an attribute's description or editability; its data type only while no customer
    has a value for it."""
    if data_type not in CustomAttributeDataType.values:
        raise ValidationError({"data_type": _("Choose String, Boolean or Int.")})
    if (
        data_type != attribute.data_type
        and User.objects.filter(custom_attributes__has_key=attribute.name).exists()
    ):
        raise ValidationError(
            {"data_type": _("Customers have values for this attribute: its data type is fixed.")}
        )
    if len(description) > 256:
        raise ValidationError({"description": _("At most 256 characters.")})
    attribute.data_type = data_type
    attribute.description = description.strip()
    attribute.user_editable = user_editable
    attribute.save(update_fields=["data_type", "description", "user_editable"])
    return attribute


def custom_value_clean(attribute: CustomAttribute, value: object) -> str | bool | int:
    """Validate one value for a custom attribute; raise ValidationError with a clear message."""
    if attribute.data_type == CustomAttributeDataType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        raise ValidationError(_("Use true or false."))
    if attribute.data_type == CustomAttributeDataType.INT:
        # ASCII digits only: int() alone also reads "1_000" and Arabic-Indic "١٢".
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif (
            isinstance(value, str)
            and (read := whole_number(value.strip(), signed=True)) is not None
        ):
            number = read
        else:
            raise ValidationError(_("Enter a whole number."))
        if not -(2**63) <= number < 2**63:
            raise ValidationError(_("This number is too large."))
        return number
    if not isinstance(value, str):
        raise ValidationError(_("Enter text."))
    if not _storable(value):
        raise ValidationError(_("This text holds characters that cannot be stored."))
    text = value.strip()  # stored as checked, as the built-in attributes are
    if len(text) > CUSTOM_STRING_MAX_LENGTH:
        raise ValidationError(_("At most %(max)d characters.") % {"max": CUSTOM_STRING_MAX_LENGTH})
    return text


def customer_profile_update(
    *, user: User, builtin: dict[str, object], custom: dict[str, object], by_customer: bool
) -> User:
    """Validate every value first, then store them all, or nothing (one transaction).

    Customers may change only the custom attributes marked editable; nobody changes an email
    address through a profile update (it is a verified sign-in identifier).
    """
    errors: dict[str, list[str]] = {}
    cleaned_builtin: dict[str, str] = {}
    for key, raw in builtin.items():
        spec = BUILTIN_ATTRIBUTES.get(key)
        if spec is None or key == "email":
            errors.setdefault(key, []).append(str(_("This attribute cannot be changed here.")))
            continue
        if not isinstance(raw, str):
            errors.setdefault(key, []).append(str(_("Enter text.")))
            continue
        value = raw.strip()
        if not _storable(raw):
            errors.setdefault(key, []).append(
                str(_("This text holds characters that cannot be stored."))
            )
            continue
        if len(value) > spec.max_length:
            errors.setdefault(key, []).append(
                str(_("At most %(max)d characters.") % {"max": spec.max_length})
            )
            continue
        cleaned_builtin[key] = value
    definitions = {attribute.name: attribute for attribute in CustomAttribute.objects.all()}
    cleaned_custom: dict[str, object] = {}
    for name, given in custom.items():
        definition = definitions.get(name)
        if definition is None or (by_customer and not definition.user_editable):
            errors.setdefault(name, []).append(str(_("This attribute cannot be changed here.")))
            continue
        if given is None or given == "":
            cleaned_custom[name] = None
            continue
        try:
            cleaned_custom[name] = custom_value_clean(definition, given)
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        for key, text in cleaned_builtin.items():
            setattr(locked, key, text)
        values = dict(locked.custom_attributes)
        for name, cleaned in cleaned_custom.items():
            if cleaned is None:
                values.pop(name, None)
            else:
                values[name] = cleaned
        locked.custom_attributes = values
        locked.save()
    return locked
