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
from django.utils.translation import gettext_lazy as _

from accounts.attributes import BUILTIN_ATTRIBUTES, CUSTOM_STRING_MAX_LENGTH, InputType
from accounts.models import User
from ciam_portal.whole_numbers import whole_number
from journey import transaction
from userflows.models import UserFlowAttribute

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


def attribute_label(item: UserFlowAttribute) -> str:
    if item.label:
        return item.label
    if item.builtin:
        return str(BUILTIN_ATTRIBUTES[item.builtin].label)
    return item.custom_attribute.name if item.custom_attribute else ""


class WholeNumberField(forms.IntegerField):
    """A whole number in ASCII digits: Django's field hands the text to int(), which also
    reads "1_000" and Arabic-Indic "١٢" (the NumericTextBox input type is for 0-9)."""

    def to_python(self, value: Any) -> int | None:
        text = str(value).strip() if value is not None else ""
        if text and whole_number(text, signed=True) is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        number: int | None = super().to_python(text)
        return number


def attribute_field(item: UserFlowAttribute) -> forms.Field:
    """The form field for one attribute of a flow, by data type and input type."""
    label = attribute_label(item)
    if item.builtin:
        spec = BUILTIN_ATTRIBUTES[item.builtin]
        return forms.CharField(label=label, max_length=spec.max_length, required=item.required)
    choices = [(option["value"], option_label(option["text"])) for option in item.options]
    if item.input_type == InputType.RADIO_SINGLE_SELECT:
        return forms.ChoiceField(
            label=label, choices=choices, required=item.required, widget=forms.RadioSelect
        )
    if item.input_type == InputType.CHECKBOX_MULTI_SELECT:
        return forms.MultipleChoiceField(
            label=label,
            choices=choices,
            required=item.required,
            widget=forms.CheckboxSelectMultiple,
        )
    if item.input_type == InputType.CHECKBOX_SINGLE_SELECT:
        return forms.BooleanField(label=label, required=item.required)
    if item.input_type == InputType.NUMERIC_TEXT_BOX:
        return WholeNumberField(
            label=label, required=item.required, min_value=-(2**63), max_value=2**63 - 1
        )
    return forms.CharField(label=label, max_length=CUSTOM_STRING_MAX_LENGTH, required=item.required)


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
                if isinstance(value, list):
                    value = ",".join(value)  # several values travel as one string (Entra)
                if item.input_type == InputType.CHECKBOX_SINGLE_SELECT:
                    value = bool(value)
                custom[item.custom_attribute.name] = value
        return builtin, custom


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
            self.fields["password1"] = forms.CharField(
                label=_("Password"),
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                help_text=password_validation.password_validators_help_text_html(),
            )
            self.fields["password2"] = forms.CharField(
                label=_("Confirm password"),
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            )
        self.add_attribute_fields(items)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password1, password2 = data.get("password1"), data.get("password2")
        if "password1" in self.fields and password1:
            if password1 != password2:
                self.add_error("password2", _("The two passwords don't match."))
            else:
                try:
                    password_validation.validate_password(password1, self.user)
                except forms.ValidationError as error:
                    self.add_error("password1", error)
        return data


class CustomerLoginForm(LoginForm):  # type: ignore[misc]
    """allauth's sign-in form with its password field, pre-filled with the email the app
    suggested. (Sign-up asks no password, so allauth would drop the field; flows whose method is
    the one-time passcode never show this form.)"""

    def _setup_password_field(self) -> None:
        # The page links "Forgot password?" itself (templates/account/login.html).
        self.fields["password"] = PasswordField(
            label=_("Password"), autocomplete="current-password"
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_form_field_order(self, ["login", "password", "remember"])
        request = kwargs.get("request") or getattr(self, "request", None)
        journey = transaction.current(request) if request is not None else None
        # The app's `login_hint` (OIDC Core §3.1.2.1), when it is an email address.
        hint = journey.login_hint if journey is not None else ""
        if not self.is_bound and "@" in hint:
            self.fields["login"].initial = hint
