"""The tenant's audit log page (issue 13): filters that narrow, keyset pages that walk every entry
once, a detail pane per entry, CSV and JSON Lines downloads of the filtered set (themselves
audited), one tenant's readers never seeing another's entries, and bad input never a 500."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.selectors import AuditFilter, audit_entries
from tenants.services import audit_entry_fields
from tests.factories.accounts import MakeOperator, operator_client

NOW = timezone.now()


def log_url(tenant: Tenant, suffix: str = "") -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/audit-log/{suffix}"


def record(
    tenant: Tenant,
    *,
    ago: timedelta = timedelta(minutes=5),
    action: AuditAction = AuditAction.APP_UPDATED,
    actor: str = "global@admins.example",
    target: str = "Shop",
    details: dict[str, object] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        tenant_uuid=tenant.tenant_id,
        tenant_domain_name=tenant.domain_name,
        occurred_at=at or timezone.now() - ago,
        action=action,
        actor_email=actor,
        target=target,
        details=details or {},
    )


@pytest.fixture
def empty_logs(tenant_a: Tenant, tenant_b: Tenant) -> None:
    """Neither tenant has entries yet (their creation's entries are left out, rolled back)."""
    AuditEntry.objects.filter(tenant_uuid__in=[tenant_a.tenant_id, tenant_b.tenant_id]).delete()


def shown(response: Any) -> list[int]:
    """The IDs of the entries a page lists, in order."""
    assert response.status_code == 200, response.content[:500]
    return [entry.pk for entry, _query in response.context["rows"]]


@pytest.mark.usefixtures("empty_logs")
def test_each_filter_narrows_and_none_reaches_another_tenant(
    admin_client: Client, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    recent = record(tenant_a, ago=timedelta(hours=2), target="Shop (web)")
    days = record(
        tenant_a,
        ago=timedelta(days=3),
        action=AuditAction.SECRET_ADDED,
        actor="Other@Admins.example",
        target="Shop secret",
    )
    weeks = record(
        tenant_a, ago=timedelta(days=20), action=AuditAction.TENANT_CREATED, actor="system"
    )
    months = record(tenant_a, ago=timedelta(days=60), target="Members flow")
    old = record(
        tenant_a, at=datetime(2024, 3, 10, 12, 0, tzinfo=UTC), action=AuditAction.SECRET_ADDED
    )
    # Tenant B's twins of every one of them: no filter of A's log lists them.
    for entry in (recent, days, weeks, months, old):
        record(
            tenant_b,
            at=entry.occurred_at,
            action=AuditAction(entry.action),
            actor=entry.actor_email,
            target=entry.target,
        )

    def page(**query: str) -> list[int]:
        return shown(admin_client.get(log_url(tenant_a), query))

    assert page() == [recent.pk, days.pk, weeks.pk]  # the last 30 days by default
    assert page(period="24h") == [recent.pk]
    assert page(period="7d") == [recent.pk, days.pk]
    assert page(period="30d") == [recent.pk, days.pk, weeks.pk]
    assert page(period="90d") == [recent.pk, days.pk, weeks.pk, months.pk]
    assert page(period="all") == [recent.pk, days.pk, weeks.pk, months.pk, old.pk]
    # Custom dates are whole UTC days, both ends included.
    assert page(period="custom", start="2024-03-10", end="2024-03-10") == [old.pk]
    assert page(period="custom", end="2024-03-09") == []
    assert page(
        period="custom", start="2024-03-11", end=f"{NOW - timedelta(days=30):%Y-%m-%d}"
    ) == [months.pk]
    assert page(period="custom", start=f"{NOW - timedelta(days=3):%Y-%m-%d}") == [
        recent.pk,
        days.pk,
    ]
    assert page(period="all", action=AuditAction.SECRET_ADDED) == [days.pk, old.pk]
    assert page(period="all", actor="other@ADMINS.example") == [days.pk]  # any case
    assert page(period="all", actor="other@admins.exam") == []  # exact, not a prefix
    assert page(period="all", actor="System") == [weeks.pk]
    assert page(period="all", target="SHOP") == [recent.pk, days.pk, weeks.pk, old.pk]
    assert page(period="all", target="secret") == [days.pk]
    assert page(period="all", action=AuditAction.SECRET_ADDED, target="shop") == [
        days.pk,
        old.pk,
    ]
    assert page(period="7d", action=AuditAction.SECRET_ADDED) == [days.pk]


@pytest.mark.usefixtures("empty_logs")
def test_keyset_pages_walk_every_entry_once_and_keep_the_filters(
    admin_client: Client, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    same_moment = timezone.now() - timedelta(hours=1)
    made = [record(tenant_a, ago=timedelta(minutes=minutes)) for minutes in range(70)]
    # A run of entries at one instant straddles the first page's end: the ID breaks the tie.
    made += [record(tenant_a, at=same_moment) for _ in range(40)]
    made += [record(tenant_a, ago=timedelta(minutes=3), action=AuditAction.SECRET_ADDED)]
    record(tenant_b, ago=timedelta(minutes=1))
    expected = [
        entry.pk
        for entry in sorted(made, key=lambda entry: (entry.occurred_at, entry.pk), reverse=True)
        if entry.action == AuditAction.APP_UPDATED
    ]

    walked: list[int] = []
    query: str | None = "action=app.updated"
    pages = 0
    while query is not None:
        response = admin_client.get(f"{log_url(tenant_a)}?{query}")
        walked += shown(response)
        pages += 1
        if pages > 1:
            # "Newest" goes back to the first page with the same filters.
            assert response.context["newest_query"] == "action=app.updated"
        query = response.context["older_query"]
        if query is not None:
            assert "action=app.updated" in query
    assert walked == expected
    assert pages == 3  # 110 entries, 50 a page


@pytest.mark.usefixtures("empty_logs")
def test_a_cursor_that_does_not_read_is_the_first_page(
    admin_client: Client, tenant_a: Tenant
) -> None:
    entries = [record(tenant_a, ago=timedelta(minutes=minutes)) for minutes in range(3)]
    for after in ("nonsense", "x" * 500, "MjAyNC0wMS0wMXwx", ""):
        response = admin_client.get(log_url(tenant_a), {"after": after})
        assert shown(response) == [entry.pk for entry in entries]


@pytest.mark.usefixtures("empty_logs")
def test_the_detail_pane_shows_every_fact_and_what_changed(
    admin_client: Client, tenant_a: Tenant, global_admin: Any
) -> None:
    entry = record(
        tenant_a,
        at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        action=AuditAction.APP_AUTHENTICATION_UPDATED,
        target="Shop (1234)",
        details={
            "secret_id": "s-1",
            "uris": ["https://a.example/cb", "https://b.example/cb"],
            "before": {"public_client": False, "logout_url": None},
            "after": {"public_client": True, "logout_url": "https://a.example/out"},
        },
    )
    AuditEntry.objects.filter(pk=entry.pk).update(actor=global_admin)
    response = admin_client.get(log_url(tenant_a), {"period": "all", "entry": entry.pk})
    assert response.status_code == 200
    pane = response.text.split('id="entry"', 1)[1].split("</section>", 1)[0]
    assert '<h2 id="entry-title">App authentication updated</h2>' in pane
    assert "2026-01-02 03:04:05 UTC" in pane
    assert "<code>app.authentication_updated</code>" in pane
    assert f"<dd>{global_admin.email}</dd>" in pane
    assert f"<dt>Actor ID</dt><dd>{global_admin.pk}</dd>" in pane
    assert f"<dt>Entry ID</dt><dd>{entry.pk}</dd>" in pane
    assert "<dd>Shop (1234)</dd>" in pane
    assert "<dt>secret_id</dt><dd>s-1</dd>" in pane
    assert (
        "<dt>uris</dt><dd>[&quot;https://a.example/cb&quot;, &quot;https://b.example/cb&quot;]"
        in pane
    )
    assert '<tr><th scope="row">public_client</th><td>false</td><td>true</td></tr>' in pane
    assert (
        '<tr><th scope="row">logout_url</th><td>—</td><td>https://a.example/out</td></tr>' in pane
    )
    # The row of the entry shown is marked, and its pane is closed by a link without it.
    assert 'aria-current="true">App authentication updated</a>' in response.text
    assert response.context["close_query"] == "period=all"


def test_the_pane_of_an_entry_another_tenant_has_is_404(
    admin_client: Client, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    theirs = record(tenant_b, target="B's secret app")
    client = admin_client
    client.raise_request_exception = False
    for entry in (str(theirs.pk), "abc", "-1", "²", "1" * 30, "0"):
        response = client.get(log_url(tenant_a), {"entry": entry})
        assert response.status_code == 404, entry
        assert "B&#x27;s secret app" not in response.text


def download(client: Client, tenant: Tenant, **query: str) -> tuple[Any, str]:
    response = client.get(log_url(tenant, "download/"), query)
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    return response, b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


@pytest.mark.usefixtures("empty_logs")
def test_the_csv_download_is_the_filtered_set_and_is_itself_audited(
    admin_client: Client, tenant_a: Tenant, tenant_b: Tenant, global_admin: Any
) -> None:
    first = record(tenant_a, ago=timedelta(hours=3), details={"name": "Shop", "n": 2})
    second = record(
        tenant_a,
        ago=timedelta(hours=1),
        target='=HYPERLINK("https://evil.example")',
        details={"before": {"a": 1}, "after": {"a": 2}},
    )
    record(tenant_a, ago=timedelta(hours=2), action=AuditAction.SECRET_ADDED)
    record(tenant_b, ago=timedelta(hours=2))

    response, body = download(admin_client, tenant_a, action="app.updated", period="24h")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-tenant-a-')
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert list(rows[0]) == ["time", "actor", "actor_id", "action", "target", "details"]
    assert [row["time"] for row in rows] == [
        second.occurred_at.isoformat(),
        first.occurred_at.isoformat(),
    ]
    assert rows[0]["target"] == '\'=HYPERLINK("https://evil.example")'  # no formula
    assert json.loads(rows[0]["details"]) == {"before": {"a": 1}, "after": {"a": 2}}
    assert json.loads(rows[1]["details"]) == {"name": "Shop", "n": 2}
    assert {row["actor"] for row in rows} == {"global@admins.example"}
    assert {row["action"] for row in rows} == {"app.updated"}

    # Who downloaded what is in the log: the filters and the format, not in the file itself.
    [entry] = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.AUDIT_LOG_DOWNLOADED
    )
    assert entry.actor == global_admin
    assert entry.details["format"] == "csv"
    assert entry.details["period"] == "24h"
    assert entry.details["action"] == "app.updated"
    assert datetime.fromisoformat(entry.details["recorded_before"]) <= entry.occurred_at
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_b.tenant_id, action=AuditAction.AUDIT_LOG_DOWNLOADED
    ).exists()
    page = admin_client.get(log_url(tenant_a))
    assert entry.pk in shown(page)
    assert "Audit log downloaded" in page.text
    # The next download holds the first one's entry.
    _response, again = download(admin_client, tenant_a, action="audit_log.downloaded")
    assert [row["actor"] for row in csv.DictReader(io.StringIO(again.removeprefix("\ufeff")))] == [
        "global@admins.example"
    ]


@pytest.mark.usefixtures("empty_logs")
def test_the_json_lines_download_carries_each_entry_as_the_event_stream_does(
    admin_client: Client, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    made = [
        record(tenant_a, ago=timedelta(minutes=minutes), details={"i": minutes, "ü": "ß"})
        for minutes in range(5)
    ]
    record(tenant_b)
    response, body = download(admin_client, tenant_a, format="json", target="shop")
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response["Content-Disposition"].endswith('.jsonl"')
    lines = [json.loads(line) for line in body.splitlines()]
    assert lines == [json.loads(json.dumps(audit_entry_fields(entry))) for entry in made]
    [entry] = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.AUDIT_LOG_DOWNLOADED
    )
    assert entry.details["format"] == "json"
    assert entry.details["target"] == "shop"


@pytest.mark.usefixtures("empty_logs")
def test_a_download_streams_more_rows_than_one_chunk_in_order(
    admin_client: Client, tenant_a: Tenant
) -> None:
    AuditEntry.objects.bulk_create(
        AuditEntry(
            tenant_uuid=tenant_a.tenant_id,
            tenant_domain_name=tenant_a.domain_name,
            occurred_at=NOW - timedelta(seconds=second),
            action=AuditAction.APP_UPDATED,
            actor_email="system",
            target=f"app {second}",
        )
        for second in range(4_500)
    )
    _response, body = download(admin_client, tenant_a, period="all")
    targets = [row["target"] for row in csv.DictReader(io.StringIO(body.removeprefix("\ufeff")))]
    assert targets == [f"app {second}" for second in range(4_500)]


def test_a_reports_reader_reads_only_their_own_tenants_log(
    tenant_a: Tenant, tenant_b: Tenant, operator_factory: MakeOperator
) -> None:
    operator_factory("reader@admins.example", tenant=tenant_a, roles=[AdminRole.REPORTS_READER])
    b_admin = operator_factory(
        "b-admin@admins.example", tenant=tenant_b, roles=[AdminRole.GLOBAL_ADMINISTRATOR]
    )
    mine = record(tenant_a, actor="reader@admins.example", target="A's app")
    theirs = [
        record(tenant_b, actor=b_admin.email, target="B's app"),
        record(tenant_b, action=AuditAction.SECRET_ADDED, actor="system", target="tenant-b"),
    ]
    reader = operator_client("reader@admins.example")
    reader.raise_request_exception = False

    # B's pages and downloads are closed to A's reader.
    for suffix in ("", "download/", "download/?format=json"):
        assert reader.get(log_url(tenant_b, suffix)).status_code == 403, suffix
    # Through A's page, no filter, cursor or entry ID reaches B's entries.
    theirs_ids = {entry.pk for entry in theirs}
    queries: list[dict[str, str]] = [
        {"period": "all"},
        {"period": "all", "actor": b_admin.email},
        {"period": "all", "actor": "system"},
        {"period": "all", "target": "B's"},
        {"period": "all", "target": "tenant-b"},
        {"period": "all", "action": AuditAction.SECRET_ADDED},
    ]
    for query in queries:
        page = reader.get(log_url(tenant_a), query)
        assert not theirs_ids & set(shown(page)), query
        assert "B&#x27;s app" not in page.text
        _response, body = download(reader, tenant_a, **query)
        assert "B's app" not in body, query
        assert b_admin.email not in body, query
        _response, lines = download(reader, tenant_a, format="json", **query)
        assert not {json.loads(line)["tenant"] for line in lines.splitlines()} - {
            str(tenant_a.tenant_id)
        }
    assert mine.pk in shown(reader.get(log_url(tenant_a), {"period": "all"}))
    for entry in theirs:
        assert reader.get(log_url(tenant_a), {"entry": entry.pk}).status_code == 404
    # The reader's downloads are on A's record, none on B's.
    assert AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id,
        action=AuditAction.AUDIT_LOG_DOWNLOADED,
        actor_email="reader@admins.example",
    ).count() == 2 * len(queries)
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_b.tenant_id, action=AuditAction.AUDIT_LOG_DOWNLOADED
    ).exists()


BAD_FILTERS: list[dict[str, str]] = [
    {"period": "1y"},
    {"period": "²"},
    {"period": "custom"},  # no dates
    {"period": "custom", "start": "2024-02-30"},
    {"period": "custom", "start": "2024-03-10", "end": "2024-03-01"},
    {"period": "7d", "start": "2024-03-10"},  # dates without the custom range
    {"period": "custom", "start": "١٢"},
    {"action": "app.exploded"},
    {"action": "x" * 10_000},
    {"actor": "not an email"},
    {"actor": "x" * 300 + "@example.com"},
    {"target": "x" * 10_000},
]


@pytest.mark.parametrize("query", BAD_FILTERS, ids=lambda query: str(query)[:40])
def test_bad_filters_are_form_errors_and_list_or_download_nothing(
    admin_client: Client, tenant_a: Tenant, query: dict[str, str]
) -> None:
    admin_client.raise_request_exception = False
    page = admin_client.get(log_url(tenant_a), query)
    assert page.status_code == 400
    assert page.context["form"].errors
    assert 'class="field-errors"' in page.text or 'class="form-errors"' in page.text
    assert "rows" not in page.context
    for file_format in ("csv", "json"):
        refused = admin_client.get(log_url(tenant_a, "download/"), {**query, "format": file_format})
        assert refused.status_code == 400
        assert not refused.streaming
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.AUDIT_LOG_DOWNLOADED
    ).exists()


@pytest.mark.parametrize("query", [{"actor": "a@b.example\x00"}, {"target": "a\x00b"}])
def test_a_nul_in_a_filter_is_refused_before_the_page(
    admin_client: Client, tenant_a: Tenant, query: dict[str, str]
) -> None:
    """PostgreSQL text holds no NUL: the request guard answers 400 before any view runs."""
    admin_client.raise_request_exception = False
    for suffix in ("", "download/"):
        assert admin_client.get(log_url(tenant_a, suffix), query).status_code == 400
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.AUDIT_LOG_DOWNLOADED
    ).exists()


def test_odd_but_readable_input_is_no_error(admin_client: Client, tenant_a: Tenant) -> None:
    for query in (
        {"period": "custom", "start": "0001-01-01", "end": "9999-12-31"},
        {"period": "custom", "end": "9999-12-31"},
        {"period": "all", "target": "%_\\'\""},
        {"period": "all", "actor": " SYSTEM "},
        {"period": ""},
    ):
        response = admin_client.get(log_url(tenant_a), query)
        assert response.status_code == 200, (query, response.context["form"].errors)
    admin_client.raise_request_exception = False
    assert admin_client.get(log_url(tenant_a, "download/"), {"format": "xlsx"}).status_code == 400


@pytest.mark.parametrize(
    ("found", "index"),
    [
        (AuditFilter(since=NOW - timedelta(days=7), target="shop"), "audit_tenant_time"),
        (
            AuditFilter(since=NOW - timedelta(days=7), action=AuditAction.SECRET_ADDED),
            "audit_tenant_action",
        ),
        (AuditFilter(actor="Someone@Example.com"), "audit_tenant_actor"),
    ],
)
def test_a_filtered_page_is_one_range_scan_of_a_tenant_index(
    tenant_a: Tenant, found: AuditFilter, index: str
) -> None:
    """A small test table has the planner prefer reading it whole; with that out of the way,
    the page's query must be a walk of an index leading with the tenant, needing no sort: the
    tenant's log by time, or by activity or by actor when those are asked (a rare one must not
    walk the whole log)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # until the test's transaction ends
    rows = audit_entries(tenant=tenant_a, found=found).order_by("-occurred_at", "-id")[:51]
    plan = rows.explain()
    assert index in plan, plan
    assert "Sort" not in plan, plan
