"""The hosted pages' customizable strings, keyed by Entra's string IDs: one table.

Each row gives a string ID its default text (translated into every shipped language through
gettext, so a language file's defaults are that language's), the longest override allowed and
Entra's Text-tab group. Custom attributes add one row each, `Attribute_extension_<appid>_<Name>`
(the claim name of accounts/attributes.py `extension_claim_name` after `Attribute_`), whose
default is the attribute's name.

Entra publishes no length limits for these strings; ours keep a title on a line or two and a
description to a paragraph, as the pages are laid out.
"""

import uuid
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.attributes import BUILTIN_ATTRIBUTES, extension_claim_name
from accounts.models import CustomAttribute, Directory

TITLE_MAX = 128
DESCRIPTION_MAX = 1024
LABEL_MAX = 256
CUSTOM_ATTRIBUTE_PREFIX = "Attribute_extension_"


class StringGroup(models.TextChoices):
    """Entra's groups on the branding's Text tab (admin-facing: English, as the admin center)."""

    ATTRIBUTES = "attributes", "Attributes"
    ATTRIBUTE_COLLECTION = "attribute_collection", "Attribute collection"
    SIGN_IN = "sign_in", "Sign in"
    SIGN_UP = "sign_up", "Sign up"
    SISU_OTC = "sisu_otc", "Sign-in/up one time code"


@dataclass(frozen=True)
class StringDefinition:
    """One customizable string. `default` may hold "{0}" (SignIn_Description: the app's
    name; Attribute_Generic_ConfirmationLabel: the attribute confirmed;
    AttributeCollection_Description: the verified email address)."""

    string_id: str
    default: Promise | str
    max_length: int
    group: StringGroup


def _builtin(string_id: str, key: str) -> StringDefinition:
    return StringDefinition(
        string_id, BUILTIN_ATTRIBUTES[key].label, LABEL_MAX, StringGroup.ATTRIBUTES
    )


STRINGS: dict[str, StringDefinition] = {
    definition.string_id: definition
    for definition in (
        StringDefinition(
            "AttributeCollection_Title",
            _("Finish signing up"),
            TITLE_MAX,
            StringGroup.ATTRIBUTE_COLLECTION,
        ),
        StringDefinition(
            "AttributeCollection_Description",
            _("Your email address {0} is verified. A few more details:"),
            DESCRIPTION_MAX,
            StringGroup.ATTRIBUTE_COLLECTION,
        ),
        _builtin("Attribute_City", "city"),
        _builtin("Attribute_Country", "country"),
        _builtin("Attribute_DisplayName", "display_name"),
        StringDefinition("Attribute_Email", _("Email address"), LABEL_MAX, StringGroup.ATTRIBUTES),
        StringDefinition(
            "Attribute_Generic_ConfirmationLabel",
            _("Confirm {0}"),
            LABEL_MAX,
            StringGroup.ATTRIBUTES,
        ),
        _builtin("Attribute_GivenName", "given_name"),
        _builtin("Attribute_JobTitle", "job_title"),
        StringDefinition("Attribute_Password", _("Password"), LABEL_MAX, StringGroup.ATTRIBUTES),
        StringDefinition(
            "Attribute_Password_MismatchErrorString",
            _("The two passwords don't match."),
            LABEL_MAX,
            StringGroup.ATTRIBUTES,
        ),
        _builtin("Attribute_PostalCode", "postal_code"),
        _builtin("Attribute_State", "state"),
        _builtin("Attribute_StreetAddress", "street_address"),
        _builtin("Attribute_Surname", "surname"),
        StringDefinition(
            "SignIn_Description", _("to continue to {0}"), DESCRIPTION_MAX, StringGroup.SIGN_IN
        ),
        StringDefinition("SignIn_Title", _("Sign in"), TITLE_MAX, StringGroup.SIGN_IN),
        StringDefinition(
            "SignUp_Description",
            _("Enter your email address. We'll send you a code to verify it."),
            DESCRIPTION_MAX,
            StringGroup.SIGN_UP,
        ),
        StringDefinition("SignUp_Title", _("Create your account"), TITLE_MAX, StringGroup.SIGN_UP),
        StringDefinition("SisuOtc_Title", _("Check your email"), TITLE_MAX, StringGroup.SISU_OTC),
    )
}

# The built-in attributes' string IDs, by the User field they label.
BUILTIN_ATTRIBUTE_IDS: dict[str, str] = {
    "city": "Attribute_City",
    "country": "Attribute_Country",
    "display_name": "Attribute_DisplayName",
    "email": "Attribute_Email",
    "given_name": "Attribute_GivenName",
    "job_title": "Attribute_JobTitle",
    "postal_code": "Attribute_PostalCode",
    "state": "Attribute_State",
    "street_address": "Attribute_StreetAddress",
    "surname": "Attribute_Surname",
}


def custom_attribute_string_id(*, extensions_app_id: uuid.UUID, name: str) -> str:
    """The string ID of the custom attribute `name`: `Attribute_extension_<appid>_<Name>`,
    `extensions_app_id` being the tenant's (accounts.models.Directory)."""
    return f"Attribute_{extension_claim_name(extensions_app_id, name)}"


def _extensions_app_id() -> uuid.UUID:
    return Directory.objects.get_or_create(singleton=True)[0].extensions_app_id


def tenant_strings() -> dict[str, StringDefinition]:
    """Every string ID of the current tenant: the table, then one row per custom attribute
    (its default: the attribute's name). Call inside the tenant's schema."""
    names = list(CustomAttribute.objects.order_by("name").values_list("name", flat=True))
    if not names:
        return dict(STRINGS)
    app_id = _extensions_app_id()
    custom = {
        string_id: StringDefinition(string_id, name, LABEL_MAX, StringGroup.ATTRIBUTES)
        for name in names
        for string_id in (custom_attribute_string_id(extensions_app_id=app_id, name=name),)
    }
    return {**STRINGS, **custom}
