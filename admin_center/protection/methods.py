"""Admin center → Authentication methods (Authentication Policy Administrator or Global
Administrator): the second factors the tenant offers, email one-time passcode, authenticator
app (TOTP) and passkeys, each on or off; every change audited with what it was and became.

The page warns where Entra's rule bites: a user flow whose customers sign in with an emailed
code is never offered the emailed code as its second factor, so it needs the authenticator app
or passkeys for a second factor to be possible there at all.
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.pages import tenant_page
from admin_center.protection.otp_send import OtpSendForm, otp_send_context
from extensions.models import ExtensionListener
from extensions.otp_listeners import (
    OtpListenerRefused,
    otp_extensions,
    otp_listener,
    otp_listener_remove,
    otp_listener_set,
)
from protection.methods import authentication_methods_policy_update
from protection.selectors import authentication_methods_policy
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from userflows.models import SignInMethod, UserFlow

SECTION = "authentication-methods"
_METHODS = ("email_otp_enabled", "totp_enabled", "passkeys_enabled")


class AuthenticationMethodsForm(forms.Form):
    email_otp_enabled = forms.BooleanField(
        label=gettext_lazy("Email one-time passcode"),
        required=False,
        help_text=gettext_lazy(
            "An 8-digit code emailed to the customer's verified address. Never the second "
            "factor of a sign-in that began with an emailed code."
        ),
    )
    totp_enabled = forms.BooleanField(
        label=gettext_lazy("Authenticator app (TOTP)"),
        required=False,
        help_text=gettext_lazy(
            "A 6-digit code from an app such as Microsoft Authenticator or Google "
            "Authenticator, set up by scanning a QR code."
        ),
    )
    passkeys_enabled = forms.BooleanField(
        label=gettext_lazy("Passkeys (WebAuthn)"),
        required=False,
        help_text=gettext_lazy(
            "A passkey or security key on the customer's device, unlocked with a fingerprint, "
            "face or PIN."
        ),
    )


def _code_flows() -> list[str]:
    """The names of the user flows whose customers sign in with an emailed code (call in the
    tenant's schema)."""
    return list(
        UserFlow.objects.filter(sign_in_method=SignInMethod.EMAIL_OTP)
        .order_by("name")
        .values_list("name", flat=True)
    )


@tenant_admin_view(Capability.MANAGE_AUTHENTICATION_METHODS)
@require_http_methods(["GET", "POST"])
def authentication_methods(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _methods_page(request, tenant)


def _methods_page(
    request: HttpRequest, tenant: Tenant, otp_form: OtpSendForm | None = None
) -> HttpResponse:
    with in_tenant(tenant):
        policy = authentication_methods_policy()
        code_flows = _code_flows()
        otp = otp_send_context(otp_form)
    before = {name: getattr(policy, name) for name in _METHODS}
    form = AuthenticationMethodsForm(
        request.POST if request.method == "POST" and otp_form is None else None, initial=before
    )
    if request.method == "POST" and otp_form is None and form.is_valid():
        after = {name: bool(form.cleaned_data[name]) for name in _METHODS}
        with in_tenant(tenant):
            authentication_methods_policy_update(**after)
        audit(
            request,
            tenant,
            AuditAction.AUTHENTICATION_METHODS_UPDATED,
            target=_("Authentication methods"),
            before=before,
            after=after,
        )
        messages.success(request, _("Authentication methods saved."))
        return redirect("admin_center:authentication-methods", tenant.tenant_id)
    shown = form.cleaned_data if form.is_bound and form.is_valid() else before
    return tenant_page(
        request,
        tenant,
        "admin_center/protection/methods.html",
        {
            "form": form,
            "section": SECTION,
            "code_flows": code_flows,
            # A second factor is impossible after an emailed code without these two.
            "code_flows_stranded": bool(code_flows)
            and not (shown["totp_enabled"] or shown["passkeys_enabled"]),
            "none_enabled": not any(shown[name] for name in _METHODS),
            **otp,
        },
    )


def _listener_record(listener: ExtensionListener) -> dict[str, object]:
    return {
        "extension": listener.extension.name,
        "extension_id": str(listener.extension.extension_id),
        "failure_policy": listener.failure_policy,
    }


@tenant_admin_view(Capability.MANAGE_AUTHENTICATION_METHODS)
@require_POST
def otp_send_listener(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Set the tenant's OnOtpSend listener (its extension and failure policy), or remove it
    ("remove" in the POST): codes then go out by our email again. Audited either way."""
    target = _("OnOtpSend listener")
    if "remove" in request.POST:
        with in_tenant(tenant):
            listener = otp_listener()
            removed = otp_listener_remove()
        if removed and listener is not None:
            audit(
                request,
                tenant,
                AuditAction.EXTENSION_LISTENER_REMOVED,
                target=target,
                details=_listener_record(listener),
            )
            messages.success(request, _("Codes are sent by email again."))
        return redirect("admin_center:authentication-methods", tenant.tenant_id)
    with in_tenant(tenant):
        earlier = otp_listener()
        form = OtpSendForm(request.POST, extensions=otp_extensions())
        saved = None
        if form.is_valid():
            try:
                saved = otp_listener_set(
                    extension=form.chosen_extension(),
                    failure_policy=form.cleaned_data["failure_policy"],
                )
            except OtpListenerRefused as refused:
                form.add_error(None, str(refused))
    if saved is None:
        return _methods_page(request, tenant, otp_form=form)
    audit(
        request,
        tenant,
        AuditAction.EXTENSION_LISTENER_SET,
        target=target,
        before=_listener_record(earlier) if earlier is not None else {},
        after=_listener_record(saved),
    )
    messages.success(request, _("Codes are sent by “%(name)s”.") % {"name": saved.extension.name})
    return redirect("admin_center:authentication-methods", tenant.tenant_id)
