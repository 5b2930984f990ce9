"""Refuse malformed requests before any view sees them, with a 400 and a JSON body.

- Parameters carrying NUL bytes: no identifier, code, token or form value of the product may
  contain NUL; PostgreSQL text cannot hold it, so such a value would otherwise surface as a
  database error deep inside a library.
- Behind trusted proxies (CIAM_TRUSTED_PROXY_COUNT), an X-Forwarded-For that is shorter than
  the proxy chain (it did not come through the proxies; allauth would fail on it with a 500) or
  whose trusted entry is not an IP address (no per-address limit could count it).
"""

from collections.abc import Callable

from allauth.core.internal.httpkit import clean_client_ip
from django.conf import settings
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


def _bad_forwarding_chain(request: HttpRequest) -> bool:
    proxies: int = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return False
    entries = forwarded.split(",")
    return len(entries) < proxies or clean_client_ip(entries[-proxies]) is None


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            bad = _has_nul(request) or _bad_forwarding_chain(request)
        except MultiPartParserError:
            bad = True
        if bad:
            return JsonResponse(
                {"error": "invalid_request", "error_description": "Malformed request parameters."},
                status=400,
            )
        return self.get_response(request)
