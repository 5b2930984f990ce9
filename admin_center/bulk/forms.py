"""The form of the customer import page: it only parses; bulk.services checks the file."""

from django import forms

from bulk.models import ImportFormat


class CustomerImportForm(forms.Form):
    file = forms.FileField(
        label="File of customers",
        help_text="CSV with a header row, or JSON (an array of objects or JSON Lines); at most "
        "50 MB. Start from the template.",
    )
    file_format = forms.ChoiceField(
        label="Format",
        choices=ImportFormat.choices,
        initial=ImportFormat.CSV,
        widget=forms.RadioSelect,
    )
