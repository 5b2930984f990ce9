"""Deleting a tenant suspends it at once; a beat task purges it after 30 days."""

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from ciam_portal.celery import app
from tenants import services
from tenants.models import AuditAction, AuditEntry, Tenant, TenantStatus
from tenants.tasks import tenants_purge_due
from tests.factories.accounts import MakeOperator, operator_client


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def test_delete_through_the_admin_center_suspends_and_audits(
    operator_factory: MakeOperator,
) -> None:
    owner = operator_factory("owner@admins.example")
    tenant = services.tenant_create(
        display_name="Doomed", domain_name="doomed", country="US", creator=owner
    )
    client = operator_client(owner.email)
    url = f"/admin-center/tenants/{tenant.tenant_id}/delete/"
    assert Client().get("/doomed/account/login/").status_code == 200

    response = client.post(url, {"confirm_domain_name": "wrong"})
    assert response.status_code == 200
    assert "exactly to confirm" in response.text
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.READY

    response = client.post(url, {"confirm_domain_name": "doomed"})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.SUSPENDED
    assert tenant.purge_after is not None
    assert timedelta(days=29, hours=23) < tenant.purge_after - timezone.now() <= timedelta(days=30)
    assert Client().get("/doomed/account/login/").status_code == 404
    entry = AuditEntry.objects.get(tenant_uuid=tenant.tenant_id, action=AuditAction.TENANT_DELETED)
    assert entry.actor == owner
    # Still listed for its admins, marked suspended.
    assert "Suspended" in client.get("/admin-center/").text


def test_purge_task_drops_only_tenants_past_their_date(operator_factory: MakeOperator) -> None:
    due = services.tenant_create(
        display_name="Due", domain_name="due-co", country="US", creator=None
    )
    recent = services.tenant_create(
        display_name="Recent", domain_name="recent-co", country="US", creator=None
    )
    services.tenant_delete(tenant=due, actor=None)
    services.tenant_delete(tenant=recent, actor=None)
    Tenant.objects.filter(pk=due.pk).update(purge_after=timezone.now() - timedelta(minutes=1))

    assert app.conf.task_always_eager
    tenants_purge_due.delay()

    assert not Tenant.objects.filter(pk=due.pk).exists()
    assert not schema_exists(due.schema_name)
    assert Tenant.objects.filter(pk=recent.pk).exists()
    assert schema_exists(recent.schema_name)
    assert AuditEntry.objects.filter(
        tenant_uuid=due.tenant_id, action=AuditAction.TENANT_PURGED
    ).exists()


def test_purge_runs_on_the_beat_schedule() -> None:
    schedule = app.conf.beat_schedule
    assert any(entry["task"] == "tenants.tasks.tenants_purge_due" for entry in schedule.values())
