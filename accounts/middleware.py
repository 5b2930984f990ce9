"""Hosted-page guard: a customer who has not finished signing up, or who signed in with a
temporary password, gets no further until that is done."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

_ALLOWED_NAMES = ("account-complete", "account_logout", "tenant-healthz")
_PASSWORD_CHANGE_NAMES = ("account_change_password", "account_logout", "tenant-healthz")


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
            if user is not None and user.is_authenticated and user.must_change_password:
                # An admin-set temporary password is changed before anything else (as Entra).
                allowed = {reverse(name) for name in _PASSWORD_CHANGE_NAMES}
                if request.path not in allowed:
                    target = reverse("account_change_password")
                    return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
