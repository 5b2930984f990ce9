"""Reads about tenants and the audit log (operators' roles on tenants: accounts.selectors)."""

import time
import uuid

from django.conf import settings
from django.db.models import QuerySet

from tenants.endpoints import ENDPOINTS, Endpoint
from tenants.models import AuditEntry, Tenant, TenantStatus

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


def tenant_endpoint_url(tenant: Tenant, endpoint: Endpoint) -> str:
    """The endpoint's absolute URL for the tenant, from configuration (as its issuer is)."""
    return f"{tenant_base_url(tenant)}{endpoint.path}"


def tenant_endpoints(tenant: Tenant) -> list[tuple[str, str]]:
    """The tenant's protocol endpoints, named as Entra names them, for apps to configure."""
    return [(endpoint.label, tenant_endpoint_url(tenant, endpoint)) for endpoint in ENDPOINTS]


def audit_entry_list(*, tenant: Tenant, limit: int = 200) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id)[:limit]
