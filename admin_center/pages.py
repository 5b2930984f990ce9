"""Rendering a per-tenant admin-center page with what its layout needs."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants import selectors
from tenants.models import Tenant
from tenants.permissions import capabilities_of


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
        "switcher_tenants": selectors.tenant_list_for_operator(operator=request.user),  # type: ignore[arg-type]
        **context,
    }
    return render(request, template, context, status=status)
