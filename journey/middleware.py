"""Hosted-page guard: a customer who has not finished signing up, or who signed in with a
temporary password, gets no further until that is done."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# A signed-in customer's step before anything else: its page, and the pages open meanwhile.
_SIGN_UP_STEP = ("account-complete", ("account-complete", "account_logout", "tenant-healthz"))
_PASSWORD_STEP = (
    "account_change_password",
    ("account_change_password", "account_logout", "tenant-healthz"),
)


def step_before_anything(user: Any) -> tuple[str, tuple[str, ...]] | None:
    """The step a signed-in customer takes before going anywhere else, if any: the last step
    of a self-service sign-up, or changing an admin-set temporary password (as Entra)."""
    if not user.profile_completed:
        return _SIGN_UP_STEP
    if user.must_change_password:
        return _PASSWORD_STEP
    return None


class ProfileCompletionMiddleware:
    """Until that step is done, every tenant page (the authorization endpoint included, so no
    token is issued) leads to it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if getattr(request, "ciam_tenant", None) is not None and user and user.is_authenticated:
            step = step_before_anything(user)
            if step is not None:
                page, open_pages = step
                if request.path not in {reverse(name) for name in open_pages}:
                    target = reverse(page)
                    return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
