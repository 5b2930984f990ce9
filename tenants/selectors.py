"""Reads about tenants, operators' roles and the audit log."""

import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User
from tenants.models import AdminRole, AuditEntry, RoleAssignment, Tenant, TenantStatus

_tenant_cache: dict[str, tuple[float, Tenant]] = {}


def tenant_for_path_segment(segment: str) -> Tenant | None:
    """The usable tenant a URL's first path segment names, by domain name or tenant ID.

    Suspended and still-provisioning tenants are None, like unknown ones. Results are kept per
    process for CIAM_TENANT_CACHE_SECONDS so that routing costs no query on most requests.
    """
    key = segment.lower()
    if "\x00" in key:
        return None  # names nothing (and PostgreSQL text cannot hold NUL)
    ttl = settings.CIAM_TENANT_CACHE_SECONDS
    now = time.monotonic()
    cached = _tenant_cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    ready = Tenant.objects.filter(status=TenantStatus.READY)
    try:
        tenant_id = uuid.UUID(key)
    except ValueError:
        tenant: Tenant | None = ready.filter(domain_name=key).first()
    else:
        tenant = ready.filter(tenant_id=tenant_id).first()
    if tenant is not None and ttl > 0:
        _tenant_cache[key] = (now + ttl, tenant)
    return tenant


def tenant_cache_forget(tenant: Tenant) -> None:
    """Make this process forget a tenant at once (after its status changed)."""
    for key in (tenant.domain_name, str(tenant.tenant_id)):
        _tenant_cache.pop(key, None)


def tenant_issuer(tenant: Tenant) -> str:
    """The tenant's OpenID Connect issuer: `{CIAM_BASE_URL}/<domain name>/v2.0` (decision 3).

    Built from configuration and the tenant, never from a request's Host header, so Celery tasks
    and commands compute the same value.
    """
    return f"{tenant_base_url(tenant)}/v2.0"


def tenant_base_url(tenant: Tenant) -> str:
    return f"{settings.CIAM_BASE_URL}/{tenant.domain_name}"


def tenant_endpoints(tenant: Tenant) -> list[tuple[str, str]]:
    """The tenant's protocol endpoints, named as Entra names them, for apps to configure."""
    base = tenant_base_url(tenant)
    return [
        ("OpenID Connect metadata document", f"{base}/v2.0/.well-known/openid-configuration"),
        ("OAuth 2.0 authorization endpoint (v2)", f"{base}/oauth2/v2.0/authorize"),
        ("OAuth 2.0 token endpoint (v2)", f"{base}/oauth2/v2.0/token"),
        ("UserInfo endpoint", f"{base}/oauth2/v2.0/userinfo"),
        ("Logout endpoint", f"{base}/oauth2/v2.0/logout"),
        ("Token revocation endpoint", f"{base}/oauth2/v2.0/revoke"),
        ("Token introspection endpoint", f"{base}/oauth2/v2.0/introspect"),
        ("Signing keys (JWKS)", f"{base}/discovery/v2.0/keys"),
    ]


def tenant_list_for_operator(*, operator: User) -> QuerySet[Tenant]:
    """Tenants on which the operator holds any role, suspended ones included."""
    tenants: QuerySet[Tenant] = Tenant.objects.filter(role_assignments__operator=operator)
    return tenants.distinct()


def roles_of(*, operator: User, tenant: Tenant) -> frozenset[AdminRole]:
    return frozenset(
        AdminRole(role)
        for role in RoleAssignment.objects.filter(operator=operator, tenant=tenant).values_list(
            "role", flat=True
        )
    )


@dataclass(frozen=True)
class TenantAdmin:
    operator: User
    roles: frozenset[AdminRole]


def tenant_admin_list(*, tenant: Tenant) -> list[TenantAdmin]:
    """The tenant's admin accounts with their roles, by email."""
    roles_by_operator: dict[int, set[AdminRole]] = {}
    operators: dict[int, User] = {}
    for assignment in RoleAssignment.objects.filter(tenant=tenant).select_related("operator"):
        operators[assignment.operator_id] = assignment.operator
        roles_by_operator.setdefault(assignment.operator_id, set()).add(AdminRole(assignment.role))
    return sorted(
        (TenantAdmin(operators[pk], frozenset(roles)) for pk, roles in roles_by_operator.items()),
        key=lambda admin: admin.operator.email,
    )


def audit_entry_list(*, tenant: Tenant, limit: int = 200) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id)[:limit]
