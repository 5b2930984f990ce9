"""Admin center → Authentication methods → Password protection: the tenant's smart lockout,
request limits and breached-password refusal (Authentication Policy Administrator or Global
Administrator; Entra's "Password protection" page, with the request limits beside it)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import tenant_page
from protection.models import SignInProtection
from protection.selectors import sign_in_protection
from protection.services import sign_in_protection_update
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

SECTION = "password-protection"
# The page's fields, in its order: the model's labels, help texts and ranges.
FIELDS = (
    "lockout_threshold",
    "lockout_seconds",
    "requests_per_second_per_address",
    "requests_per_second_per_tenant",
    "breached_passwords_refused",
)


class PasswordProtectionForm(forms.Form):
    """The settings as the model defines them (its validators give each field its range)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(SignInProtection, fields=FIELDS))

    @property
    def lockout_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FIELDS[:2]]

    @property
    def limit_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FIELDS[2:4]]

    @property
    def password_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FIELDS[4:]]


@tenant_admin_view(Capability.MANAGE_AUTHENTICATION_METHODS)
@require_http_methods(["GET", "POST"])
def password_protection(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The settings; a POST saves all of them or none, audited with what changed."""
    with in_tenant(tenant):
        current = sign_in_protection()
    before = {name: getattr(current, name) for name in FIELDS}
    form = PasswordProtectionForm(
        request.POST if request.method == "POST" else None, initial=before
    )
    if request.method == "POST" and form.is_valid():
        after = {name: form.cleaned_data[name] for name in FIELDS}
        try:
            with in_tenant(tenant):
                sign_in_protection_update(**after)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            audit(
                request,
                tenant,
                AuditAction.SIGN_IN_PROTECTION_UPDATED,
                target=_("Password protection"),
                before=before,
                after=after,
            )
            messages.success(request, _("Password protection saved."))
            return redirect("admin_center:password-protection", tenant.tenant_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/protection/lockout.html",
        {"form": form, "section": SECTION},
        status=400 if form.is_bound and form.errors else 200,
    )
