"""Writes about customers' attributes: custom attribute definitions and profile values."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.attributes import (
    ATTRIBUTE_TYPES,
    BUILTIN_ATTRIBUTES,
    MAX_CUSTOM_ATTRIBUTES,
    RESERVED_CLAIMS,
    AttributeValue,
    DataType,
    storable_text,
)
from accounts.models import CustomAttribute, Directory, User

_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


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
    if data_type not in DataType.values:
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
    if data_type not in DataType.values:
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


def custom_value_clean(*, attribute: CustomAttribute, value: object) -> AttributeValue:
    """Validate one value for a custom attribute with its data type's cleaner (the table in
    `accounts.attributes`): the value as stored, or a ValidationError with a clear message."""
    return ATTRIBUTE_TYPES[attribute.data_type].clean(value)


def builtin_value_clean(*, key: str, value: object) -> str:
    """Validate one value of a built-in attribute (a `BUILTIN_ATTRIBUTES` key other than the
    email address): text PostgreSQL can store, stripped, within the attribute's maximum length
    (Entra's); the value as stored, or a ValidationError with a clear message."""
    spec = BUILTIN_ATTRIBUTES[key]
    if not isinstance(value, str):
        raise ValidationError(_("Enter text."))
    if not storable_text(value):
        raise ValidationError(_("This text holds characters that cannot be stored."))
    text = value.strip()
    if len(text) > spec.max_length:
        raise ValidationError(_("At most %(max)d characters.") % {"max": spec.max_length})
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
        try:
            cleaned_builtin[key] = builtin_value_clean(key=key, value=raw)
        except ValidationError as error:
            errors.setdefault(key, []).extend(error.messages)
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
            cleaned_custom[name] = custom_value_clean(attribute=definition, value=given)
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
