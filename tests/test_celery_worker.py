"""A real Celery worker on the real Redis broker runs a tenant task end to end."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.utils import timezone

from ciam_portal.celery import app
from tenants import services
from tenants.models import AuditEntry, Tenant
from tenants.tasks import tenants_purge_due


@pytest.mark.redis
def test_worker_on_redis_purges_a_due_tenant(redis_broker: str, committed_db: None) -> None:
    tenant = services.tenant_create(
        display_name="Worker",
        domain_name=f"worker-{int(time.time())}",
        country="US",
        creator=None,
    )
    try:
        services.tenant_delete(tenant=tenant, actor=None)
        Tenant.objects.filter(pk=tenant.pk).update(
            purge_after=timezone.now() - timedelta(seconds=1)
        )
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            tenants_purge_due.delay()
            deadline = time.monotonic() + 30
            while Tenant.objects.filter(pk=tenant.pk).exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        assert not Tenant.objects.filter(pk=tenant.pk).exists()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [tenant.schema_name])
            assert cursor.fetchone() is None
    finally:
        for leftover in Tenant.objects.filter(pk=tenant.pk):
            leftover.delete(force_drop=True)
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
        connections.close_all()
