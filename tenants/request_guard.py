"""Refuse malformed requests before any view sees them, with a 400 (413 for a body too large)
and a JSON body. The token endpoint, which skips the middleware, asks the same question.

- Parameters Django refuses to read (more than DATA_UPLOAD_MAX_NUMBER_FIELDS of them, a body
  over DATA_UPLOAD_MAX_MEMORY_SIZE, a form that is not UTF-8, a broken multipart body): here,
  before the session middleware, Django's own error pages would fail on the missing session.
- Parameters carrying NUL bytes: no identifier, code, token or form value of the product may
  contain NUL; PostgreSQL text cannot hold it, so such a value would otherwise surface as a
  database error deep inside a library.
- Behind trusted proxies (CIAM_TRUSTED_PROXY_COUNT), an X-Forwarded-For that is shorter than
  the proxy chain (it did not come through the proxies; allauth would fail on it with a 500) or
  whose trusted entry is not an IP address (no per-address limit could count it).

Every other page refuses a host outside ALLOWED_HOSTS in Django's CommonMiddleware; the token
endpoint, which skips it, and the WSGI entry's fast path, which skips Django, ask `host_allowed`.
"""

import logging
from collections.abc import Callable, Mapping
from typing import Any

from allauth.core.internal.httpkit import clean_client_ip
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import split_domain_port, validate_host

from tenants.errors import refusal_in_own_format, with_error_body


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


HOST_REFUSED = "This server does not answer for the host the request names."
_host_logger = logging.getLogger("django.security.DisallowedHost")


def host_allowed(meta: Mapping[str, Any]) -> bool:
    """Whether the host a request names is one of ALLOWED_HOSTS, read from a WSGI environ (or
    `request.META`) as Django's `HttpRequest.get_host` reads and checks it; a refused one is
    logged as Django logs it."""
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in meta:
        host = meta["HTTP_X_FORWARDED_HOST"]
    elif "HTTP_HOST" in meta:
        host = meta["HTTP_HOST"]
    else:
        host = meta.get("SERVER_NAME", "")
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    domain, _port = split_domain_port(str(host))
    if domain and validate_host(domain, allowed_hosts):
        return True
    _host_logger.error("Invalid HTTP_HOST header: %r.", str(host)[:100])
    return False


def disallowed_host_refusal(request: HttpRequest) -> HttpResponse | None:
    """The 400 for a request to a host outside ALLOWED_HOSTS, or None."""
    return None if host_allowed(request.META) else _refuse(request, 400, HOST_REFUSED)


def _refuse(request: HttpRequest, status: int, description: str) -> HttpResponse:
    """The refusal in the form the request's endpoint speaks: the management API's problem
    details on its paths (tenants.errors.refusal_in_own_format); otherwise OAuth's error object
    (RFC 6749 §5.2), which the protocol endpoints and /api/v1/me speak."""
    own = refusal_in_own_format(request, status, description)
    if own is not None:
        return own
    return JsonResponse(
        {"error": "invalid_request", "error_description": description}, status=status
    )


def malformed_request_refusal(request: HttpRequest) -> HttpResponse | None:
    """The error response for a malformed request, or None for one that may go on."""
    try:
        bad = _has_nul(request) or _bad_forwarding_chain(request)
    except RequestDataTooBig:
        return _refuse(request, 413, "The request body is too large.")
    except (MultiPartParserError, BadRequest, TooManyFieldsSent, TooManyFilesSent):
        bad = True
    return _refuse(request, 400, "Malformed request parameters.") if bad else None


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = malformed_request_refusal(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if response.status_code == 405:
            return with_error_body(request, response)  # and 405s get a body, too
        return response
