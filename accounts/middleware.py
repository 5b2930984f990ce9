"""Hosted-page guard: a customer who has not finished signing up gets no further."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

_ALLOWED_NAMES = ("account-complete", "account_logout", "tenant-healthz")


class ProfileCompletionMiddleware:
    """Until a self-service sign-up's last step is done, every tenant page (the authorization
    endpoint included, so no token is issued) leads to that step."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "ciam_tenant", None) is not None:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and not user.profile_completed:
                allowed = {reverse(name) for name in _ALLOWED_NAMES}
                if request.path not in allowed:
                    target = reverse("account-complete")
                    return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
