"""The usage insights' figures (issue 13), kept in `UsageCount` (call in the tenant's schema).

Two writers, both only ever adding to a count:

- **the rollup** (`usage_rollup_advance`) reads the sign-in log forward from its watermark
  (`UsageRollup.last_event_id`) in bounded batches and adds each batch to the day's counts:
  sign-ins (interactive and single sign-on) that succeeded or failed, successful ones by app
  and by method, those that used two factors (`mfa` among the methods, RFC 8176) and the
  second factors that failed (`mfa_failed`), and the active customers of the day and of the
  month (customers with a successful sign-in of any kind, token redemptions included, each
  counted once: a row per (day, customer) inserted `ON CONFLICT DO NOTHING`, and only the rows
  that were new are counted). Celery beat runs it every few minutes in every tenant
  (`monitoring.tasks.usage_rollups_advance`); the insights page runs one batch before it
  reads, so what it shows is current. A batch, its counts and the watermark commit together,
  under the watermark row's lock (`FOR UPDATE SKIP LOCKED`): a second worker skips the tenant
  instead of adding the same events again, and a batch that fails adds nothing.
- **the journey** counts each step of a sign-up as it happens (`sign_up_step_count`, one
  upsert): no log row, and nothing to roll up.

Event IDs are drawn when an INSERT starts and become visible when it commits, so an event with
a lower ID may commit just after one with a higher ID. The rollup therefore reads only events
recorded more than CIAM_INSIGHTS_SETTLE_SECONDS ago, and stops at the first one that is not
(a batch is always a run of consecutive IDs): a record is written as its request ends, in one
autocommitted INSERT, so none can still be on its way behind the watermark. The log's purge
never removes an event past the watermark (`monitoring.services.sign_in_events_purge`).

Days are UTC days, as the logs show them.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from monitoring.models import (
    ActiveCustomerDay,
    ActiveCustomerMonth,
    SignInEvent,
    SignInKind,
    SignInStatus,
    UsageCount,
    UsageMetric,
    UsageRollup,
)
from monitoring.reasons import Reason

# How long an active customer's (day, customer) row is kept once the rollup has caught up:
# events of an older day can no longer arrive (they are rolled up within minutes), and the
# day's count is in UsageCount.
ACTIVE_DAYS_KEPT = 2

SIGN_UP_STEPS = (
    UsageMetric.SIGN_UP_STARTED,
    UsageMetric.SIGN_UP_VERIFIED,
    UsageMetric.SIGN_UP_COMPLETED,
)

# The value RFC 8176 lists when two factors were used; every other `amr` value is a method.
_TWO_FACTORS = "mfa"
# What the insights count as sign-ins: the customer's own (a token redemption follows one).
_SIGN_IN_KINDS = [SignInKind.INTERACTIVE.value, SignInKind.SINGLE_SIGN_ON.value]
_UTC_DAY = "(occurred_at AT TIME ZONE 'UTC')::date"
_UTC_MONTH = "date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date"


@dataclass(frozen=True)
class RollupProgress:
    """What one call of `usage_rollup_advance` did: `events` rolled up; `caught_up`, every
    settled event is in the counts; `busy`, another worker held the watermark (it is rolling
    up this tenant now)."""

    events: int
    caught_up: bool
    busy: bool = False


def _tables() -> dict[str, str]:
    return {
        "events": SignInEvent._meta.db_table,
        "counts": UsageCount._meta.db_table,
        "days": ActiveCustomerDay._meta.db_table,
        "months": ActiveCustomerMonth._meta.db_table,
        "mark": UsageRollup._meta.db_table,
    }


# Each statement below is built from our own table names only; every value is a parameter.

_WORK_WAITING = """
    SELECT e.occurred_at < %(cutoff)s FROM {events} e
    WHERE e.id > COALESCE((SELECT last_event_id FROM {mark}), 0)
    ORDER BY e.id LIMIT 1
"""

_BATCH_END = """
    WITH next AS (
        SELECT id, occurred_at FROM {events} WHERE id > %(after)s ORDER BY id LIMIT %(size)s
    ), edge AS (
        SELECT COALESCE(min(id) FILTER (WHERE occurred_at >= %(cutoff)s) - 1, max(id)) AS last
        FROM next
    )
    SELECT edge.last, (SELECT count(*) FROM next WHERE id <= edge.last) FROM edge
"""

_ACTIVE = """
    WITH new AS (
        INSERT INTO {table} ({period}, customer)
        SELECT DISTINCT {bucket}, customer_object_id FROM {events}
        WHERE id > %(after)s AND id <= %(last)s
            AND status = %(success)s AND customer_object_id IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING {period}
    )
    INSERT INTO {counts} AS c (day, metric, key, label, count)
    SELECT {period}, %(metric)s, '', '', count(*) FROM new GROUP BY {period}
    ON CONFLICT (day, metric, key) DO UPDATE SET count = c.count + EXCLUDED.count
"""

_COUNTS = """
    WITH batch AS MATERIALIZED (
        SELECT id, (occurred_at AT TIME ZONE 'UTC')::date AS day, kind, status, reason,
            client_id, app_name, methods
        FROM {events} WHERE id > %(after)s AND id <= %(last)s
    ), sign_ins AS (
        SELECT * FROM batch WHERE kind = ANY(%(sign_in_kinds)s)
    ), facts (day, metric, key, label, id) AS (
        SELECT day, %(sign_ins)s, status, '', id FROM sign_ins
        UNION ALL
        SELECT day, %(app)s, client_id, app_name, id FROM sign_ins WHERE status = %(success)s
        UNION ALL
        SELECT day, %(method)s, method, '', id
        FROM sign_ins, unnest(methods) AS method
        WHERE status = %(success)s AND method <> %(two_factors)s
        UNION ALL
        SELECT day, %(mfa)s, 'used', '', id FROM sign_ins
        WHERE status = %(success)s AND %(two_factors)s = ANY(methods)
        UNION ALL
        SELECT day, %(mfa)s, 'failed', '', id FROM batch WHERE reason = %(mfa_failed)s
    )
    INSERT INTO {counts} AS c (day, metric, key, label, count)
    SELECT day, metric, key, (array_agg(label ORDER BY id DESC))[1], count(*)
    FROM facts GROUP BY day, metric, key
    ON CONFLICT (day, metric, key) DO UPDATE SET
        count = c.count + EXCLUDED.count,
        label = CASE WHEN EXCLUDED.label <> '' THEN EXCLUDED.label ELSE c.label END
"""

_INCREMENT = """
    INSERT INTO {counts} AS c (day, metric, key, label, count)
    VALUES (%(day)s, %(metric)s, %(key)s, %(label)s, 1)
    ON CONFLICT (day, metric, key) DO UPDATE SET count = c.count + 1, label = EXCLUDED.label
"""


def _batch(*, size: int, settle_seconds: int) -> int | None:
    """Roll up the next batch: how many events it held, or None when another worker holds the
    watermark."""
    tables = _tables()
    cutoff = timezone.now() - timedelta(seconds=settle_seconds)
    with connection.cursor() as cursor:
        # Cheap for a tenant with nothing new: one look at the log's primary key, no lock.
        cursor.execute(_WORK_WAITING.format(**tables), {"cutoff": cutoff})
        waiting = cursor.fetchone()
        if waiting is None or not waiting[0]:
            return 0
        with transaction.atomic():
            cursor.execute(
                f"INSERT INTO {tables['mark']} (singleton, last_event_id) VALUES (true, 0) "  # noqa: S608
                "ON CONFLICT (singleton) DO NOTHING"
            )
            cursor.execute(
                f"SELECT last_event_id FROM {tables['mark']} FOR UPDATE SKIP LOCKED"  # noqa: S608
            )
            row = cursor.fetchone()
            if row is None:
                return None
            after = int(row[0])
            cursor.execute(
                _BATCH_END.format(**tables), {"after": after, "size": size, "cutoff": cutoff}
            )
            last, events = cursor.fetchone() or (None, 0)
            if last is None or last <= after:
                return 0
            bounds = {"after": after, "last": last, "success": SignInStatus.SUCCESS.value}
            for table, period, bucket, metric in (
                (tables["days"], "day", _UTC_DAY, UsageMetric.ACTIVE_DAY),
                (tables["months"], "month", _UTC_MONTH, UsageMetric.ACTIVE_MONTH),
            ):
                cursor.execute(
                    _ACTIVE.format(table=table, period=period, bucket=bucket, **tables),
                    {**bounds, "metric": metric.value},
                )
            cursor.execute(
                _COUNTS.format(utc_day=_UTC_DAY, **tables),
                {
                    **bounds,
                    "sign_in_kinds": _SIGN_IN_KINDS,
                    "sign_ins": UsageMetric.SIGN_INS.value,
                    "app": UsageMetric.APP.value,
                    "method": UsageMetric.METHOD.value,
                    "mfa": UsageMetric.MFA.value,
                    "two_factors": _TWO_FACTORS,
                    "mfa_failed": Reason.MFA_FAILED.value,
                },
            )
            cursor.execute(
                f"UPDATE {tables['mark']} SET last_event_id = %s, rolled_up_at = %s",  # noqa: S608
                [last, timezone.now()],
            )
    return int(events)


def usage_rollup_advance(
    *, max_batches: int = 1, batch_size: int | None = None, settle_seconds: int | None = None
) -> RollupProgress:
    """Add the sign-in log's next events to the usage counts, at most `max_batches` batches of
    `batch_size` (CIAM_INSIGHTS_ROLLUP_BATCH) events, each in its own transaction. Every event
    is counted exactly once, however many workers run this at the same time; a worker that
    finds the watermark held returns at once (`busy`)."""
    size = batch_size or settings.CIAM_INSIGHTS_ROLLUP_BATCH
    settle = settings.CIAM_INSIGHTS_SETTLE_SECONDS if settle_seconds is None else settle_seconds
    total = 0
    for _ in range(max_batches):
        events = _batch(size=size, settle_seconds=settle)
        if events is None:
            return RollupProgress(events=total, caught_up=False, busy=True)
        total += events
        if events < size:
            return RollupProgress(events=total, caught_up=True)
    return RollupProgress(events=total, caught_up=False)


def usage_rolled_up_through() -> int:
    """The ID of the last sign-in event in the counts (0: none yet)."""
    found = UsageRollup.objects.values_list("last_event_id", flat=True).first()
    return int(found or 0)


def active_customers_prune(*, today: date) -> int:
    """Forget which customers were active on days and in months no event can still arrive for
    (their counts stay): call once the rollup has caught up. How many rows went."""
    first_of_month = today.replace(day=1)
    previous_month = (first_of_month - timedelta(days=1)).replace(day=1)
    removed = ActiveCustomerDay.objects.filter(
        day__lt=today - timedelta(days=ACTIVE_DAYS_KEPT)
    ).delete()[0]
    removed += ActiveCustomerMonth.objects.filter(month__lt=previous_month).delete()[0]
    return removed


def sign_up_step_count(*, step: UsageMetric, flow_id: str, flow_name: str) -> None:
    """Count one sign-up reaching `step` (one of SIGN_UP_STEPS) in the user flow, today: one
    upsert, committed with the caller's transaction (or at once in autocommit)."""
    if step not in SIGN_UP_STEPS:
        raise ValueError(step)
    with connection.cursor() as cursor:
        cursor.execute(
            _INCREMENT.format(**_tables()),
            {
                "day": timezone.now().date(),
                "metric": step.value,
                "key": flow_id[:255],
                "label": flow_name[:256],
            },
        )
