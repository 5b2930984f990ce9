"""The journey's view of every tenant page: the language it speaks (journey/languages.py) and
what it sees of the auth transaction (journey/pages.py)."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from journey.languages import page_language, speak
from journey.pages import enter_page


class LanguageMiddleware:
    """Every request speaks the language `journey.languages.page_language` decides (in place
    of Django's LocaleMiddleware, which knows neither the customer's preference nor the
    tenant's default): English outside any tenant, the customer's language under a tenant.
    Placed after the authentication middleware (the signed-in customer's preference counts);
    the journey's pages may still switch to the app's `ui_locales` (`enter_page`).

    The answer says which language it speaks (`Content-Language`), and a tenant's pages say
    they vary with `Accept-Language` (a cache must not give one browser's French to another).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        speak(request, page_language(request))
        response = self.get_response(request)
        if getattr(request, "ciam_tenant", None) is not None:
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class JourneyMiddleware:
    """Runs `enter_page` once the URL is resolved, before the page's view (after the session,
    the signed-in account and the browser's language are known)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        if getattr(request, "ciam_tenant", None) is not None:
            match = request.resolver_match
            enter_page(request, match.url_name if match is not None else None)
