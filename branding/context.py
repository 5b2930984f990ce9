"""`branding` in every template rendered with a request of a tenant: the branding the page
wears, resolved only when a template reads it."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from branding.selectors import branding_for


def branding(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "ciam_tenant", None)
    if tenant is None:
        return {}
    # The journey says which app is signing in (journey/pages.py); else the tenant's branding.
    client_id = getattr(request, "branding_client_id", None)
    return {
        "branding": SimpleLazyObject(
            lambda: branding_for(tenant, client_id, get_language() or "en")
        )
    }
