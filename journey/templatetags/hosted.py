"""Template helpers of the hosted pages."""

from django import template
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Our words for allauth's fields, in the hosted pages' sentence case (allauth's own labels are
# Title Case, "New Password (again)"); other fields keep their form's label.
_LABELS = {
    "email": _("Email address"),
    "login": _("Email address"),
    "email2": _("Confirm email address"),
    "phone": _("Phone number"),
    "code": _("Code"),
    "password": _("Password"),
    "oldpassword": _("Current password"),
    "password1": _("New password"),
    "password2": _("Confirm new password"),
}


@register.filter
def field_label(field: BoundField) -> str:
    return str(_LABELS.get(field.name, field.label))
