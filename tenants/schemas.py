"""Entering a tenant's schema outside a request (services, Celery tasks, commands)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from tenants.models import Tenant


@contextmanager
def in_tenant(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block with only the tenant's schema on the search path, then restore.

    The public schema is left out on purpose (DESIGN.md decision 1): a table missing from the
    tenant's schema fails loudly instead of silently reading operators' rows.
    """
    previous_tenant = connection.tenant
    previous_include_public = connection.include_public_schema
    connection.set_tenant(tenant, include_public=False)
    try:
        yield tenant
    finally:
        connection.set_tenant(previous_tenant, include_public=previous_include_public)
