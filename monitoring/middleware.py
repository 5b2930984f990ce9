"""Writes the sign-in log records a request made, once its answer is ready (records.py)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from monitoring.records import sign_in_events_pending, sign_in_events_write


class SignInLogMiddleware:
    """Just inside the tenant's routing (and around the token endpoint's shortcut,
    CIAM_TOKEN_ENDPOINT_MIDDLEWARE): the view and its transactions are over, the tenant's schema
    still set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            events = sign_in_events_pending(request)
            if events:
                sign_in_events_write(events)
