"""The journey's view of every tenant page: journey/pages.py decides, per page."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from journey.pages import enter_page


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
