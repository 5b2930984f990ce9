"""Refuse requests whose parameters carry NUL bytes, before any view sees them.

No identifier, code, token or form value of the product may contain NUL; PostgreSQL text cannot
hold it, so such a value would otherwise surface as a database error deep inside a library.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    for query in (request.GET, request.POST if request.method == "POST" else None):
        if query is None:
            continue
        for values in query.lists():
            if any("\x00" in value for value in values[1]) or "\x00" in values[0]:
                return True
    return False


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            bad = _has_nul(request)
        except MultiPartParserError:
            bad = True
        if bad:
            return JsonResponse(
                {"error": "invalid_request", "error_description": "Malformed request parameters."},
                status=400,
            )
        return self.get_response(request)
