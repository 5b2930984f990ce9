"""The language a customer-facing page speaks, decided in one place (`page_language`).

Customer-facing means every page under a tenant's path: the hosted pages of the journey, the
customer's home and profile pages, the error pages a customer can reach and the emails sent
while they are answered. They speak, in this order:

1. the first of the auth transaction's `ui_locales` the product speaks (OIDC Core §3.1.2.1),
   on the journey's pages (journey/pages.py `enter_page`);
2. the signed-in customer's stored preference (`User.preferred_language`), recorded when they
   sign up or sign in on a page speaking another language (journey/adapters.py);
3. the browser's `Accept-Language`, as Django parses it, without Django's fallback;
4. the tenant's default language (`Tenant.default_language`);
5. English.

The admin center and the product's public pages speak English: only customer-facing strings
are translated, and a half-translated admin center would be worse than an English one.

The languages spoken are those of `settings.LANGUAGES`, which discovery also publishes as
`ui_locales_supported`.
"""

from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import language_code_re, parse_accept_lang_header

ENGLISH = "en"
# Header values longer than this are not parsed (Django's own parser refuses them too).
_ACCEPT_LANGUAGE_MAX = 500


def product_languages() -> list[str]:
    """The languages the product's pages speak (language codes, as Django names them)."""
    return [code for code, _name in settings.LANGUAGES]


def spoken(code: str) -> str | None:
    """`code` (a BCP 47 tag or a Django language code, any case) as the product speaks it, or
    None: "fr-CA" is spoken as "fr" where only "fr" exists."""
    if not code or len(code) > 35 or not language_code_re.fullmatch(code):
        return None
    try:
        return get_supported_language_variant(code.lower())
    except LookupError:
        return None


def language_for(ui_locales: Sequence[str]) -> str | None:
    """The first of `ui_locales` (BCP 47 tags, most preferred first) that the product speaks,
    as the product names it: "fr-CA" is spoken as "fr" where only "fr" exists, and "fr" as
    "fr-ca" where that is the only French. None when the product speaks none of them (the
    pages then speak what comes next in `page_language`'s order)."""
    for tag in ui_locales:
        language = spoken(tag)
        if language is not None:
            return language
    return None


def browser_language(request: HttpRequest) -> str | None:
    """The first language of the request's `Accept-Language` the product speaks (q-values
    honoured, `*` ignored), or None: Django's parsing without its fall back to LANGUAGE_CODE."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    if not header or len(header) > _ACCEPT_LANGUAGE_MAX:
        return None
    for tag, _quality in parse_accept_lang_header(header):
        if tag != "*":
            language = spoken(tag)
            if language is not None:
                return language
    return None


def page_language(request: HttpRequest, *, ui_locales: Sequence[str] = ()) -> str:
    """The language of the page answering `request` (the order is in this module's
    docstring). Always one of `product_languages()`; English outside any tenant."""
    tenant = getattr(request, "ciam_tenant", None)
    if tenant is None:
        return ENGLISH
    user = getattr(request, "user", None)
    preferred = (
        user.preferred_language
        if user is not None and user.is_authenticated and hasattr(user, "preferred_language")
        else ""
    )
    return (
        language_for(ui_locales)
        or spoken(preferred)
        or browser_language(request)
        or spoken(tenant.default_language)
        or ENGLISH
    )


def speak(request: HttpRequest, language: str) -> None:
    """Make the rest of this request (templates, forms, emails) speak `language`."""
    translation.activate(language)
    request.LANGUAGE_CODE = language
