"""A committed tenant whose web app signs customers up through a user flow: for the tests that
run the product outside the test's transaction (a live server, a Celery worker), which must
then remove what they made themselves."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

from apps import services as app_services
from apps.models import Platform
from tenants import services as tenant_services
from tenants.models import AuditEntry, CacheEntry, OutboxMessage, Tenant
from tenants.schemas import in_tenant
from userflows.services import flow_apps_assign, userflow_create


@contextmanager
def committed_sign_up_tenant(name: str, redirect_uri: str) -> Iterator[tuple[Tenant, str]]:
    """A new tenant named `name` with a user flow and a web app redirecting to `redirect_uri`;
    yields (tenant, the app's client ID), then drops the tenant with its schema and what the
    public schema kept of it (outbox messages, cache entries, audit entries)."""
    slug = name.split()[0].lower()
    tenant = tenant_services.tenant_create(
        display_name=name,
        domain_name=f"{slug}-{uuid.uuid4().hex[:8]}",
        country="US",
        creator=None,
    )
    with in_tenant(tenant):
        flow = userflow_create(name=f"{slug} flow")
        web = app_services.app_register(
            name="Web", platform=Platform.WEB, redirect_uris=[redirect_uri]
        )
        flow_apps_assign(flow=flow, apps=[web])
    try:
        yield tenant, web.client_id
    finally:
        OutboxMessage.objects.filter(tenant=tenant).delete()
        # What a server kept in its cache table (rate limits), which the tests of that table
        # must not find.
        CacheEntry.objects.filter(key__startswith=f"{tenant.schema_name}:").delete()
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
        Tenant.objects.get(pk=tenant.pk).delete(force_drop=True)
        connections.close_all()
