"""One entry in the tenant's audit log for each change an operator makes in the admin center.

Every page records its changes through `audit`, after the change succeeded: who (the signed-in
operator), what (the action), which object (its name and ID), and, where the values are small
and not secret, what changed from what to what. Secrets, temporary passwords and customers'
profile values are never passed here: the log names what changed, not those values.
"""

from collections.abc import Mapping

from django.http import HttpRequest

from accounts.models import User
from tenants.models import AuditAction, AuditEntry, Tenant
from tenants.services import audit_details, audit_record


def audit(
    request: HttpRequest,
    tenant: Tenant,
    action: AuditAction,
    *,
    target: str,
    details: Mapping[str, object] | None = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Append the entry for a change the signed-in operator made to `tenant`.

    `target` names the object changed (its name and ID, as the operator would recognise it).
    Given `before` and `after` (the same keys), only the keys whose value changed are recorded,
    under `details["before"]` and `details["after"]`; other `details` (facts about the change: a
    secret's ID and hint, a count) are recorded as given.
    """
    recorded = audit_details(details=details, before=before, after=after)
    actor = request.user if isinstance(request.user, User) else None
    return audit_record(
        actor=actor, tenant=tenant, action=action, target=target[:254], details=recorded
    )
