"""The tenant whose schema the current connection is in (inside a tenant request or context)."""

from django.db import connection

from tenants.models import Tenant


def current_tenant() -> Tenant:
    """The current Tenant; raises if the connection is in the public schema.

    Protocol code runs only inside a tenant, so being asked elsewhere is a bug.
    """
    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Tenant):
        raise RuntimeError("No tenant is active on this connection.")
    return tenant
