"""Every write through the management API is audited with its caller, as the admin center's
are with the operator (tenants.services.audit_record): for an app, the tenant's audit log shows
"Name (client ID)" as the actor and `calling_app` in the details; for an operator calling with
their session (the admin center's mount), the operator is the actor, as on the admin center's
pages. Secrets and customers' profile values are never passed here."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from rest_framework.request import Request

from apps.oidc.resource_tokens import AppCaller
from management.authentication import OperatorCaller
from tenants.current import current_tenant
from tenants.models import AuditAction, AuditEntry
from tenants.services import audit_details, audit_record


@dataclass(frozen=True)
class ApiActor:
    """Who an API write is recorded as: an operator (`operator`), or an app named by `name`;
    `context` goes into every entry's details."""

    operator: AbstractBaseUser | None
    name: str
    context: dict[str, object]


def api_actor(request: Request) -> ApiActor:
    """The caller as the audit log records it: also for a service that records its own entry
    (tenants.services.tenant_default_language_set)."""
    caller = request.auth
    if isinstance(caller, OperatorCaller):
        return ApiActor(operator=caller.operator, name="", context={"via": "management_api"})
    if not isinstance(caller, AppCaller):
        raise TypeError("Only an authenticated call writes through the management API.")
    return ApiActor(
        operator=None,
        name=f"{caller.name} ({caller.client_id})",
        context={"calling_app": caller.client_id, "via": "management_api"},
    )


def api_audit(
    request: Request,
    action: AuditAction,
    *,
    target: str,
    details: Mapping[str, object] | None = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> AuditEntry:
    actor = api_actor(request)
    recorded = audit_details(details=details, before=before, after=after)
    recorded.update(actor.context)
    return audit_record(
        actor=actor.operator,
        actor_name=actor.name,
        tenant=current_tenant(),
        action=action,
        target=target[:254],
        details=recorded,
    )
