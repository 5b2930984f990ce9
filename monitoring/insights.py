"""What the usage insights page shows (issue 13), read from the rollup's counts alone
(monitoring/usage.py), never from the sign-in log: one query, however large the log (call in
the tenant's schema)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth

from monitoring.models import UsageCount, UsageMetric

MONTHS = 12
DAYS = 30
# The apps a chart names one by one; the others are summed as one bar.
APPS_SHOWN = 8


class Period(StrEnum):
    """The page's two views: the last 30 days, day by day, and the last 12 months (this one
    included), month by month."""

    DAYS = "30d"
    MONTHS = "12m"


@dataclass(frozen=True)
class Ranked:
    """One bar of a chart by app or by method: `key` (a client ID, an `amr` value; "" for
    the app sign-ins without one, None for the apps summed as others)."""

    key: str | None
    label: str
    count: int


@dataclass(frozen=True)
class FunnelStep:
    count: int
    # The share of the step before it that did not reach this one, in % (None for the first).
    drop: float | None


@dataclass(frozen=True)
class FlowFunnel:
    """A user flow's sign-ups over the period: started (the address given, its code sent),
    email verified (the code accepted), completed (the attribute page done)."""

    flow_id: str
    name: str
    started: FunnelStep
    verified: FunnelStep
    completed: FunnelStep

    @property
    def conversion(self) -> float | None:
        """Completed sign-ups per started one, in %."""
        if not self.started.count:
            return None
        return round(100 * self.completed.count / self.started.count, 1)


@dataclass(frozen=True)
class UsageInsights:
    """Each list has one figure per bucket of `buckets` (days or months, oldest first)."""

    period: Period
    buckets: list[date]
    active: list[int]
    sign_ups: list[int]
    successes: list[int]
    failures: list[int]
    mfa_used: list[int]
    mfa_failed: list[int]
    apps: list[Ranked] = field(default_factory=list)
    methods: list[Ranked] = field(default_factory=list)
    funnels: list[FlowFunnel] = field(default_factory=list)
    active_this_month: int = 0

    @property
    def sign_ins(self) -> int:
        return sum(self.successes) + sum(self.failures)


def _buckets(period: Period, today: date) -> list[date]:
    if period == Period.DAYS:
        return [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    months = []
    month = today.replace(day=1)
    for _ in range(MONTHS):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return months[::-1]


def _drop(before: int, after: int) -> float:
    if not before:
        return 0.0
    # A window's edge may count a step of a sign-up started before it: never a negative drop.
    return round(max(0.0, 100 * (before - after) / before), 1)


def _funnel(flow_id: str, name: str, counts: dict[str, int]) -> FlowFunnel:
    started = counts.get(UsageMetric.SIGN_UP_STARTED, 0)
    verified = counts.get(UsageMetric.SIGN_UP_VERIFIED, 0)
    completed = counts.get(UsageMetric.SIGN_UP_COMPLETED, 0)
    return FlowFunnel(
        flow_id=flow_id,
        name=name,
        started=FunnelStep(started, None),
        verified=FunnelStep(verified, _drop(started, verified)),
        completed=FunnelStep(completed, _drop(verified, completed)),
    )


def _ranked(totals: dict[str, int], labels: dict[str, str], shown: int | None) -> list[Ranked]:
    ordered = sorted(totals.items(), key=lambda item: (-item[1], labels.get(item[0], item[0])))
    ranked = [Ranked(key, labels.get(key, ""), count) for key, count in ordered[:shown]]
    if shown is not None and len(ordered) > shown:
        ranked.append(Ranked(None, "", sum(count for _key, count in ordered[shown:])))
    return ranked


def usage_insights(*, period: Period, today: date) -> UsageInsights:
    """The figures of the period ending `today` (a UTC day), in one query of UsageCount."""
    buckets = _buckets(period, today)
    this_month = today.replace(day=1)
    rows = UsageCount.objects.filter(
        Q(day__gte=buckets[0]) | Q(day=this_month, metric=UsageMetric.ACTIVE_MONTH),
        day__lte=today,
    )
    bucket = F("day") if period == Period.DAYS else TruncMonth("day")
    found = (
        rows.annotate(bucket=bucket)
        .values("bucket", "metric", "key")
        .annotate(total=Sum("count"), labels=ArrayAgg("label", order_by="-day"))
        .order_by()
    )
    series: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    active_this_month = 0
    for row in found:
        metric, key, total = row["metric"], row["key"], int(row["total"])
        series[(metric, key)][row["bucket"]] = total
        totals[metric][key] += total
        if row["labels"] and key not in labels[metric]:
            labels[metric][key] = row["labels"][0]
        if metric == UsageMetric.ACTIVE_MONTH and row["bucket"] == this_month:
            active_this_month = total

    def line(metric: UsageMetric, key: str = "") -> list[int]:
        values = series.get((metric, key), {})
        return [values.get(day, 0) for day in buckets]

    completed_by_bucket: dict[date, int] = defaultdict(int)
    for (metric, _key), values in series.items():
        if metric == UsageMetric.SIGN_UP_COMPLETED:
            for day, count in values.items():
                completed_by_bucket[day] += count
    flows: dict[str, dict[str, int]] = defaultdict(dict)
    for metric in (
        UsageMetric.SIGN_UP_STARTED,
        UsageMetric.SIGN_UP_VERIFIED,
        UsageMetric.SIGN_UP_COMPLETED,
    ):
        for flow_id, count in totals.get(metric, {}).items():
            flows[flow_id][metric] = count
    flow_names = {
        flow_id: name
        for metric in (UsageMetric.SIGN_UP_STARTED, UsageMetric.SIGN_UP_COMPLETED)
        for flow_id, name in labels.get(metric, {}).items()
    }
    funnels = sorted(
        (
            _funnel(flow_id, flow_names.get(flow_id, ""), counts)
            for flow_id, counts in flows.items()
        ),
        key=lambda funnel: (-funnel.started.count, funnel.name),
    )
    active_metric = UsageMetric.ACTIVE_DAY if period == Period.DAYS else UsageMetric.ACTIVE_MONTH
    return UsageInsights(
        period=period,
        buckets=buckets,
        active=line(active_metric),
        sign_ups=[completed_by_bucket.get(day, 0) for day in buckets],
        successes=line(UsageMetric.SIGN_INS, "success"),
        failures=line(UsageMetric.SIGN_INS, "failure"),
        mfa_used=line(UsageMetric.MFA, "used"),
        mfa_failed=line(UsageMetric.MFA, "failed"),
        apps=_ranked(dict(totals.get(UsageMetric.APP, {})), labels[UsageMetric.APP], APPS_SHOWN),
        methods=_ranked(dict(totals.get(UsageMetric.METHOD, {})), {}, None),
        funnels=funnels,
        active_this_month=active_this_month,
    )
