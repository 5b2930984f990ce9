"""The sign-in log's page reads reach their rows through the indexes (bench/sign_in_log.py
measures them at 10 million rows): a test tenant is too small for an index to pay, so the
sequential and bitmap scans are ruled out and the plan must still find an index whose
expressions are exactly the statement's."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.selectors import SignInFilter, sign_in_event_page
from tenants.keyset import Cursor
from tenants.models import Tenant
from tenants.schemas import in_tenant


def page_plan(found: SignInFilter, after: Cursor | None) -> str:
    """The plan of the statement `sign_in_event_page` runs (call in the tenant's schema)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    with CaptureQueriesContext(connection) as captured:
        sign_in_event_page(found, after=after)
    (statement,) = (q["sql"] for q in captured.captured_queries if "signinevent" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {statement}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_deep_page_starts_its_index_scan_at_the_cursor(tenant_a: Tenant) -> None:
    """The cursor's time bounds the index range (an index condition): as a filter, each page
    would read again every row of the pages before it."""
    now = timezone.now()
    after = Cursor(occurred_at=now - timedelta(hours=1), id=10**9)
    with in_tenant(tenant_a):
        plan = page_plan(SignInFilter(since=now - timedelta(days=30)), after)
    assert "Index Scan using signin_time" in plan, plan
    condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "occurred_at <=" in condition, plan
    assert "Sort" not in plan, plan
