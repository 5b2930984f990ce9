from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.attributes import BUILTIN_ATTRIBUTES, INPUT_TYPES_WITH_OPTIONS, DataType
from accounts.models import CustomAttribute
from userflows.models import SignInMethod


def builtin_choices() -> list[tuple[str, str]]:
    return [(key, str(spec.label)) for key, spec in BUILTIN_ATTRIBUTES.items() if key != "email"]


class UserFlowCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=128)
    sign_in_method = forms.ChoiceField(
        label=_("Email accounts"),
        choices=SignInMethod.choices,
        widget=forms.RadioSelect,
        initial=SignInMethod.EMAIL_PASSWORD,
    )
    sign_up_allowed = forms.BooleanField(
        label=_("Customers can sign up"), required=False, initial=True
    )
    builtin_attributes = forms.MultipleChoiceField(
        label=_("Built-in attributes to collect (Email Address is always collected)"),
        choices=builtin_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    custom_attributes = forms.ModelMultipleChoiceField(
        label=_("Custom attributes to collect"),
        queryset=CustomAttribute.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, custom: list[CustomAttribute], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["custom_attributes"]
        field.queryset = CustomAttribute.objects.filter(pk__in=[c.pk for c in custom])  # type: ignore[attr-defined]
        field.choices = [(c.pk, f"{c.name} ({c.get_data_type_display()})") for c in custom]  # type: ignore[attr-defined]


class UserFlowPropertiesForm(forms.Form):
    """The flow's Properties section: its name and whether customers may sign up."""

    name = forms.CharField(label=_("Name"), max_length=128)
    sign_up_allowed = forms.BooleanField(
        label=_("Customers can sign up"),
        required=False,
        help_text=_("Off: only customers who already have an account can sign in."),
    )


class SignInMethodForm(forms.Form):
    """The flow's Identity providers section: how email accounts sign in."""

    sign_in_method = forms.ChoiceField(
        label=_("Email accounts"), choices=SignInMethod.choices, widget=forms.RadioSelect
    )


class FlowIdentityProvidersForm(forms.Form):
    """The flow's Identity providers section: which of the tenant's social and OpenID Connect
    providers it offers, and whether its customers may manage their linked identities
    themselves. `providers` are (row ID, label) pairs."""

    identity_providers = forms.TypedMultipleChoiceField(
        label=_("Offered in this user flow"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    identities_self_service = forms.BooleanField(
        label=_("Customers may see and remove their linked identities"), required=False
    )

    def __init__(
        self, *args: Any, providers: list[tuple[int, str]], identities_url: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identity_providers"].choices = providers  # type: ignore[attr-defined]
        self.fields["identities_self_service"].help_text = _(
            "On a page of their own, signed in, in the app's branding: the flow's apps link "
            "their customers to %(url)s?client_id=<the app's client ID>."
        ) % {"url": identities_url}


class UserAttributesForm(forms.Form):
    """The flow's User attributes section: which attributes it collects at sign-up (besides
    Email Address, always collected) and which of them are required. A value is
    `builtin:<key>` or `custom:<row ID>`; "required" on an attribute not collected is ignored."""

    collect = forms.MultipleChoiceField(
        label=_("Collect"), required=False, widget=forms.CheckboxSelectMultiple
    )
    required = forms.MultipleChoiceField(
        label=_("Required"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, custom: list[CustomAttribute], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.custom = {f"custom:{attribute.pk}": attribute for attribute in custom}
        choices = [(f"builtin:{key}", label) for key, label in builtin_choices()] + [
            (key, attribute.name) for key, attribute in self.custom.items()
        ]
        for name in ("collect", "required"):
            self.fields[name].choices = choices  # type: ignore[attr-defined]

    def chosen(self) -> tuple[dict[str, bool], dict[CustomAttribute, bool]]:
        """The collected built-in keys and custom attributes, each mapped to whether it is
        required."""
        required = set(self.cleaned_data["required"])
        builtin: dict[str, bool] = {}
        custom: dict[CustomAttribute, bool] = {}
        for value in self.cleaned_data["collect"]:
            kind, _sep, key = value.partition(":")
            if kind == "builtin":
                builtin[key] = value in required
            else:
                custom[self.custom[value]] = value in required
        return builtin, custom


class FlowAttributeForm(forms.Form):
    """One row of the flow's Page layouts section (the fields carry the row's prefix,
    `a<row ID>-`, as the section posts every row at once). The input type is a choice only
    where the attribute's data type allows several; "options" exists only where one of them
    takes options, and is required only when the chosen one does."""

    label = forms.CharField(label=_("Label"), max_length=256, required=False)
    input_type = forms.ChoiceField(label=_("Input type"), choices=[])
    options = forms.CharField(
        label=_("Options, one per line: text | value"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    def __init__(
        self, *args: Any, input_types: tuple[str, ...], default_label: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label"].widget.attrs["placeholder"] = default_label
        self.fields["label"].help_text = _("Empty: “%(label)s”.") % {"label": default_label}
        input_type = self.fields["input_type"]
        input_type.choices = [(t, t) for t in input_types]  # type: ignore[attr-defined]
        if len(input_types) == 1:
            input_type.widget = forms.HiddenInput()
            input_type.initial = input_types[0]
        if not INPUT_TYPES_WITH_OPTIONS.intersection(input_types):
            del self.fields["options"]

    @property
    def option_types(self) -> str:
        """The input types that take options, space-separated (for the page's script)."""
        return " ".join(sorted(INPUT_TYPES_WITH_OPTIONS))

    @property
    def takes_options(self) -> bool:
        """Whether the input type shown (as posted, else as stored) takes options."""
        return "options" in self.fields and self["input_type"].value() in INPUT_TYPES_WITH_OPTIONS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("input_type") in INPUT_TYPES_WITH_OPTIONS and not self.parsed_options():
            self.add_error("options", _("Add at least one option."))
        return data

    def parsed_options(self) -> list[dict[str, str]]:
        options = []
        for line in (self.cleaned_data.get("options") or "").splitlines():
            if not line.strip():
                continue
            text, sep, value = line.rpartition("|")
            if not sep:
                text, value = line, line
            options.append({"text": text.strip(), "value": value.strip()})
        return options


class CustomAttributeChangeForm(forms.Form):
    """What can change of a custom attribute once it exists (not its name: claims carry it)."""

    data_type = forms.ChoiceField(
        label=_("Data type"),
        choices=DataType.choices,
        help_text=_("Fixed once a customer has a value for the attribute."),
    )
    description = forms.CharField(label=_("Description"), max_length=256, required=False)
    user_editable = forms.BooleanField(
        label=_("Customers may change it through the profile API"), required=False, initial=True
    )


class CustomAttributeForm(CustomAttributeChangeForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        help_text=_("Letters and digits, starting with a letter. It cannot be changed later."),
    )
    field_order = ("name", "data_type", "description", "user_editable")
