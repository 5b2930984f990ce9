"""The frame every page of one app registration shares: its tabs, finding it, its name in the
audit log."""

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from admin_center.pages import tenant_page
from apps.models import AppRegistration
from apps.selectors import app_list
from tenants.models import Tenant

APP_TABS = [
    ("overview", "admin_center:app-overview", "Overview"),
    ("authentication", "admin_center:app-authentication", "Authentication"),
    ("credentials", "admin_center:app-credentials", "Certificates & secrets"),
    ("expose-api", "admin_center:app-expose-api", "Expose an API"),
    ("permissions", "admin_center:app-permissions", "API permissions"),
    ("claims", "admin_center:app-claims", "Attributes & claims"),
    ("token-config", "admin_center:app-token-config", "Token configuration"),
    ("users-groups", "admin_center:app-users-groups", "Users and groups"),
]


def app_get(object_id: uuid.UUID) -> AppRegistration:
    """The app registration with this object ID (call in the tenant's schema), or 404."""
    app: AppRegistration | None = app_list().filter(object_id=object_id).first()
    if app is None:
        raise Http404
    return app


def app_target(app: AppRegistration) -> str:
    """How the audit log names the app: as the operator sees it, with its application ID."""
    return f"{app.name} ({app.client_id})"


def app_page(
    request: HttpRequest,
    tenant: Tenant,
    app: AppRegistration,
    tab: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """One tab of the app's pages (templates/admin_center/apps/<tab>.html)."""
    return tenant_page(
        request,
        tenant,
        f"admin_center/apps/{tab}.html",
        {"app": app, "tab": tab, "tabs": APP_TABS, "section": "apps", **context},
        status=status,
    )


def app_tab_saved(
    request: HttpRequest, tenant: Tenant, app: AppRegistration, tab: str, message: str
) -> HttpResponse:
    """The answer to an operation of one tab that was made: back to the tab, with the message."""
    messages.success(request, message)
    url_name = next(name for key, name, _label in APP_TABS if key == tab)
    return redirect(url_name, tenant.tenant_id, app.object_id)
