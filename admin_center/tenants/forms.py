from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from tenants.models import AdminRole, Tenant
from tenants.services import domain_name_check


class TenantCreateForm(forms.Form):
    display_name = forms.CharField(
        label=_("Tenant name"),
        max_length=256,
        help_text=_("Shown to admins; customers see your company branding instead."),
    )
    domain_name = forms.CharField(
        label=_("Domain name"),
        strip=True,
        help_text=_(
            "3 to 63 lower-case letters, digits and hyphens. It becomes the first part of every "
            "address of the tenant and cannot be changed."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    country = forms.ChoiceField(
        label=_("Country/Region"),
        choices=[("", _("Select a country/region")), *countries],
        help_text=_("Where the tenant's data is kept. It cannot be changed later."),
    )

    def clean_domain_name(self) -> str:
        domain_name: str = self.cleaned_data["domain_name"]
        domain_name_check(domain_name)
        if Tenant.objects.filter(domain_name=domain_name).exists():
            raise ValidationError(
                _("The domain name “%(name)s” is already taken; choose another."),
                params={"name": domain_name},
                code="taken",
            )
        return domain_name


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=AdminRole.choices, **kwargs)

    def clean(self, value: Any) -> list[AdminRole]:
        return [AdminRole(role) for role in super().clean(value)]


class AdminAddForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    roles = RolesField(
        label=_("Roles"),
        error_messages={"required": _("Choose at least one role.")},
    )


class AdminRolesForm(forms.Form):
    roles = RolesField(label=_("Roles"), required=False)
