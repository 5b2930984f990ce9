"""`{% load branding_text %}{% text "SignIn_Title" %}`: a customizable string of the hosted pages
(branding/strings.py) as the tenant customized it for the page's language, else its translated
default; `{% text "SignIn_Description" app_name %}` fills "{0}" with the app's name. The result
is escaped by the template like any text."""

from django import template

from branding.overrides import customized_text

register = template.Library()


@register.simple_tag
def text(string_id: str, *args: object, default: str | None = None) -> str:
    """`default=` replaces the table's default on this page only (the email verification page
    keeps its own title unless the tenant customized SisuOtc_Title)."""
    return customized_text(string_id, *args, page_default=default)
