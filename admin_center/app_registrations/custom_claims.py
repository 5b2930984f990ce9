"""Attributes & claims, the custom claims provider's part (issue 14, Entra's claims-mapping
step for OnTokenIssuanceStart): which extension provides the app's custom claims, what its
failure does, and each of its claims mapped to a JWT claim name in the ID and/or access token.
The page is the app's claims page (registrations.app_claims); this module saves its section."""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admin_center.access import tenant_admin_view
from admin_center.app_registrations.app_pages import app_get, app_target
from admin_center.audit import audit
from apps import services
from apps.models import AppCustomClaim, AppRegistration
from extensions.listeners import (
    token_issuance_listener_remove,
    token_issuance_listener_set,
)
from extensions.models import (
    CustomAuthenticationExtension,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

# Rows the form offers for new mappings, and the most it reads back.
BLANK_ROWS = 3
MAX_ROWS = 50


def _mappings(app: AppRegistration) -> list[dict[str, object]]:
    return [
        {
            "claim_id": row.claim_id,
            "jwt_claim_name": row.jwt_claim_name,
            "in_id_token": row.in_id_token,
            "in_access_token": row.in_access_token,
        }
        for row in AppCustomClaim.objects.filter(app=app).order_by("pk")
    ]


def _listener(app: AppRegistration) -> ExtensionListener | None:
    found: ExtensionListener | None = (
        ExtensionListener.objects.select_related("extension")
        .filter(event=ExtensionEvent.TOKEN_ISSUANCE_START, app=app)
        .first()
    )
    return found


def custom_claims_context(app: AppRegistration) -> dict[str, Any]:
    """The section's context (call in the tenant's schema)."""
    mappings = _mappings(app)
    listener = _listener(app)
    return {
        "custom_rows": mappings + [{} for _blank in range(BLANK_ROWS)],
        "custom_providers": list(
            CustomAuthenticationExtension.objects.filter(event=ExtensionEvent.TOKEN_ISSUANCE_START)
        ),
        "custom_listener": listener,
        "failure_policies": FailurePolicy.choices,
    }


def _entries(request: HttpRequest) -> list[tuple[str, str, bool, bool]]:
    entries = []
    for index in range(MAX_ROWS):
        claim_id = request.POST.get(f"custom_id_{index}", "").strip()
        name = request.POST.get(f"custom_name_{index}", "").strip()
        if not claim_id and not name:
            continue
        entries.append(
            (
                claim_id,
                name,
                request.POST.get(f"custom_in_id_{index}") == "on",
                request.POST.get(f"custom_in_at_{index}") == "on",
            )
        )
    return entries


@tenant_admin_view(Capability.MANAGE_APPS)
@require_POST
def app_custom_claims(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    """Save the custom claims provider section of Attributes & claims: the provider and its
    failure policy, and the mappings (a reserved or malformed name refuses the whole save)."""
    back = redirect("admin_center:app-claims", tenant.tenant_id, app_id)
    provider_id = request.POST.get("provider", "")
    policy = request.POST.get("failure_policy", "") or None
    with in_tenant(tenant):
        app = app_get(app_id)
        before = {"mappings": _mappings(app)}
        listener = _listener(app)
        provider = None
        if provider_id:
            try:
                provider = CustomAuthenticationExtension.objects.filter(
                    extension_id=uuid.UUID(provider_id)
                ).first()
            except ValueError:
                provider = None
            if provider is None:
                messages.error(request, _("Choose a custom claims provider from the list."))
                return back
        try:
            with transaction.atomic():
                services.app_custom_claims_set(app=app, entries=_entries(request))
                if provider is not None:
                    token_issuance_listener_set(app=app, extension=provider, failure_policy=policy)
                elif listener is not None:
                    token_issuance_listener_remove(app=app)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return back
        after = {"mappings": _mappings(app)}
    audit(
        request,
        tenant,
        AuditAction.APP_CLAIMS_UPDATED,
        target=app_target(app),
        before=before,
        after=after,
    )
    if provider is not None:
        audit(
            request,
            tenant,
            AuditAction.EXTENSION_LISTENER_SET,
            target=app_target(app),
            details={"extension": provider.name, "failure_policy": policy or "default"},
        )
    elif listener is not None:
        audit(
            request,
            tenant,
            AuditAction.EXTENSION_LISTENER_REMOVED,
            target=app_target(app),
            details={"extension": listener.extension.name},
        )
    messages.success(request, _("Custom claims provider saved."))
    return back
