"""Switching the database connection between the public schema and a tenant's schema.

django-tenants adds these methods to its connection wrapper without type information; this
module is the one typed doorway to them.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast

from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name

from tenants.models import Tenant


class _TenantConnection(Protocol):
    tenant: Any
    schema_name: str
    include_public_schema: bool

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...

    def set_schema(self, schema_name: str, include_public: bool = True) -> None: ...

    def set_schema_to_public(self) -> None: ...


def _connection() -> _TenantConnection:
    return cast(_TenantConnection, connection)


def use_public_schema() -> None:
    _connection().set_schema_to_public()


def use_tenant_schema(tenant: Tenant) -> None:
    """Put only the tenant's schema on the search path (DESIGN.md decision 1).

    The public schema is left out on purpose: a table missing from the tenant's schema fails
    loudly instead of silently reading operators' rows.
    """
    _connection().set_tenant(tenant, include_public=False)


def use_schema_for_migrations(schema_name: str) -> None:
    """Put a schema known only by its name first on the search path and public after it, as
    django-tenants migrates a tenant's schema: migrations written for `migrate_schemas` may
    read public tables, so `ciam_migrate` keeps that path (its own reads name their schema)."""
    _connection().set_schema(schema_name, include_public=True)


def current_schema_name() -> str:
    return _connection().schema_name


@contextmanager
def in_tenant(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block in the tenant's schema (as `use_tenant_schema`), then restore."""
    db = _connection()
    previous_tenant, previous_include_public = db.tenant, db.include_public_schema
    use_tenant_schema(tenant)
    try:
        yield tenant
    finally:
        db.set_tenant(previous_tenant, include_public=previous_include_public)


@contextmanager
def in_public_schema() -> Iterator[None]:
    """Run the block in the public schema (the audit log's, from a tenant's request), then
    restore the tenant's search path as it was."""
    db = _connection()
    previous_tenant, previous_include_public = db.tenant, db.include_public_schema
    if db.schema_name == get_public_schema_name():
        yield
        return
    use_public_schema()
    try:
        yield
    finally:
        db.set_tenant(previous_tenant, include_public=previous_include_public)


def connection_recycle_if_wide(**_signal: object) -> bool:
    """Close the connection when it has worked in more schemas than
    CIAM_DB_SCHEMAS_PER_CONNECTION and no transaction is open; say whether it did.

    Connected to the end of every request and Celery task (tenants/apps.py), and called by
    long-lived loops (tenant creation in a bench, ciam_migrate) between tenants: PostgreSQL's
    cache of the relations a backend has opened only grows while it lives."""
    touched = getattr(connection, "schemas_touched", ())
    if len(touched) <= settings.CIAM_DB_SCHEMAS_PER_CONNECTION or connection.in_atomic_block:
        return False
    connection.close()
    return True
