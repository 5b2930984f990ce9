"""Hosted pages a customer sees outside the sign-in steps."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def customer_home(request: HttpRequest) -> HttpResponse:
    """The tenant's own landing page: who is signed in here, and a way to sign out."""
    return render(request, "hosted/home.html", {"tenant": request.tenant})  # type: ignore[attr-defined]
