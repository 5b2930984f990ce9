"""Template helpers of the hosted pages."""

from django import template
from django.forms import BoundField
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from branding.overrides import customized_text
from federation.models import ProviderKind
from journey import linking
from journey.providers import providers_of_flow
from journey.selectors import app_name_for_request, flow_for_request

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


# allauth's fields that carry a customizable string of Entra's (branding/strings.py).
_STRING_IDS = {
    "email": "Attribute_Email",
    "login": "Attribute_Email",
    "password": "Attribute_Password",
}


@register.filter
def field_label(field: BoundField) -> str:
    string_id = _STRING_IDS.get(field.name)
    if string_id is not None:
        return customized_text(string_id)
    return str(_LABELS.get(field.name, field.label))


@register.simple_tag(takes_context=True)
def signing_in_app_name(context: template.Context) -> str:
    """`{% signing_in_app_name as app_name %}`: the name of the app the customer is signing
    in to, "" when none."""
    request = context.get("request")
    return app_name_for_request(request) if request is not None else ""


@register.inclusion_tag("socialaccount/_link_offer_notice.html", takes_context=True)
def link_offer_notice(context: template.Context) -> dict[str, object]:
    """`{% link_offer_notice %}`: on the sign-in pages, while a link offer waits for the
    customer to sign in (journey/linking.py), which account and which provider it is for."""
    request = context.get("request")
    offer = linking.offer_current(request) if request is not None else None
    return {"offer": offer}


@register.inclusion_tag("socialaccount/_provider_buttons.html", takes_context=True)
def identity_provider_buttons(context: template.Context) -> dict[str, object]:
    """`{% identity_provider_buttons %}`: one "Continue with <name>" button per identity
    provider the user flow of the auth transaction enables, each a POST form to allauth's
    provider login (allauth starts a sign-in on POST only) that comes back to `next`."""
    request = context.get("request")
    flow = flow_for_request(request) if request is not None else None
    buttons = []
    for provider in providers_of_flow(flow) if flow is not None else []:
        if provider.kind == ProviderKind.OPENID_CONNECT:
            url = reverse("openid_connect_login", kwargs={"provider_id": provider.slug})
        else:
            url = reverse(f"{provider.kind}_login")
        buttons.append({"name": provider.display_name, "kind": provider.kind, "url": url})
    return {
        "buttons": buttons,
        "next": context.get("redirect_field_value") or "",
        "csrf_token": context.get("csrf_token"),
    }
