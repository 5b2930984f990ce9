"""A service's ValidationError, put back on the admin-center form that sent the values."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError


def form_errors_from(
    form: forms.Form, error: ValidationError, *, fields: Mapping[str, str] | None = None
) -> None:
    """Put each message of a service's ValidationError on the field it names.

    Services name the values they were given (`redirect_uris`, `expires_at`); `fields` maps such
    a name to the form's field where they differ. A message about a value the form has no field
    for, or one that names nothing, is shown above the form.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    names = fields or {}
    for key, messages in error.message_dict.items():
        field = names.get(key, key)
        form.add_error(field if field in form.fields else None, messages)
