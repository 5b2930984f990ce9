import threading
import uuid

import pytest
from django.db import connection, connections

from accounts.models import User
from tenants import services
from tenants.models import AdminRole, AuditAction, AuditEntry, RoleAssignment, Tenant, TenantStatus
from tenants.schemas import in_tenant
from tenants.signals import tenant_provisioned
from tests.factories.accounts import MakeOperator


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def test_create_clones_a_ready_schema_and_makes_the_creator_global_admin(
    operator_factory: MakeOperator,
) -> None:
    creator = operator_factory()
    tenant = services.tenant_create(
        display_name="Fabrikam", domain_name="fabrikam", country="DE", creator=creator
    )

    assert tenant.status == TenantStatus.READY
    assert tenant.schema_name == f"t_{tenant.tenant_id.hex}"
    assert schema_exists(tenant.schema_name)
    assert RoleAssignment.objects.filter(
        tenant=tenant, operator=creator, role=AdminRole.GLOBAL_ADMINISTRATOR
    ).exists()
    entry = AuditEntry.objects.get(tenant_uuid=tenant.tenant_id)
    assert (entry.action, entry.actor, entry.target) == (
        AuditAction.TENANT_CREATED,
        creator,
        "fabrikam",
    )
    with in_tenant(tenant):
        # The clone has its own empty tables, including DOT's swapped ones.
        assert User.objects.count() == 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('apps_appregistration')")
            assert cursor.fetchone()[0] is not None


def test_cloned_foreign_keys_stay_inside_the_new_schema(tenant_a: Tenant) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM pg_constraint c
            JOIN pg_namespace own ON own.oid = c.connamespace
            JOIN pg_class target ON target.oid = c.confrelid
            JOIN pg_namespace target_ns ON target_ns.oid = target.relnamespace
            WHERE c.contype = 'f' AND own.nspname = %s AND target_ns.nspname <> own.nspname
            """,
            [tenant_a.schema_name],
        )
        assert cursor.fetchone()[0] == 0


def test_tenant_schema_search_path_excludes_public(tenant_a: Tenant) -> None:
    """A table missing from a tenant's schema must fail loudly, never read the public one."""
    with in_tenant(tenant_a), connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert "public" not in cursor.fetchone()[0]
        with pytest.raises(Exception, match="tenants_tenant"):
            cursor.execute("SELECT count(*) FROM tenants_tenant")


def test_failed_creation_leaves_no_row_and_no_schema(
    operator_factory: MakeOperator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_audit(**kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        services.tenant_create(
            display_name="Broken", domain_name="broken-co", country="DE", creator=None
        )
    assert not Tenant.objects.filter(domain_name="broken-co").exists()
    assert orphaned_schema_count() == 0


def orphaned_schema_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_%%' "
            "AND nspname NOT IN (SELECT schema_name FROM tenants_tenant)"
        )
        return int(cursor.fetchone()[0])


def test_two_simultaneous_creations_of_one_domain_name_give_one_tenant(
    committed_db: None,
) -> None:
    """Two requests race for one name: one tenant, one clear error, no orphaned schema.

    The racers commit for real, each on its own connection, so this test works outside the
    per-test transaction and removes what it made.
    """
    domain_name = f"race-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def create() -> None:
        try:
            barrier.wait()
            outcomes.append(
                services.tenant_create(
                    display_name="Race", domain_name=domain_name, country="FR", creator=None
                )
            )
        except services.TenantDomainNameTaken as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [o for o in outcomes if isinstance(o, Tenant)]
    try:
        assert len(winners) == 1, outcomes
        assert [type(o) for o in outcomes if o not in winners] == [services.TenantDomainNameTaken]
        assert Tenant.objects.filter(domain_name=domain_name).count() == 1
        assert schema_exists(winners[0].schema_name)
        assert orphaned_schema_count() == 0
    finally:
        for tenant in Tenant.objects.filter(domain_name=domain_name):
            AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
            tenant.delete(force_drop=True)
        connections.close_all()


def test_apps_provision_a_new_tenant_in_its_schema_inside_the_creation(
    operator_factory: MakeOperator,
) -> None:
    """The kernel fires `tenant_provisioned` in the new schema before marking the tenant ready;
    each receiver sees the tenant still provisioning, in its own schema."""
    seen: list[tuple[str, str, str]] = []

    def receiver(sender: type[Tenant], *, tenant: Tenant, **kwargs: object) -> None:
        seen.append((tenant.domain_name, connection.schema_name, tenant.status))

    tenant_provisioned.connect(receiver, dispatch_uid="test-provision-seen")
    try:
        tenant = services.tenant_create(
            display_name="Seen", domain_name="seen-co", country="DE", creator=operator_factory()
        )
    finally:
        tenant_provisioned.disconnect(dispatch_uid="test-provision-seen")
    assert seen == [("seen-co", tenant.schema_name, TenantStatus.PROVISIONING)]


@pytest.mark.django_db
def test_a_failing_provisioning_receiver_leaves_no_tenant_and_no_schema() -> None:
    def broken(sender: type[Tenant], **kwargs: object) -> None:
        raise RuntimeError("provisioning failed")

    tenant_provisioned.connect(broken, dispatch_uid="test-provision-broken")
    try:
        with pytest.raises(RuntimeError, match="provisioning failed"):
            services.tenant_create(
                display_name="Broken", domain_name="broken-provision", country="DE", creator=None
            )
    finally:
        tenant_provisioned.disconnect(dispatch_uid="test-provision-broken")
    assert not Tenant.objects.filter(domain_name="broken-provision").exists()
    assert orphaned_schema_count() == 0
