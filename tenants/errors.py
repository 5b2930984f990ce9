"""The product's error views: handler400, handler403, handler404, handler500 and the CSRF failure
view, for the admin center's URLconf and every tenant's.

Django's own error views fetch a CSRF token (`requires_csrf_token`), which CSRF_USE_SESSIONS
keeps in the session. An error raised where there is no session (tenant routing and the request
guard run before the session middleware; the token endpoint skips it) or where the session
store itself failed made the error page fail too, and the client got a bare 500. These views
read neither the session nor the user and need no CSRF token. Protocol and API paths answer JSON
in the shape of RFC 6749 §5.2; every other path a small HTML page, the authorization and logout
endpoints included (a person's browser is what reaches them).

A page below a tenant wears that tenant's branding: the context processors named by the setting
`CIAM_ERROR_PAGE_CONTEXT` (the branding's, which reads only the request's tenant and app, never
the session) add to its context, so the kernel imports nothing of the floors above it.

An error that says PostgreSQL or Redis could not be reached or dropped the request (a restart,
a failover, no connection slot left: `is_unavailability`) is no bug of ours and worth a retry:
it is answered 503 with `Retry-After` (`service_unavailable`), never 500, in each endpoint's
format, and its page is rendered without the database (no branding).
"""

import functools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import redis
from csp.utils import build_policy
from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connection,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from tenants.endpoints import AUTHORIZE, LOGOUT

# Paths below a tenant whose callers are apps rather than people. Outside any tenant they are
# also tried below the first segment, which may name an authority such as Entra's `common`.
_PROTOCOL_PREFIXES = ("/oauth2/", "/api/", "/discovery/", "/v2.0/", "/.well-known/")
# ...except the two protocol endpoints a person's browser is sent to: they get the page.
_BROWSER_ENDPOINTS = (AUTHORIZE, LOGOUT)


@dataclass(frozen=True)
class _Error:
    status: int
    # RFC 6749 §5.2: `error_description` is ASCII for developers, so it is not translated.
    code: str
    description: str
    title: Promise
    message: Promise


_BAD_REQUEST = _Error(
    400,
    "invalid_request",
    "The request is malformed.",
    _("Bad request"),
    _("The request could not be understood. Check the address, or go back and try again."),
)
_FORBIDDEN = _Error(
    403,
    "access_denied",
    "The request is not allowed.",
    _("Access denied"),
    _("You do not have permission to see this page."),
)
_CSRF_FAILED = _Error(
    403,
    "access_denied",
    "The request's CSRF token is missing or does not match its session.",
    _("This form has expired"),
    _(
        "The form could not be sent: it was open for too long, or your browser blocks cookies "
        "for this site. Go back, reload the page and try again."
    ),
)
_METHOD_NOT_ALLOWED = _Error(
    405,
    "invalid_request",
    "This endpoint does not accept the request's HTTP method.",
    _("Not available this way"),
    _("This address does not accept that kind of request. Go back and try again."),
)
_NOT_FOUND = _Error(
    404,
    "not_found",
    "Nothing exists at this address.",
    _("Page not found"),
    _("There is nothing at this address. Check the link you followed."),
)
TOO_MANY_REQUESTS_DESCRIPTION = (
    "Too many requests from this address or for this tenant; retry after the Retry-After "
    "header's seconds."
)
_TOO_MANY_REQUESTS = _Error(
    429,
    "too_many_requests",
    TOO_MANY_REQUESTS_DESCRIPTION,
    _("Too many requests"),
    _("Too many requests came in a short time. Wait a moment, then try again."),
)
_SIGN_IN_THROTTLED = _Error(
    429,
    "too_many_requests",
    "Too many failed sign-ins from this network; retry after the Retry-After header's seconds.",
    _("Too many sign-in attempts"),
    _(
        "Too many sign-in attempts with wrong passwords came from your network, so signing in "
        "with a password from it is paused for a while. Try again later, or sign in another way."
    ),
)
_SERVER_ERROR = _Error(
    500,
    "server_error",
    "The server could not complete the request.",
    _("Something went wrong"),
    _("The service could not complete your request. Please try again in a few minutes."),
)


# How long a client is asked to wait when PostgreSQL or Redis is unreachable: a restart or a
# failover takes seconds.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5
UNAVAILABLE_DESCRIPTION = (
    "A service this request needs is temporarily unavailable (the database restarting, say); "
    "retry after the Retry-After header's seconds."
)
_UNAVAILABLE = _Error(
    503,
    # RFC 6749 §4.1.2.1 names it; the token endpoint and the APIs answer it too.
    "temporarily_unavailable",
    UNAVAILABLE_DESCRIPTION,
    _("Temporarily unavailable"),
    _("The service is temporarily unavailable. Please try again in a few seconds."),
)
# Errors that say a backing service could not be reached, or lost the request under way: the
# driver's own ones too, since django-tenants sets the search path on the raw connection, outside
# Django's wrapping of database errors.
_UNREACHABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
)
# How far along `__cause__` / `__context__` an error is searched for one of them.
_CAUSES_SEARCHED = 5


# The 429 pages this process answers, by (tenant, app, language, refusal): until when, the
# page, its policy. At most this many (a few per tenant): past it, all are forgotten.
_refusal_pages: dict[tuple[int, str | None, str, str], tuple[float, bytes, str]] = {}
_REFUSAL_PAGES_KEPT = 2000


def _is_protocol_path(request: HttpRequest) -> bool:
    path = request.path_info
    if getattr(request, "ciam_tenant", None) is not None:
        # Routed: the tenant's segment has moved into SCRIPT_NAME.
        candidates: tuple[str, ...] = (path,)
    else:
        # Not routed to a tenant, or not yet (the error was raised while routing).
        candidates = (path, "/" + path.lstrip("/").partition("/")[2])
    browser_paths = {endpoint.path for endpoint in _BROWSER_ENDPOINTS}
    if any(each.rstrip("/") in browser_paths for each in candidates):
        return False
    return any(each.startswith(_PROTOCOL_PREFIXES) for each in candidates)


def _page(error: _Error, language: str, request: HttpRequest | None = None) -> HttpResponse:
    # No request in the context: no context processor may reach the session or the user. Only
    # those of CIAM_ERROR_PAGE_CONTEXT run, for a request routed to a tenant.
    context: dict[str, Any] = {
        "status": error.status,
        "title": error.title,
        "message": error.message,
    }
    with translation.override(language):
        if request is not None and getattr(request, "ciam_tenant", None) is not None:
            try:
                return HttpResponse(
                    render_to_string("errors/page.html", _with_tenant_context(request, context)),
                    status=error.status,
                )
            except DatabaseError:
                # The tenant's branding could not be read (the very failure this page may
                # report): the plain page, rather than a bare 500.
                pass
        page = render_to_string("errors/page.html", context)
    return HttpResponse(page, status=error.status)


def _with_tenant_context(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for name in settings.CIAM_ERROR_PAGE_CONTEXT:
        extra.update(import_string(name)(request))
    return {**extra, **context}


@functools.cache
def _refusal_bodies() -> list[Callable[[HttpRequest, int, str], HttpResponse | None]]:
    return [import_string(path) for path in settings.CIAM_REFUSAL_BODIES]


def refusal_in_own_format(
    request: HttpRequest, status: int, description: str
) -> HttpResponse | None:
    """The error as the request's endpoint words its errors, where one of CIAM_REFUSAL_BODIES
    (the management API's problem details) answers for its path; None elsewhere."""
    for refusal_body in _refusal_bodies():
        answer = refusal_body(request, status, description)
        if answer is not None:
            return answer
    return None


def _respond(request: HttpRequest, error: _Error) -> HttpResponse:
    own = refusal_in_own_format(request, error.status, error.description)
    if own is not None:
        return own
    if _is_protocol_path(request):
        response: HttpResponse = JsonResponse(
            {"error": error.code, "error_description": error.description}, status=error.status
        )
        response["Cache-Control"] = "no-store"  # RFC 6749 §5.1
        return response
    # The language the locale middleware chose, if the error came after it ran.
    return _page(error, getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE), request)


def with_error_body(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A 405 from Django's or django-oauth-toolkit's views has an empty body: give it the
    error page, or JSON on protocol paths, keeping its `Allow` header. Any other response as
    it is."""
    if response.status_code != 405 or getattr(response, "streaming", False) or response.content:
        return response
    answer = _respond(request, _METHOD_NOT_ALLOWED)
    if response.has_header("Allow"):
        answer["Allow"] = response["Allow"]
    return answer


def not_found_page() -> HttpResponse:
    """The HTML 404 page in the default language: the same bytes on every call, whatever the
    request (the uniform answer for paths that name no usable tenant). Tenant routing answers it
    before the CSP middleware runs, so it carries the site's policy itself."""
    response = _page(_NOT_FOUND, settings.LANGUAGE_CODE)
    response["Content-Security-Policy"] = build_policy()
    return response


def too_many_requests(
    request: HttpRequest, *, retry_after: int, sign_in_throttled: bool = False
) -> HttpResponse:
    """The 429 of protection's limits (RFC 6585 §4), with `Retry-After` in seconds: JSON with
    `too_many_requests` on protocol paths (the token endpoint), else the tenant's branded page.
    `sign_in_throttled`: a source refused password sign-ins (password spraying), not a request
    limit. It may be answered before the locale and CSP middleware run: the page speaks the
    language the browser asks for and carries the site's policy itself, and it is never
    cached, nor logged."""
    error = _SIGN_IN_THROTTLED if sign_in_throttled else _TOO_MANY_REQUESTS
    if _is_protocol_path(request):
        response: HttpResponse = JsonResponse(
            {"error": error.code, "error_description": error.description}, status=error.status
        )
    else:
        language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(
            request
        )
        page, policy = _refusal_page(request, error, language)
        response = HttpResponse(page, status=error.status)
        response["Content-Security-Policy"] = policy
    response["Retry-After"] = str(max(1, retry_after))
    add_never_cache_headers(response)
    # Not logged one by one (Django logs every 4xx): a flood would flood the log, and spend on
    # it the CPU the limits save. What decided the refusals is logged where it is decided.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _refusal_page(request: HttpRequest, error: _Error, language: str) -> tuple[bytes, str]:
    """The 429 page's bytes and its Content-Security-Policy. A flood is answered this page many
    times a second, the same for every refused request of a tenant's (app's) branding in one
    language: each process renders it once per CIAM_TENANT_CACHE_SECONDS (so a branding change
    shows on it within those seconds, as a renamed tenant does) and answers the bytes."""
    tenant = getattr(request, "ciam_tenant", None)
    seconds = settings.CIAM_TENANT_CACHE_SECONDS
    if tenant is None or seconds <= 0:
        return _page(error, language, request).content, build_policy()
    key = (tenant.pk, getattr(request, "branding_client_id", None), language, error.description)
    now = time.monotonic()
    remembered = _refusal_pages.get(key)
    if remembered is not None and remembered[0] > now:
        return remembered[1], remembered[2]
    page, policy = _page(error, language, request).content, build_policy()
    if len(_refusal_pages) >= _REFUSAL_PAGES_KEPT:
        _refusal_pages.clear()
    _refusal_pages[key] = (now + seconds, page, policy)
    return page, policy


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, _BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, _FORBIDDEN)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, _NOT_FOUND)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. Django calls it while handling the exception, so the exception is at hand:
    an unreachable database or cache is a 503 to retry, anything else the 500."""
    if is_unavailability(sys.exception()):
        return service_unavailable(request)
    return _respond(request, _SERVER_ERROR)


def is_unavailability(error: BaseException | None) -> bool:
    """Whether `error` says that PostgreSQL or Redis could not be reached or dropped the request
    under way (a restart, a failover, no connection slot left, a statement cancelled), rather
    than that the request or our code is wrong. Also the error Django raises for a query after
    the connection was dropped inside a transaction (a `TransactionManagementError`, or "Cannot
    open a new connection in an atomic block": programming errors that name no cause), once
    that connection is gone."""
    if isinstance(error, ProgrammingError) and connection.connection is None:
        return True
    for _depth in range(_CAUSES_SEARCHED):
        if error is None:
            return False
        if isinstance(error, _UNREACHABLE):
            return True
        error = error.__cause__ or error.__context__
    return False


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 of an unreachable database or cache, with `Retry-After`: problem details on the
    management API, `temporarily_unavailable` JSON on protocol paths, else a plain page in the
    browser's language. Nothing here reads the database: not the tenant's branding, not the
    session; the page carries the site's policy itself (the error may come before the CSP
    middleware ran). Never cached."""
    response = refusal_in_own_format(request, _UNAVAILABLE.status, _UNAVAILABLE.description)
    if response is None and _is_protocol_path(request):
        response = JsonResponse(
            {"error": _UNAVAILABLE.code, "error_description": _UNAVAILABLE.description},
            status=_UNAVAILABLE.status,
        )
    elif response is None:
        language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(
            request
        )
        response = _page(_UNAVAILABLE, language)
        response["Content-Security-Policy"] = build_policy()
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW. The middleware has logged the reason; the client is not told it."""
    return _respond(request, _CSRF_FAILED)
