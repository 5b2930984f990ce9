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


def api_audit(
    request: Request,
    action: AuditAction,
    *,
    target: str,
    details: Mapping[str, object] | None = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> AuditEntry:
    caller = request.auth
    if not isinstance(caller, AppCaller):
        raise TypeError("Only an authenticated call writes through the management API.")
    recorded = audit_details(details=details, before=before, after=after)
    recorded["calling_app"] = caller.client_id
    recorded["via"] = "management_api"
    return audit_record(
        actor=None,
        actor_name=f"{caller.name} ({caller.client_id})",
        tenant=current_tenant(),
        action=action,
        target=target[:254],
        details=recorded,
    )
