"""Usage insights (issue 13; Reports Reader or Global Administrator): the tenant's active
customers, sign-ups, sign-ins by app and by method, second factors and the sign-up funnel of
each user flow, over the last 30 days or 12 months, as charts with their figures as tables.

The figures are the rollup's counts (monitoring/usage.py, monitoring/insights.py): before it
reads them, the page adds one bounded batch of the sign-in log's newest events to them, so what
it shows is current without ever reading more of the log than that batch. Each chart is drawn
by Chart.js (static/vendor/chartjs) from the same figures the page prints as the chart's table,
handed over in a JSON script element (the CSP allows no inline script).
"""

from dataclasses import asdict, dataclass, field
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from admin_center.access import tenant_admin_view
from admin_center.pages import tenant_page
from monitoring.insights import FlowFunnel, Period, Ranked, UsageInsights, usage_insights
from monitoring.usage import usage_rollup_advance
from tenants.models import Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

SECTION = "usage-insights"


@dataclass(frozen=True)
class Dataset:
    label: str
    data: list[int]
    # How the script colours it: "accent", "ok", "danger", "warn" or "series" (a palette).
    tone: str = "accent"


@dataclass(frozen=True)
class Chart:
    """One chart and its table: `labels` along one axis (the table's rows), one dataset per
    line or bar series (the table's columns)."""

    id: str
    title: str
    kind: str  # "line" or "bar"
    labels: list[str]
    datasets: list[Dataset]
    stacked: bool = False
    horizontal: bool = False
    rows_label: str = ""
    empty: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        return [
            (label, [dataset.data[index] for dataset in self.datasets])
            for index, label in enumerate(self.labels)
        ]

    @property
    def has_data(self) -> bool:
        return any(any(dataset.data) for dataset in self.datasets)


def _method_labels() -> dict[str, str]:
    """The sign-in log's methods (RFC 8176 `amr` values, apps/oidc/acr.py) in words."""
    return {
        "pwd": _("Password"),
        "otp": _("One-time code"),
        "hwk": _("Passkey (this device)"),
        "swk": _("Passkey (synced)"),
        "fed": _("Identity provider"),
    }


def _app_label(item: Ranked) -> str:
    if item.key is None:
        return _("Other apps")
    if not item.key:
        return _("No app (account pages)")
    return item.label or item.key


def _bucket_label(day: date, period: Period) -> str:
    return formats.date_format(day, "j M" if period == Period.DAYS else "M Y")


def _charts(insights: UsageInsights) -> list[Chart]:
    period = insights.period
    buckets = [_bucket_label(day, period) for day in insights.buckets]
    per = _("Day") if period == Period.DAYS else _("Month")
    methods = _method_labels()
    return [
        Chart(
            id="active-customers",
            title=(
                _("Daily active customers")
                if period == Period.DAYS
                else _("Monthly active customers")
            ),
            kind="line",
            labels=buckets,
            datasets=[Dataset(_("Active customers"), insights.active)],
            rows_label=per,
            notes=[_("Customers with at least one successful sign-in, each counted once.")],
        ),
        Chart(
            id="sign-ups",
            title=_("New sign-ups"),
            kind="bar",
            labels=buckets,
            datasets=[Dataset(_("Sign-ups completed"), insights.sign_ups, "ok")],
            rows_label=per,
        ),
        Chart(
            id="sign-ins",
            title=_("Sign-ins"),
            kind="bar",
            labels=buckets,
            datasets=[
                Dataset(_("Succeeded"), insights.successes, "ok"),
                Dataset(_("Failed"), insights.failures, "danger"),
            ],
            stacked=True,
            rows_label=per,
        ),
        Chart(
            id="mfa",
            title=_("Second factor"),
            kind="line",
            labels=buckets,
            datasets=[
                Dataset(_("Sign-ins with two factors"), insights.mfa_used, "accent"),
                Dataset(_("Second factors failed"), insights.mfa_failed, "danger"),
            ],
            rows_label=per,
        ),
        Chart(
            id="sign-ins-by-app",
            title=_("Successful sign-ins by app"),
            kind="bar",
            labels=[_app_label(item) for item in insights.apps],
            datasets=[Dataset(_("Sign-ins"), [item.count for item in insights.apps], "series")],
            horizontal=True,
            rows_label=_("App"),
            empty=_("No successful sign-in in this period."),
        ),
        Chart(
            id="sign-ins-by-method",
            title=_("Successful sign-ins by method"),
            kind="bar",
            labels=[methods.get(item.key or "", item.key or "") for item in insights.methods],
            datasets=[Dataset(_("Sign-ins"), [item.count for item in insights.methods], "series")],
            horizontal=True,
            rows_label=_("Method"),
            empty=_("No successful sign-in in this period."),
            notes=[_("A sign-in with two methods counts for each.")],
        ),
    ]


def _funnel_chart(funnels: list[FlowFunnel]) -> Chart:
    return Chart(
        id="sign-up-funnel",
        title=_("Sign-up funnel by user flow"),
        kind="bar",
        labels=[_("Started"), _("Email verified"), _("Completed")],
        datasets=[
            Dataset(
                funnel.name or funnel.flow_id,
                [funnel.started.count, funnel.verified.count, funnel.completed.count],
                "series",
            )
            for funnel in funnels
        ],
        rows_label=_("Step"),
        empty=_("No sign-up through a user flow in this period."),
    )


def _chart_data(chart: Chart) -> dict[str, object]:
    data = asdict(chart)
    for unused in ("rows_label", "empty", "notes"):
        data.pop(unused)
    return data


@tenant_admin_view(Capability.VIEW_USAGE_INSIGHTS)
@require_GET
def usage_insights_page(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    try:
        period = Period(request.GET.get("period", Period.DAYS))
    except ValueError:
        period = Period.DAYS
    with in_tenant(tenant):
        # One bounded batch: the page is current, and never reads more of the log than that.
        usage_rollup_advance(max_batches=1)
        insights = usage_insights(period=period, today=timezone.now().date())
    charts = _charts(insights)
    funnel = _funnel_chart(insights.funnels)
    return tenant_page(
        request,
        tenant,
        "admin_center/insights/page.html",
        {
            "section": SECTION,
            "period": period.value,
            "periods": [
                (Period.DAYS.value, _("Last 30 days")),
                (Period.MONTHS.value, _("Last 12 months")),
            ],
            "insights": insights,
            "charts": charts,
            "funnel": funnel,
            "funnels": insights.funnels,
            "sign_ups": sum(insights.sign_ups),
            "data": {"charts": [_chart_data(chart) for chart in [*charts, funnel]]},
        },
    )
