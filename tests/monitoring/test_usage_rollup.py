"""The usage insights' rollup (issue 13): the sign-in log's events added to the day's counts
once each, incrementally, from a watermark, by any number of workers at once; the log's purge
never takes an event the counts do not have yet."""

import threading
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from ciam_portal.celery import app as celery_app
from monitoring.models import (
    ActiveCustomerDay,
    ActiveCustomerMonth,
    SignInEvent,
    SignInKind,
    UsageCount,
    UsageMetric,
    UsageRollup,
)
from monitoring.services import sign_in_events_purge
from monitoring.tasks import usage_rollups_advance
from monitoring.usage import (
    active_customers_prune,
    sign_up_step_count,
    usage_rolled_up_through,
    usage_rollup_advance,
)
from tenants import services as tenant_services
from tenants.models import AuditEntry, Tenant
from tenants.schemas import in_tenant

ANN = uuid.UUID("00000000-0000-4000-8000-00000000a001")
BOB = uuid.UUID("00000000-0000-4000-8000-00000000b002")
CY = uuid.UUID("00000000-0000-4000-8000-00000000c003")


def event(
    at: datetime,
    customer: uuid.UUID | None = ANN,
    *,
    reason: str = "success",
    kind: str = SignInKind.INTERACTIVE,
    app: tuple[str, str] = ("shop-id", "Shop"),
    methods: Iterable[str] = ("pwd",),
) -> SignInEvent:
    return SignInEvent(
        occurred_at=at,
        kind=kind,
        status="success" if reason == "success" else "failure",
        reason=reason,
        customer_object_id=customer,
        client_id=app[0],
        app_name=app[1],
        methods=list(methods),
    )


def counts() -> dict[tuple[str, str, str], int]:
    """Every count, by (day, metric, key)."""
    return {
        (row.day.isoformat(), row.metric, row.key): row.count for row in UsageCount.objects.all()
    }


def day_of(at: datetime) -> str:
    return at.date().isoformat()


@pytest.fixture
def hour_ago() -> datetime:
    return timezone.now() - timedelta(hours=1)


def test_a_batch_of_the_log_is_counted_by_day_app_method_and_outcome(
    tenant_a: Tenant, hour_ago: datetime
) -> None:
    yesterday = hour_ago - timedelta(days=1)
    with in_tenant(tenant_a):
        SignInEvent.objects.bulk_create(
            [
                event(hour_ago, ANN, methods=("pwd", "otp", "mfa")),
                event(hour_ago, ANN),  # Ann again: active once
                event(hour_ago, BOB, app=("blog-id", "Blog"), methods=("otp",)),
                event(hour_ago, BOB, reason="wrong_password"),
                event(hour_ago, CY, reason="mfa_failed", methods=("pwd",)),
                event(hour_ago, CY, kind=SignInKind.REFRESH),  # active, not a sign-in
                event(hour_ago, None, kind=SignInKind.SINGLE_SIGN_ON, app=("", "")),
                event(yesterday, ANN, kind=SignInKind.SINGLE_SIGN_ON, methods=("fed",)),
            ]
        )
        progress = usage_rollup_advance()
        assert (progress.events, progress.caught_up, progress.busy) == (8, True, False)
        today, before = day_of(hour_ago), day_of(yesterday)
        found = counts()
    assert found == {
        (today, "sign_ins", "success"): 4,
        (today, "sign_ins", "failure"): 2,
        (today, "app", "shop-id"): 2,
        (today, "app", "blog-id"): 1,
        (today, "app", ""): 1,  # single sign-on to no app: still a sign-in
        (today, "method", "pwd"): 3,
        (today, "method", "otp"): 2,
        (today, "mfa", "used"): 1,
        (today, "mfa", "failed"): 1,
        (today, "active_day", ""): 3,  # Ann, Bob, Cy (by a refresh)
        (before, "sign_ins", "success"): 1,
        (before, "app", "shop-id"): 1,
        (before, "method", "fed"): 1,
        (before, "active_day", ""): 1,
        **_months(hour_ago, yesterday),
    }


def _months(today: datetime, before: datetime) -> dict[tuple[str, str, str], int]:
    """The active customers of the months: Ann, Bob and Cy this month; Ann the day before is
    one of them, unless that day was last month."""
    this_month, last = today.date().replace(day=1), before.date().replace(day=1)
    months = {(this_month.isoformat(), "active_month", ""): 3}
    if last != this_month:
        months[(last.isoformat(), "active_month", "")] = 1
    return months


def test_rolling_up_again_counts_only_what_is_new_and_each_customer_once_a_day_and_month(
    tenant_a: Tenant, hour_ago: datetime
) -> None:
    today = day_of(hour_ago)
    month = hour_ago.date().replace(day=1).isoformat()
    with in_tenant(tenant_a):
        SignInEvent.objects.bulk_create([event(hour_ago, ANN), event(hour_ago, BOB)])
        assert usage_rollup_advance().events == 2
        assert usage_rollup_advance().events == 0  # nothing new: nothing counted twice
        SignInEvent.objects.bulk_create(
            [event(hour_ago, ANN), event(hour_ago, CY), event(hour_ago, CY, reason="locked")]
        )
        assert usage_rollup_advance().events == 3
        found = counts()
        assert usage_rolled_up_through() == SignInEvent.objects.latest("id").pk
        assert ActiveCustomerDay.objects.count() == 3
        assert ActiveCustomerMonth.objects.count() == 3
    assert found[(today, "sign_ins", "success")] == 4
    assert found[(today, "sign_ins", "failure")] == 1
    assert found[(today, "active_day", "")] == 3
    assert found[(month, "active_month", "")] == 3


def test_the_rollup_waits_for_events_to_settle_and_never_skips_one(tenant_a: Tenant) -> None:
    """An event recorded just now may still have a lower-numbered one committing behind it:
    the rollup stops before it, and takes it (and what follows) once it has settled."""
    now = timezone.now()
    with in_tenant(tenant_a):
        SignInEvent.objects.bulk_create(
            [
                event(now - timedelta(minutes=10), ANN),
                event(now, BOB),  # just now
                event(now - timedelta(minutes=10), CY),  # settled, but after Bob's
            ]
        )
        first, bob, _cy = SignInEvent.objects.order_by("id").values_list("id", flat=True)
        assert usage_rollup_advance(settle_seconds=120).events == 1
        assert usage_rolled_up_through() == first
        assert usage_rollup_advance(settle_seconds=120).events == 0
        assert usage_rolled_up_through() == first
        SignInEvent.objects.filter(pk=bob).update(occurred_at=now - timedelta(minutes=3))
        assert usage_rollup_advance(settle_seconds=120).events == 2
        # Three customers active (on two days when midnight UTC fell in the last 10 minutes).
        active = [n for (_day, metric, _key), n in counts().items() if metric == "active_day"]
        assert sum(active) == 3


def test_a_rollup_reads_at_most_its_batches(tenant_a: Tenant, hour_ago: datetime) -> None:
    with in_tenant(tenant_a):
        SignInEvent.objects.bulk_create(event(hour_ago, ANN) for _ in range(7))
        progress = usage_rollup_advance(max_batches=2, batch_size=3)
        assert (progress.events, progress.caught_up) == (6, False)
        assert usage_rollup_advance(max_batches=2, batch_size=3).events == 1
        assert counts()[(day_of(hour_ago), "sign_ins", "success")] == 7


def test_the_purge_keeps_what_the_rollup_has_not_counted_yet(tenant_a: Tenant) -> None:
    long_ago = timezone.now() - timedelta(days=40)
    with in_tenant(tenant_a):
        SignInEvent.objects.bulk_create([event(long_ago, ANN), event(long_ago, BOB)])
        assert sign_in_events_purge(retention_days=30) == 0
        assert SignInEvent.objects.count() == 2
        usage_rollup_advance()
        assert sign_in_events_purge(retention_days=30) == 2
        # The counts outlive the log.
        assert counts()[(day_of(long_ago), "sign_ins", "success")] == 2


def test_pruning_forgets_past_days_customers_but_not_their_counts(tenant_a: Tenant) -> None:
    today = date(2026, 3, 10)
    with in_tenant(tenant_a):
        for day in (date(2026, 1, 20), date(2026, 3, 7), date(2026, 3, 8), today):
            ActiveCustomerDay.objects.create(day=day, customer=ANN)
            UsageCount.objects.create(day=day, metric=UsageMetric.ACTIVE_DAY, count=1)
        for month in (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)):
            ActiveCustomerMonth.objects.create(month=month, customer=ANN)
        assert active_customers_prune(today=today) == 3  # Jan 20, Mar 7; January
        assert sorted(ActiveCustomerDay.objects.values_list("day", flat=True)) == [
            date(2026, 3, 8),
            today,
        ]
        assert ActiveCustomerMonth.objects.count() == 2
        assert UsageCount.objects.count() == 4


def test_a_sign_up_step_is_one_upsert_that_keeps_the_flows_latest_name(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        for name in ("Shop sign-up", "Shop sign-up", "Shop sign-up (new)"):
            sign_up_step_count(step=UsageMetric.SIGN_UP_STARTED, flow_id="f-1", flow_name=name)
        sign_up_step_count(step=UsageMetric.SIGN_UP_COMPLETED, flow_id="f-1", flow_name="x")
        with pytest.raises(ValueError, match="app"):
            sign_up_step_count(step=UsageMetric.APP, flow_id="f-1", flow_name="x")
        started = UsageCount.objects.get(metric=UsageMetric.SIGN_UP_STARTED)
        assert (started.key, started.label, started.count) == ("f-1", "Shop sign-up (new)", 3)
        assert UsageCount.objects.count() == 2


@pytest.fixture
def committed_tenant(committed_db: None) -> Iterator[Tenant]:
    """A tenant of its own, committed, for workers on their own connections; removed after."""
    tenant = tenant_services.tenant_create(
        display_name="Rollup race",
        domain_name=f"rollup-{uuid.uuid4().hex[:8]}",
        country="NL",
        creator=None,
    )
    try:
        yield tenant
    finally:
        connections.close_all()
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
        tenant.delete(force_drop=True)


def test_a_worker_finding_the_watermark_held_skips_and_counts_nothing(
    committed_tenant: Tenant,
) -> None:
    at = timezone.now() - timedelta(hours=1)
    with in_tenant(committed_tenant):
        SignInEvent.objects.bulk_create([event(at, ANN), event(at, BOB)])
        UsageRollup.objects.create()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with in_tenant(committed_tenant), transaction.atomic():
                UsageRollup.objects.select_for_update().get()
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(timeout=30)
        with in_tenant(committed_tenant):
            progress = usage_rollup_advance()
            assert (progress.events, progress.busy) == (0, True)
            assert not UsageCount.objects.exists()
    finally:
        release.set()
        holder.join(timeout=30)
    with in_tenant(committed_tenant):
        assert usage_rollup_advance().events == 2
        assert counts()[(day_of(at), "sign_ins", "success")] == 2


def test_workers_rolling_up_at_once_count_every_event_exactly_once(
    committed_tenant: Tenant,
) -> None:
    at = timezone.now() - timedelta(hours=1)
    customers = [uuid.uuid4() for _ in range(15)]
    with in_tenant(committed_tenant):
        SignInEvent.objects.bulk_create(
            event(at, customers[n % 15], reason="success" if n % 4 else "wrong_password")
            for n in range(60)
        )
    workers = 4
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with in_tenant(committed_tenant):
                barrier.wait(timeout=30)
                for _ in range(40):
                    progress = usage_rollup_advance(batch_size=4)
                    if progress.caught_up:
                        return
        except BaseException as error:  # handed to the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with in_tenant(committed_tenant):
        usage_rollup_advance(max_batches=20, batch_size=4)  # whatever a skipped worker left
        found = counts()
        assert usage_rolled_up_through() == SignInEvent.objects.latest("id").pk
    today = day_of(at)
    assert found[(today, "sign_ins", "success")] == 45
    assert found[(today, "sign_ins", "failure")] == 15
    assert found[(today, "active_day", "")] == 15


def test_celery_beat_rolls_up_every_ready_tenant(
    tenant_a: Tenant, tenant_b: Tenant, hour_ago: datetime
) -> None:
    schedule = celery_app.conf.beat_schedule
    assert any(
        entry["task"] == "monitoring.tasks.usage_rollups_advance" for entry in schedule.values()
    )
    # What other tests left in the session's committed tenants is counted first.
    usage_rollups_advance()
    for tenant in (tenant_a, tenant_b):
        with in_tenant(tenant):
            SignInEvent.objects.bulk_create([event(hour_ago, ANN), event(hour_ago, BOB)])
    assert usage_rollups_advance() == 4
    assert usage_rollups_advance() == 0
    for tenant in (tenant_a, tenant_b):
        with in_tenant(tenant):
            assert counts()[(day_of(hour_ago), "active_day", "")] == 2
