"""The change feed (tenants/changes.py): every write to a tenant's settings is recorded in its
own transaction, nothing a sign-in writes is, and each process forgets what the feed names once
per window, while between changes its memories cost no query however long they live."""

import time
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from apps import lookups
from apps import services as app_services
from apps.models import AppRegistration, Platform, SigningKey
from tenants import changes
from tenants.models import SettingsChange, Tenant, TenantStatus
from tenants.schemas import in_tenant
from tests.factories.oidc import make_consented_daemon

WINDOW = 5


def recorded(schema: str) -> int:
    with connection.cursor() as cursor:  # named by schema: a tenant's path lacks public
        cursor.execute(f"SELECT count(*) FROM {changes.TABLE} WHERE schema_name = %s", [schema])  # noqa: S608
        return int(cursor.fetchone()[0])


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


class Clock:
    """time.monotonic stopped at the test's start, moved on only by the test."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr(time, "monotonic", clock)
    monkeypatch.setattr(changes, "_last_read", clock())
    lookups.forget_all()
    with override_settings(CIAM_LOOKUP_SECONDS=WINDOW):
        yield clock
    lookups.forget_all()


def test_a_settings_write_is_recorded_in_its_own_transaction(tenant_a: Tenant) -> None:
    schema = tenant_a.schema_name
    with in_tenant(tenant_a):
        before = recorded(schema)
        app = app_services.app_register(name="Recorded", platform=Platform.DAEMON)
        after_register = recorded(schema)
        assert after_register > before
        with transaction.atomic():
            app_services.client_secret_add(app=app, description="t", lifetime_days=90)
            assert recorded(schema) > after_register  # in the transaction, with the write
            transaction.set_rollback(True)
        assert recorded(schema) == after_register  # rolled back with it


def test_a_queryset_update_records_a_change_too(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        before = recorded(tenant_a.schema_name)
        SigningKey.objects.filter(pk=-1).update(kid="none")  # even one that matches no row
        assert recorded(tenant_a.schema_name) == before + 1


def test_the_tenant_table_records_updates_not_new_tenants(tenant_a: Tenant) -> None:
    before = recorded(changes.TENANT_ROWS)
    tenant_id = uuid.uuid4()
    Tenant.objects.bulk_create(
        [
            Tenant(
                tenant_id=tenant_id,
                schema_name=Tenant.schema_name_for(tenant_id),
                display_name="Unborn",
                domain_name=f"unborn-{tenant_id.hex[:8]}",
                country="US",
                status=TenantStatus.PROVISIONING,
            )
        ]
    )
    assert recorded(changes.TENANT_ROWS) == before  # nobody remembers a tenant not yet made
    Tenant.objects.filter(tenant_id=tenant_id).update(display_name="Born")
    assert recorded(changes.TENANT_ROWS) == before + 1


def test_tokens_sign_in_pages_and_sessions_record_nothing(tenant_a: Tenant) -> None:
    """Sign-ins never write settings: the feed stays quiet however busy the tenant is."""
    redirect = "https://shop.example/callback"
    daemon = make_consented_daemon(tenant_a)
    with in_tenant(tenant_a):
        web = app_services.app_register(
            name="Shop", platform=Platform.WEB, redirect_uris=[redirect]
        )
    before = SettingsChange.objects.count()
    for _ in range(3):
        answer = Client().post(
            f"/{tenant_a.domain_name}/oauth2/v2.0/token",
            {"grant_type": "client_credentials", "scope": daemon.scope},
            HTTP_AUTHORIZATION=daemon.basic,
        )
        assert answer.status_code == 200
        page = Client().get(
            f"/{tenant_a.domain_name}/oauth2/v2.0/authorize",
            {
                "client_id": web.client_id,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": redirect,
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            },
        )
        assert page.status_code == 200  # the sign-in page, and a session written for it
    assert SettingsChange.objects.count() == before


def test_between_changes_a_memory_costs_no_query_however_long_it_lives(
    tenant_a: Tenant, clock: Clock
) -> None:
    with in_tenant(tenant_a):
        app = app_services.app_register(name="Steady", platform=Platform.DAEMON)
        clock.now += WINDOW  # the feed names the registration itself once: forgotten, read
        assert lookups.client(app.client_id) == app
        for _ in range(12):  # a minute: the old memories had expired 11 times by now
            clock.now += WINDOW
            with CaptureQueriesContext(connection) as due:
                assert lookups.client(app.client_id) == app
            # Once per window, the change feed is read; the client still comes from memory.
            selects = [sql for sql in statements(due) if sql.startswith("SELECT")]
            assert len(selects) == 1
            assert changes.TABLE in selects[0]  # the feed's table, read once
            assert not any("apps_appregistration" in sql for sql in statements(due))
            with CaptureQueriesContext(connection) as between:
                assert lookups.client(app.client_id) == app
            assert statements(between) == []


def test_a_change_the_feed_names_is_forgotten_after_one_window(
    tenant_a: Tenant, clock: Clock
) -> None:
    with in_tenant(tenant_a):
        app = app_services.app_register(name="Before", platform=Platform.DAEMON)
        assert lookups.client(app.client_id).name == "Before"  # type: ignore[union-attr]
        # As another node writes it: the row and the feed change, this memory is not told.
        AppRegistration.objects.filter(pk=app.pk).update(name="After")
        clock.now += WINDOW - 0.5
        assert lookups.client(app.client_id).name == "Before"  # type: ignore[union-attr]
        clock.now += 1
        assert lookups.client(app.client_id).name == "After"  # type: ignore[union-attr]


def test_what_an_unfinished_transaction_wrote_is_never_remembered(
    tenant_a: Tenant, clock: Clock
) -> None:
    with in_tenant(tenant_a):
        app = app_services.app_register(name="Kept", platform=Platform.DAEMON)
        lookups.forget_all()
        with transaction.atomic():
            AppRegistration.objects.filter(pk=app.pk).update(name="Draft")
            assert lookups.client(app.client_id).name == "Draft"  # type: ignore[union-attr]
            transaction.set_rollback(True)
        # Read in the transaction, not kept: the rolled-back name is gone, at once.
        assert lookups.client(app.client_id).name == "Kept"  # type: ignore[union-attr]


def test_an_unreadable_feed_forgets_everything_and_spares_the_callers_transaction(
    tenant_a: Tenant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_tenant(tenant_a):
        app = app_services.app_register(name="Spared", platform=Platform.DAEMON)
        assert lookups.client(app.client_id) == app
        AppRegistration.objects.filter(pk=app.pk).update(name="Renamed")
        monkeypatch.setattr(changes, "_READ_SQL", "SELECT id, schema_name FROM no_such_table")
        clock.now += WINDOW
        with transaction.atomic():
            # The feed fails: everything is forgotten, the client read again, and the
            # transaction it ran in still works.
            assert lookups.client(app.client_id).name == "Renamed"  # type: ignore[union-attr]
            assert AppRegistration.objects.filter(pk=app.pk).exists()
        assert connection.in_atomic_block  # the test's own transaction, still usable
