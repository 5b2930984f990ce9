"""Forms of the hosted pages, customising allauth's through ACCOUNT_FORMS, and the fields a
user flow collects, built from one table of attribute types."""

import re
from typing import Any

from allauth.account.forms import LoginForm, PasswordField
from allauth.utils import set_form_field_order
from django import forms
from django.contrib.auth import password_validation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.attributes import (
    BUILTIN_ATTRIBUTES,
    CUSTOM_STRING_MAX_LENGTH,
    FieldSpec,
    InputType,
    input_kind,
)
from accounts.models import User
from apps import lookups
from branding.overrides import customized_text, override_text
from branding.strings import BUILTIN_ATTRIBUTE_IDS, custom_attribute_string_id
from journey import linking, transaction
from userflows.models import UserFlowAttribute
from userflows.selectors import attribute_label

FIELD_PREFIX = "attr_"
_MARKDOWN_LINK = re.compile(r"\[([^\]]{1,200})\]\((https://[^\s()<>\"']{1,500})\)")


def option_label(text: str) -> SafeString:
    """An option's text, escaped, with Markdown links to https URLs made into real links."""
    escaped = escape(text)
    return mark_safe(  # noqa: S308 - every piece is escaped above; the URL allows no quotes
        _MARKDOWN_LINK.sub(
            r'<a href="\2" target="_blank" rel="noopener noreferrer">\1</a>', escaped
        )
    )


def attribute_string_id(item: UserFlowAttribute) -> str:
    """The string ID (branding/strings.py) of a flow attribute's label."""
    if item.builtin:
        return BUILTIN_ATTRIBUTE_IDS.get(item.builtin, "")
    name = item.custom_attribute.name if item.custom_attribute else ""
    return custom_attribute_string_id(extensions_app_id=lookups.extensions_app_id(), name=name)


def attribute_field_label(item: UserFlowAttribute) -> str:
    """What the page calls a flow's attribute: the tenant's language override of its string ID
    in the page's language, else the flow's own label, else the attribute's default label."""
    return override_text(attribute_string_id(item)) or attribute_label(item)


def attribute_field(item: UserFlowAttribute) -> forms.Field:
    """The form field for one attribute of a flow: its input type's field from the table of
    attribute types (a built-in attribute is a text box of its own length)."""
    choices = [(option["value"], option_label(option["text"])) for option in item.options]
    spec = FieldSpec(
        label=attribute_field_label(item),
        required=item.required,
        max_length=(
            BUILTIN_ATTRIBUTES[item.builtin].max_length
            if item.builtin
            else CUSTOM_STRING_MAX_LENGTH
        ),
        choices=choices,
    )
    return input_kind(InputType.TEXT_BOX if item.builtin else item.input_type).field(spec)


class AttributeFormMixin:
    """Adds a flow's attributes to a form, and splits cleaned data into built-in and custom."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_attribute_fields(self, items: list[UserFlowAttribute]) -> None:
        self.attribute_items = [item for item in items if item.builtin != "email"]
        for item in self.attribute_items:
            self.fields[self.field_name(item)] = attribute_field(item)

    @staticmethod
    def field_name(item: UserFlowAttribute) -> str:
        key = item.builtin or (item.custom_attribute.name if item.custom_attribute else "")
        return f"{FIELD_PREFIX}{key}"

    def attribute_values(self) -> tuple[dict[str, object], dict[str, object]]:
        builtin: dict[str, object] = {}
        custom: dict[str, object] = {}
        for item in self.attribute_items:
            value = self.cleaned_data.get(self.field_name(item))
            if item.builtin:
                builtin[item.builtin] = value or ""
            elif item.custom_attribute is not None:
                custom[item.custom_attribute.name] = input_kind(item.input_type).value(value)
        return builtin, custom


def attributes_known(user: User, items: list[UserFlowAttribute]) -> dict[str, object]:
    """The form's initial values: what the customer already has of the flow's attributes (an
    identity provider's claims, say), so the page asks only for the rest."""
    initial: dict[str, object] = {}
    for item in items:
        if item.builtin and item.builtin != "email":
            value: object = getattr(user, item.builtin, "")
        elif item.custom_attribute is not None:
            value = (user.custom_attributes or {}).get(item.custom_attribute.name)
        else:
            continue
        if value not in (None, ""):
            initial[AttributeFormMixin.field_name(item)] = value
    return initial


class ProfileCompletionForm(AttributeFormMixin, forms.Form):
    """The last sign-up step: a password (for password flows) and the flow's attributes."""

    def __init__(
        self,
        *args: Any,
        user: User,
        items: list[UserFlowAttribute],
        with_password: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if with_password:
            password = customized_text("Attribute_Password")
            self.fields["password1"] = forms.CharField(
                label=password,
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                help_text=password_validation.password_validators_help_text_html(),
            )
            self.fields["password2"] = forms.CharField(
                label=customized_text(
                    "Attribute_Generic_ConfirmationLabel",
                    password,
                    page_default=_("Confirm password"),  # better said than "Confirm {0}"
                ),
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            )
        self.add_attribute_fields(items)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password1, password2 = data.get("password1"), data.get("password2")
        if "password1" in self.fields and password1:
            if password1 != password2:
                self.add_error(
                    "password2", customized_text("Attribute_Password_MismatchErrorString")
                )
            else:
                try:
                    password_validation.validate_password(password1, self.user)
                except forms.ValidationError as error:
                    self.add_error("password1", error)
        return data


class CustomerLoginForm(LoginForm):  # type: ignore[misc]
    """allauth's sign-in form with its password field, pre-filled with the email of the
    account a link offer waits for (journey/linking.py), else the one the app suggested.
    (Sign-up asks no password, so allauth would drop the field; flows whose method is the
    one-time passcode never show this form.)"""

    def _setup_password_field(self) -> None:
        # The page links "Forgot password?" itself (templates/account/login.html).
        self.fields["password"] = PasswordField(
            label=customized_text("Attribute_Password"), autocomplete="current-password"
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_form_field_order(self, ["login", "password", "remember"])
        request = kwargs.get("request") or getattr(self, "request", None)
        journey = transaction.current(request) if request is not None else None
        # The app's `login_hint` (OIDC Core §3.1.2.1), when it is an email address.
        hint = journey.login_hint if journey is not None else ""
        offer = linking.offer_current(request) if request is not None else None
        if offer is not None:
            hint = offer.email
        if not self.is_bound and "@" in hint:
            self.fields["login"].initial = hint
