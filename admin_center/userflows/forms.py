from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.attributes import BUILTIN_ATTRIBUTES, DataType
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
    name = forms.CharField(label=_("Name"), max_length=128)
    sign_in_method = forms.ChoiceField(
        label=_("Email accounts"), choices=SignInMethod.choices, widget=forms.RadioSelect
    )
    sign_up_allowed = forms.BooleanField(label=_("Customers can sign up"), required=False)


class FlowAttributeForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=256, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    input_type = forms.ChoiceField(label=_("Input type"), choices=[])
    options = forms.CharField(
        label=_("Options, one per line: text | value"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, input_types: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["input_type"].choices = [(t, t) for t in input_types]  # type: ignore[attr-defined]

    def parsed_options(self) -> list[dict[str, str]]:
        options = []
        for line in self.cleaned_data["options"].splitlines():
            if not line.strip():
                continue
            text, sep, value = line.rpartition("|")
            if not sep:
                text, value = line, line
            options.append({"text": text.strip(), "value": value.strip()})
        return options


class CustomAttributeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    data_type = forms.ChoiceField(label=_("Data type"), choices=DataType.choices)
    description = forms.CharField(label=_("Description"), max_length=256, required=False)
    user_editable = forms.BooleanField(
        label=_("Customers may change it through the profile API"), required=False, initial=True
    )
