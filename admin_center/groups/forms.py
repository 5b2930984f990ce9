"""The Groups section's forms (admin center, English only)."""

from django import forms

from accounts.selectors import SEARCH_MAX_LENGTH
from accounts.services.groups import GROUP_DESCRIPTION_MAX_LENGTH, GROUP_NAME_MAX_LENGTH


class GroupSearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        help_text="The start of a group's name.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class GroupForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=GROUP_NAME_MAX_LENGTH)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=GROUP_DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label="Customer's email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
