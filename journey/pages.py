"""What a page of the journey sees of the auth transaction it serves."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from federation.models import ProviderKind
from journey import transaction
from journey.languages import page_language, speak

# allauth's steps of a sign-in through an identity provider: its start, and the provider's
# return (Apple's through its form_post, then allauth's finish URL).
_PROVIDER_STEPS = frozenset(
    {f"{kind}_{step}" for kind in ProviderKind.values for step in ("login", "callback")}
    | {"apple_finish_callback"}
)


def is_journey_page(url_name: str | None) -> bool:
    """The hosted pages of the sign-in journey: allauth's (`account_…`, under our names too,
    and `socialaccount_…`), its steps through an identity provider, and the pages of the
    journey's own steps (`account-…`)."""
    return url_name is not None and (
        url_name.startswith(("account_", "account-", "socialaccount_"))
        or url_name in _PROVIDER_STEPS
    )


def enter_page(request: HttpRequest, url_name: str | None) -> None:
    """Before a page of the journey answers:

    - it speaks the first of the app's `ui_locales` the product speaks (OIDC Core §3.1.2.1),
      and its `lang` and Content-Language say so (else the language the middleware chose:
      journey/languages.py);
    - while the app's request for a fresh sign-in waits for it, the page sees no one signed
      in, so it runs that sign-in (or a sign-up) as for a new browser. The session itself is
      left as it is: the customer who walks away is still signed in everywhere else, and it is
      replaced only when the fresh sign-in succeeds (Django's `login`). Signing out still
      signs out.
    """
    if not is_journey_page(url_name):
        return
    journey = transaction.current(request)
    if journey is None:
        return
    # The page wears the branding of the app signing in (branding/context.py).
    request.branding_client_id = journey.client_id  # type: ignore[attr-defined]
    if journey.ui_locales:
        speak(request, page_language(request, ui_locales=journey.ui_locales))
    if journey.awaits_fresh_sign_in and url_name != "account_logout":
        request.user = AnonymousUser()
