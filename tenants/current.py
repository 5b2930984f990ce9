"""The tenant whose schema the current connection is in (inside a tenant request or context)."""

from django.db import connection

from tenants.models import Tenant


def current_tenant_or_none() -> Tenant | None:
    tenant = getattr(connection, "tenant", None)
    return tenant if isinstance(tenant, Tenant) else None


def current_tenant() -> Tenant:
    """The current Tenant; raises if the connection is in the public schema.

    Protocol code runs only inside a tenant, so being asked elsewhere is a bug.
    """
    tenant = current_tenant_or_none()
    if tenant is None:
        raise RuntimeError("No tenant is active on this connection.")
    return tenant
