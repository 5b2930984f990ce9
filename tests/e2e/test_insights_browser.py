"""Usage insights in real Chromium (issue 13): a year of sign-ins in the log, rolled up by the
page itself, drawn by Chart.js under the CSP, each chart's figures the same as its table's."""

import random
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from monitoring.models import SignInEvent, SignInKind, UsageCount, UsageMetric
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant

pytestmark = pytest.mark.e2e

APPS = [
    ("shop-web", "Contoso Shop"),
    ("shop-ios", "Contoso Shop for iOS"),
    ("blog", "Contoso Blog"),
    ("partners", "Partner portal"),
]
FLOWS = [
    ("flow-shop", "Shop sign-up", (118, 91, 74)),
    ("flow-partners", "Partner sign-up", (36, 33, 31)),
]
CHARTS = 7


def seed_year(tenant: Tenant) -> int:
    """About 2,000 sign-ins over the year, more of them lately, as the log records them; and
    the sign-up steps of two flows over the last weeks, as the journey counts them."""
    randomness = random.Random(13)
    customers = [uuid.uuid4() for _ in range(140)]
    now = timezone.now()
    events = []
    for back in range(320, 0, -1):
        per_day = randomness.randint(30, 70) if back <= 30 else randomness.randint(0, 6)
        for _ in range(per_day):
            failed = randomness.random() < 0.12
            methods = randomness.choices(
                [["pwd"], ["otp"], ["fed"], ["swk"]], weights=[60, 20, 15, 5]
            )[0]
            reason = "success"
            if failed:
                reason = randomness.choice(["wrong_password", "wrong_password", "mfa_failed"])
            elif methods[0] in {"pwd", "fed"} and randomness.random() < 0.3:
                methods = [*methods, "otp", "mfa"]
            client_id, name = randomness.choices(APPS, weights=[50, 25, 15, 10])[0]
            events.append(
                SignInEvent(
                    occurred_at=now - timedelta(days=back - 1, minutes=randomness.randint(5, 600)),
                    kind=SignInKind.INTERACTIVE,
                    status="failure" if failed else "success",
                    reason=reason,
                    customer_object_id=randomness.choice(customers),
                    client_id=client_id,
                    app_name=name,
                    methods=methods,
                )
            )
    today = now.date()
    steps = []
    for flow_id, name, totals in FLOWS:
        for metric, total in zip(
            (
                UsageMetric.SIGN_UP_STARTED,
                UsageMetric.SIGN_UP_VERIFIED,
                UsageMetric.SIGN_UP_COMPLETED,
            ),
            totals,
            strict=True,
        ):
            days = _spread(total, randomness)
            steps += [
                UsageCount(
                    day=today - timedelta(days=back),
                    metric=metric,
                    key=flow_id,
                    label=name,
                    count=n,
                )
                for back, n in days.items()
            ]
    with in_tenant(tenant):
        SignInEvent.objects.bulk_create(events, batch_size=1000)
        UsageCount.objects.bulk_create(steps)
    return len(events)


def _spread(total: int, randomness: random.Random) -> dict[int, int]:
    days: dict[int, int] = {}
    for _ in range(total):
        back = randomness.randint(0, 27)
        days[back] = days.get(back, 0) + 1
    return days


def charts_drawn(page: Page) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('canvas[data-drawn=\"true\"]').length === {CHARTS}"
    )


def drawn_figures(page: Page) -> dict[str, list[list[int]]]:
    """Each chart's figures as Chart.js holds them."""
    figures: dict[str, list[list[int]]] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("canvas[data-chart]")].map(
            (canvas) => [canvas.dataset.chart,
                         Chart.getChart(canvas).data.datasets.map((set) => set.data)]))"""
    )
    return figures


def table_figures(page: Page, chart_id: str) -> list[list[int]]:
    """The chart's table, column by column, as the figures of its datasets."""
    rows: list[list[int]] = page.evaluate(
        """(id) => [...document.querySelector(`canvas[data-chart="${id}"]`)
            .closest("section").querySelectorAll("details tbody tr")]
            .map((row) => [...row.querySelectorAll("td")]
                .map((cell) => Number(cell.textContent)))""",
        chart_id,
    )
    return [list(column) for column in zip(*rows, strict=True)]


def not_blank(page: Page) -> list[str]:
    """The charts whose canvas holds no drawn pixel."""
    blank: list[str] = page.evaluate(
        """() => [...document.querySelectorAll("canvas[data-chart]")].filter((canvas) => {
            const pixels = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) return false; }
            return true;
        }).map((canvas) => canvas.dataset.chart)"""
    )
    return blank


def test_the_insights_charts_are_drawn_with_their_tables(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Contoso", "e2e-insights")
    seeded = seed_year(tenant)
    assert seeded < 5000  # the page's one catch-up batch takes all of them

    page.get_by_role("navigation", name="Tenant").get_by_role("link", name="Usage insights").click()
    expect(page.get_by_role("heading", level=1, name="Usage insights")).to_be_visible()
    charts_drawn(page)
    assert not_blank(page) == []
    figures = drawn_figures(page)
    assert len(figures) == CHARTS
    for chart_id in (
        "active-customers",
        "sign-ups",
        "sign-ins",
        "mfa",
        "sign-ins-by-app",
        "sign-ins-by-method",
    ):
        assert table_figures(page, chart_id) == figures[chart_id], chart_id
    succeeded, failed = figures["sign-ins"]
    with in_tenant(tenant):
        last_30 = SignInEvent.objects.filter(
            occurred_at__date__gte=timezone.now().date() - timedelta(days=29)
        )
        assert sum(succeeded) == last_30.filter(status="success").count()
        assert sum(failed) == last_30.filter(status="failure").count()
    assert figures["sign-up-funnel"] == [[118, 91, 74], [36, 33, 31]]
    funnel = page.get_by_role("table", name="Sign-ups by user flow and step")
    expect(funnel.get_by_role("row", name="Shop sign-up")).to_contain_text("22.9 %")
    page.get_by_text("Show data as a table").nth(4).click()  # by app
    expect(page.get_by_role("table", name="Successful sign-ins by app")).to_be_visible()
    expect(page.get_by_role("img", name="Chart: Daily active customers")).to_be_visible()
    screenshot(page, "admin-usage-insights-30-days")

    page.get_by_role("link", name="Last 12 months").click()
    expect(page.get_by_role("link", name="Last 12 months")).to_have_attribute(
        "aria-current", "page"
    )
    charts_drawn(page)
    assert not_blank(page) == []
    year = drawn_figures(page)
    assert len(year["active-customers"][0]) == 12
    assert sum(year["sign-ins"][0]) + sum(year["sign-ins"][1]) == seeded
    assert table_figures(page, "active-customers") == year["active-customers"]
    expect(page.get_by_role("heading", name="Monthly active customers")).to_be_visible()
    screenshot(page, "admin-usage-insights-12-months")
    assert page_errors == []
