"""What a page of the journey sees of the auth transaction it serves."""

from django.http import HttpRequest
from django.utils import translation

from journey import transaction
from journey.languages import language_for


def is_journey_page(url_name: str | None) -> bool:
    """The hosted pages of the sign-in journey: allauth's (`account_…`, under our names too)
    and the pages of the journey's own steps (`account-…`)."""
    return url_name is not None and url_name.startswith(("account_", "account-"))


def enter_page(request: HttpRequest, url_name: str | None) -> None:
    """Before a page of the journey answers: it speaks the first of the app's `ui_locales` the
    product speaks (OIDC Core §3.1.2.1), and its `lang` and Content-Language say so."""
    if not is_journey_page(url_name):
        return
    journey = transaction.current(request)
    language = language_for(journey.ui_locales) if journey is not None else None
    if language is not None:
        translation.activate(language)
        request.LANGUAGE_CODE = language
