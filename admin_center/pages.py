"""Rendering a per-tenant admin-center page with what its layout needs, and the operations a
page's forms post to."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from accounts.operator_tenants import SWITCHER_RECENT, tenant_switcher_list
from tenants.models import Tenant
from tenants.permissions import capabilities_of

View = Callable[..., HttpResponseBase]

# The tenants the operator opened last, most recent first (tenant IDs): the switcher's list.
RECENT_TENANTS_KEY = "admin_center_recent_tenants"


def _recent_tenants(request: HttpRequest, tenant: Tenant) -> list[str]:
    """The operator's recent tenants with this one first, kept in their session; written only
    when the order changes, so moving between pages of one tenant writes nothing."""
    recent = request.session.get(RECENT_TENANTS_KEY)
    recent = [item for item in recent if isinstance(item, str)] if isinstance(recent, list) else []
    current = str(tenant.tenant_id)
    updated = [current, *(item for item in recent if item != current)][:SWITCHER_RECENT]
    if updated != recent:
        request.session[RECENT_TENANTS_KEY] = updated
    return updated


def tenant_page(
    request: HttpRequest,
    tenant: Tenant,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """Render in the public schema: pass only evaluated data read from the tenant's schema."""
    roles = request.admin_roles  # type: ignore[attr-defined]
    context = {
        "tenant": tenant,
        "roles": roles,
        "can": {cap.value: True for cap in capabilities_of(roles)},
        "switcher_tenants": tenant_switcher_list(
            operator=request.user,  # type: ignore[arg-type]
            recent=_recent_tenants(request, tenant),
        ),
        **context,
    }
    return render(request, template, context, status=status)


def operation_of(page: str, *arguments: str) -> Callable[[View], View]:
    """Make a per-tenant view one operation of the page named `page` (a URL name).

    The operation acts on POST. A form with errors is rendered at the operation's address, so
    a GET there (the address reloaded, or bookmarked) sends the browser to the page itself
    rather than to a 405. `arguments` names the path arguments after the tenant that the page's
    address takes (`app_id`). Put it under the guard (`tenant_admin_view`), which checks the
    role first.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, tenant: Tenant, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST":
                return view(request, tenant, **kwargs)
            if request.method in {"GET", "HEAD"}:
                return redirect(page, tenant.tenant_id, *(kwargs[name] for name in arguments))
            return HttpResponseNotAllowed(["GET", "POST"])

        return wrapped

    return decorator
