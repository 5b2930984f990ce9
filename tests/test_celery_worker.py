"""A real Celery worker on the real Redis broker runs a tenant task end to end."""

import os
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.utils import timezone

from ciam_portal.celery import app
from tenants import services
from tenants.models import AuditEntry, Tenant
from tenants.tasks import tenants_purge_due
from tests.conftest import in_ci


@pytest.fixture
def redis_broker() -> Iterator[str]:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if in_ci():
            pytest.fail(f"Redis is not reachable at {url}, and CI must run this test.")
        pytest.skip(f"Redis is not reachable at {url}: the live Celery worker test did NOT run.")
    previous = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=url, task_always_eager=False)
    _forget_broker_connections()
    try:
        yield url
    finally:
        app.conf.update(previous)
        _forget_broker_connections()


def _forget_broker_connections() -> None:
    """Drop pooled connections to the previous broker, so publishing follows broker_url."""
    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


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
