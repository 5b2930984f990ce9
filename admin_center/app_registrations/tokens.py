"""The tenant's token lifetimes and signing keys (Application Administrator or Global
Administrator)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from admin_center.access import tenant_admin_view
from admin_center.app_registrations import forms
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import operation_of, tenant_page
from apps import selectors, services
from apps.models import KeyStatus, SigningKey
from apps.signing import signing_key_rotate
from tenants.endpoints import JWKS
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.selectors import tenant_endpoint_url

_LIFETIMES = (
    "access_token_minutes",
    "id_token_minutes",
    "spa_refresh_token_hours",
    "refresh_token_days",
)


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def token_lifetimes(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    with in_tenant(tenant):
        current = selectors.token_settings()
    before = {name: getattr(current, name) for name in _LIFETIMES}
    form = forms.TokenLifetimesForm(
        request.POST if request.method == "POST" else None, initial=before
    )
    if request.method == "POST" and form.is_valid():
        try:
            with in_tenant(tenant):
                services.token_settings_update(**form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            audit(
                request,
                tenant,
                AuditAction.TOKEN_LIFETIMES_UPDATED,
                target=_("Token lifetimes"),
                before=before,
                after={name: form.cleaned_data[name] for name in _LIFETIMES},
            )
            messages.success(request, _("Token lifetimes saved."))
            return redirect("admin_center:token-configuration", tenant.tenant_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/apps/token_configuration.html",
        {"form": form, "section": "token-configuration"},
    )


def _active_kid() -> str:
    """The kid of the key that signs now (call in the tenant's schema); "" if none does."""
    active = SigningKey.objects.filter(status=KeyStatus.ACTIVE).first()
    return active.kid if active is not None else ""


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def signing_keys(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    with in_tenant(tenant):
        keys = list(SigningKey.objects.exclude(status=KeyStatus.RETIRED).order_by("-created_at"))
    return tenant_page(
        request,
        tenant,
        "admin_center/apps/signing_keys.html",
        {
            "keys": keys,
            "section": "signing-keys",
            "jwks_url": tenant_endpoint_url(tenant, JWKS),
        },
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:signing-keys")
def signing_key_rotate_now(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    with in_tenant(tenant):
        before = _active_kid()
        active = signing_key_rotate()
    audit(
        request,
        tenant,
        AuditAction.SIGNING_KEY_ROTATED,
        target=active.kid,
        before={"active_kid": before},
        after={"active_kid": active.kid},
    )
    messages.success(request, _("Rotated: the next key now signs; the old one is retiring."))
    return redirect("admin_center:signing-keys", tenant.tenant_id)
