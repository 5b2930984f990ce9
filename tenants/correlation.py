"""The correlation ID of the work in progress: what names a request (or a sign-in journey) in
every log line, every event of the stream (events.py) and every row of the sign-in log.

One ID per request: the caller's `X-Request-ID` when it sent a usable one, else one made here;
the answer carries it back in `X-Request-ID`. A sign-in journey names its requests by its own
ID from the request that began it on (journey/transaction.py calls `correlation_id_replace`
through monitoring.records.correlation_id_set), so the log lines of a journey's pages and its
sign-in log rows share one ID. It lives in a context variable: each request's thread (or task)
sees its own, and a log formatter reads it without being handed the request.
"""

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# What a caller's ID may be: bounded (the sign-in log keeps 64 characters) and plain, so that
# nobody writes a line break, markup or a secret-sized blob into every log line of a request.
_USABLE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,64}")

_current: ContextVar[str] = ContextVar("ciam_correlation_id", default="")


def correlation_id_current() -> str:
    """The ID of the request or journey in progress here; "" outside any."""
    return _current.get()


def correlation_id_for(sent: str | None) -> str:
    """The caller's ID when it is usable, else a new one (a UUID, as Entra's are)."""
    if sent and _USABLE_ID.fullmatch(sent):
        return sent
    return _random_uuid()


def _random_uuid() -> str:
    """A random (version 4) UUID, as `str(uuid.uuid4())` writes it, in a third of its time
    (about 1 µs, where the UUID object costs 3): every token request the WSGI entry answers
    makes one."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4 (RFC 9562 §5.4)
    raw[8] = raw[8] & 0x3F | 0x80  # the variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def correlation_id_replace(correlation_id: str) -> None:
    """Name the rest of the work in progress by another ID (a journey's); within a
    `correlation_scope`, which puts the previous one back at its end."""
    _current.set(correlation_id)


@contextmanager
def correlation_scope(correlation_id: str) -> Iterator[str]:
    """Name the work inside by `correlation_id`; the ID in force before comes back after,
    even when the thread goes on to serve another request."""
    token = _current.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _current.reset(token)


class CorrelationMiddleware:
    """Outermost: the whole request, the tenant's routing and its token shortcut included,
    runs under its ID, and the answer says which (the ID in force at the end: a journey's
    page answers with the journey's, which its sign-in log rows carry). The web node's WSGI
    entry (ciam_portal/wsgi.py) names the request first, so that Django's own lines after the
    middleware ("Not Found: …") carry the ID too; here it is taken over."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        named = correlation_id_current() or correlation_id_for(
            request.headers.get(REQUEST_ID_HEADER)
        )
        with correlation_scope(named):
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = correlation_id_current()
        return response
