"""The language of the hosted pages: the first of the app's `ui_locales` that the product
speaks (OIDC Core §3.1.2.1), among the languages in `settings.LANGUAGES`, which discovery also
publishes as `ui_locales_supported`."""

from collections.abc import Sequence

from django.conf import settings
from django.utils.translation import get_supported_language_variant


def product_languages() -> list[str]:
    """The languages the product's pages speak (language codes, as Django names them)."""
    return [code for code, _name in settings.LANGUAGES]


def language_for(ui_locales: Sequence[str]) -> str | None:
    """The first of `ui_locales` (BCP 47 tags, most preferred first) that the product speaks,
    as the product names it: "fr-CA" is spoken as "fr" where only "fr" exists, and "fr" as
    "fr-ca" where that is the only French. None when the product speaks none of them (the
    pages then speak what the browser asks for, as everywhere else)."""
    for tag in ui_locales:
        try:
            return get_supported_language_variant(tag.lower())
        except LookupError:
            continue
    return None
