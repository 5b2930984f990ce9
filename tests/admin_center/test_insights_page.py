"""The admin center's Usage insights page (issue 13): the rollup's figures as charts with their
tables, for Reports Readers and Global Administrators of the tenant only; a page view reads at
most one bounded batch of the sign-in log, in a bounded number of queries."""

import json
import re
import uuid
from datetime import timedelta

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import DjangoAssertNumQueries

from monitoring.models import SignInEvent, SignInKind, UsageCount, UsageMetric
from monitoring.usage import sign_up_step_count, usage_rolled_up_through
from tenants.models import AdminRole, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, operator_client

ANN = uuid.UUID("00000000-0000-4000-8000-00000000a001")
BOB = uuid.UUID("00000000-0000-4000-8000-00000000b002")


def url(tenant: Tenant, query: str = "") -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/insights/{query}"


def seed(tenant: Tenant) -> None:
    at = timezone.now() - timedelta(hours=1)
    rows = [
        (ANN, "success", ("pwd", "otp", "mfa"), "shop-id", "Shop"),
        (ANN, "success", ("pwd",), "shop-id", "Shop"),
        (BOB, "success", ("fed",), "blog-id", "Blog"),
        (BOB, "wrong_password", ("pwd",), "shop-id", "Shop"),
        (BOB, "mfa_failed", ("pwd",), "shop-id", "Shop"),
    ]
    with in_tenant(tenant):
        SignInEvent.objects.bulk_create(
            SignInEvent(
                occurred_at=at,
                kind=SignInKind.INTERACTIVE,
                status="success" if reason == "success" else "failure",
                reason=reason,
                customer_object_id=customer,
                client_id=client_id,
                app_name=name,
                methods=list(methods),
            )
            for customer, reason, methods, client_id, name in rows
        )
        for step, times in (
            (UsageMetric.SIGN_UP_STARTED, 4),
            (UsageMetric.SIGN_UP_VERIFIED, 3),
            (UsageMetric.SIGN_UP_COMPLETED, 2),
        ):
            for _ in range(times):
                sign_up_step_count(step=step, flow_id="flow-1", flow_name="Shop sign-up")


def chart(data: dict[str, list[dict[str, object]]], chart_id: str) -> dict[str, object]:
    return next(item for item in data["charts"] if item["id"] == chart_id)


def page_data(html: str) -> dict[str, list[dict[str, object]]]:
    found = re.search(r'<script id="insights-data" type="application/json">(.*?)</script>', html)
    assert found, html[:500]
    data: dict[str, list[dict[str, object]]] = json.loads(found.group(1))
    return data


def test_a_reports_reader_sees_the_figures_as_charts_with_their_tables(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    seed(tenant_a)
    reader = operator_factory(tenant=tenant_a, roles=[AdminRole.REPORTS_READER])
    client = operator_client(reader.email)
    response = client.get(url(tenant_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page">Usage insights</a>' in html  # the navigation's entry
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/admin_center/insights.js" in html
    assert " style=" not in html
    assert "<script>" not in html
    data = page_data(html)
    now = timezone.now()
    today = now - timedelta(hours=1)  # when seed() signed them in
    # Between 00:00 and 01:00 UTC that was yesterday: the charts' last day but one.
    day = -1 if today.date() == now.date() else -2
    assert chart(data, "active-customers")["datasets"][0]["data"][day] == 2  # type: ignore[index]
    sign_ins = chart(data, "sign-ins")["datasets"]
    assert [s["data"][day] for s in sign_ins] == [3, 2]  # type: ignore[index, union-attr]
    by_app = chart(data, "sign-ins-by-app")
    assert by_app["labels"] == ["Shop", "Blog"]
    assert by_app["datasets"][0]["data"] == [2, 1]  # type: ignore[index]
    by_method = chart(data, "sign-ins-by-method")
    assert dict(zip(by_method["labels"], by_method["datasets"][0]["data"], strict=True)) == {  # type: ignore[arg-type, index]
        "Password": 2,
        "One-time code": 1,
        "Identity provider": 1,
    }
    assert [s["data"][day] for s in chart(data, "mfa")["datasets"]] == [1, 1]  # type: ignore[index, union-attr]
    assert chart(data, "sign-ups")["datasets"][0]["data"][-1] == 2  # type: ignore[index]
    funnel = chart(data, "sign-up-funnel")
    assert funnel["datasets"] == [{"label": "Shop sign-up", "data": [4, 3, 2], "tone": "series"}]
    # Every chart: a canvas with a name and, behind it, its table with a caption.
    for item in data["charts"]:
        assert f'<canvas data-chart="{item["id"]}" role="img" aria-label="Chart: ' in html
    assert html.count("<summary>Show data as a table</summary>") == 6
    assert html.count("<caption>") == 7
    assert f'<th scope="row">{today.day} {today:%b}</th>' in html
    # The funnel's table: the drop at each step.
    assert re.search(
        r'<th scope="row">Shop sign-up</th>\s*<td class="number">4</td>\s*'
        r'<td class="number">3</td>\s*<td class="number">25.0 %</td>\s*'
        r'<td class="number">2</td>\s*<td class="number">33.3 %</td>\s*'
        r'<td class="number">50.0 %</td>',
        html,
    )


def test_the_twelve_months_view_counts_month_by_month(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    seed(tenant_a)
    reader = operator_factory(tenant=tenant_a, roles=[AdminRole.REPORTS_READER])
    client = operator_client(reader.email)
    html = client.get(url(tenant_a, "?period=12m")).content.decode()
    data = page_data(html)
    active = chart(data, "active-customers")
    assert active["title"] == "Monthly active customers"
    assert len(active["labels"]) == 12  # type: ignore[arg-type]
    this_month = timezone.now() - timedelta(hours=1)
    assert active["labels"][-1] == f"{this_month:%b %Y}"  # type: ignore[index]
    assert active["datasets"][0]["data"][-1] == 2  # type: ignore[index]
    assert 'href="?period=12m" aria-current="page"' in html
    # Anything else is the 30 days.
    for period in ("7d", "", "<b>", "30d"):
        other = page_data(client.get(url(tenant_a), {"period": period}).content.decode())
        assert len(chart(other, "active-customers")["labels"]) == 30  # type: ignore[arg-type]


def test_only_the_tenants_readers_and_global_administrators_see_it(
    tenant_a: Tenant, tenant_b: Tenant, operator_factory: MakeOperator
) -> None:
    for role in (AdminRole.GLOBAL_ADMINISTRATOR, AdminRole.REPORTS_READER):
        allowed = operator_client(operator_factory(tenant=tenant_a, roles=[role]).email)
        assert allowed.get(url(tenant_a)).status_code == 200
    app_admin = operator_client(
        operator_factory(tenant=tenant_a, roles=[AdminRole.APPLICATION_ADMINISTRATOR]).email
    )
    assert app_admin.get(url(tenant_a)).status_code == 403
    overview = app_admin.get(f"/admin-center/tenants/{tenant_a.tenant_id}/").content.decode()
    assert "Usage insights" not in overview  # no entry in the navigation either
    other_reader = operator_client(
        operator_factory(tenant=tenant_b, roles=[AdminRole.REPORTS_READER]).email
    )
    assert other_reader.get(url(tenant_a)).status_code == 403
    assert other_reader.get(url(tenant_b)).status_code == 200
    # Nobody signed in (a customer's credentials match no operator): the sign-in page.
    assert Client().get(url(tenant_a))["Location"].startswith("/admin-center/sign-in/")


@override_settings(CIAM_INSIGHTS_ROLLUP_BATCH=3)
def test_a_page_view_reads_one_bounded_batch_of_the_log_in_few_queries(
    tenant_a: Tenant,
    operator_factory: MakeOperator,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    seed(tenant_a)  # 5 events
    reader = operator_factory(tenant=tenant_a, roles=[AdminRole.REPORTS_READER])
    client = operator_client(reader.email)
    with in_tenant(tenant_a):
        ids = list(SignInEvent.objects.order_by("id").values_list("id", flat=True))
    # The session, the operator, the tenant and roles, the tenant switcher (its recent tenants
    # and whether the operator is a platform administrator); the catch-up (a look at the log's
    # next ID; a batch: 8 statements); one read of the counts.
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(21):
        assert client.get(url(tenant_a)).status_code == 200
    log = SignInEvent._meta.db_table
    reading_the_log = [query["sql"] for query in queries if log in query["sql"]]
    assert reading_the_log  # the catch-up
    for sql in reading_the_log:
        # The next batch, by primary key and a LIMIT, or the batch's own ID range.
        assert "LIMIT" in sql or re.search(r"id > \d+ AND id <= \d+", sql), sql
    with in_tenant(tenant_a):
        assert usage_rolled_up_through() == ids[2]  # one batch of three, no more
    # The next view takes the next batch; nothing is counted twice.
    client.get(url(tenant_a))
    with in_tenant(tenant_a):
        assert usage_rolled_up_through() == ids[4]
        total = sum(row.count for row in UsageCount.objects.filter(metric=UsageMetric.SIGN_INS))
    assert total == 5
