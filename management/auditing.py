"""Every write through the management API is audited with the calling app, as the admin
center's are with the operator (tenants.services.audit_record): the tenant's audit log shows
"Name (client ID)" as the actor and `calling_app` in the details. Secrets and customers'
profile values are never passed here."""

from collections.abc import Mapping

from rest_framework.request import Request

from apps.oidc.resource_tokens import AppCaller
from tenants.current import current_tenant
from tenants.models import AuditAction, AuditEntry
from tenants.services import audit_details, audit_record


def api_actor(request: Request) -> tuple[str, dict[str, object]]:
    """The calling app as the audit log names it, and the details every API write carries: for
    a service that records its own entry (tenants.services.tenant_default_language_set)."""
    caller = request.auth
    if not isinstance(caller, AppCaller):
        raise TypeError("Only an authenticated call writes through the management API.")
    return f"{caller.name} ({caller.client_id})", {
        "calling_app": caller.client_id,
        "via": "management_api",
    }


def api_audit(
    request: Request,
    action: AuditAction,
    *,
    target: str,
    details: Mapping[str, object] | None = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> AuditEntry:
    actor_name, context = api_actor(request)
    recorded = audit_details(details=details, before=before, after=after)
    recorded.update(context)
    return audit_record(
        actor=None,
        actor_name=actor_name,
        tenant=current_tenant(),
        action=action,
        target=target[:254],
        details=recorded,
    )
