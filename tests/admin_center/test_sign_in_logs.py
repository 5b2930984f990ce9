"""The admin center's sign-in log (issue 13): filters, keyset pages, the detail pane, CSV and
JSON downloads (audited), the retention setting, and who may open any of it."""

import csv
import io
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admin_center.monitoring.views import DOWNLOAD_COLUMNS
from monitoring.models import LogSettings, SignInEvent, SignInKind
from monitoring.reasons import OUTCOMES, Reason
from monitoring.selectors import PAGE_SIZE
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeCustomer, MakeOperator, operator_client
from tests.factories.flows import FlowWorld
from tests.security.test_tenant_isolation import sign_in_customer

CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
_LISTED = re.compile(r'<tr id="sign-in-(\d+)"')

Seed = Callable[..., SignInEvent]


def log_url(tenant: Tenant, suffix: str = "") -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/sign-in-logs/{suffix}"


def listed(response: Any) -> list[int]:
    """The IDs of the sign-ins the page lists, in its order."""
    assert response.status_code == 200, response.content[:300]
    return [int(found) for found in _LISTED.findall(response.text)]


def event(tenant: Tenant, *, minutes_ago: float = 5, **fields: Any) -> SignInEvent:
    reason = Reason(fields.pop("reason", Reason.SUCCESS))
    values: dict[str, Any] = {
        "occurred_at": timezone.now() - timedelta(minutes=minutes_ago),
        "kind": SignInKind.INTERACTIVE,
        "status": "success" if reason == Reason.SUCCESS else "failure",
        "error_code": OUTCOMES[reason].code,
        "reason": reason.value,
        "customer_email": "ann@example.com",
        "customer_object_id": uuid.uuid4(),
        "client_id": "shop-client",
        "app_name": "Shop",
        "ip_address": "192.0.2.10",
        "user_agent": CHROME_ON_WINDOWS,
        "methods": ["pwd"],
        **fields,
    }
    with in_tenant(tenant):
        return SignInEvent.objects.create(**values)


@pytest.fixture
def reader(tenant_a: Tenant, operator_factory: MakeOperator) -> Client:
    operator_factory("reader@admins.example", tenant=tenant_a, roles=[AdminRole.REPORTS_READER])
    return operator_client("reader@admins.example")


@pytest.fixture
def global_client(tenant_a: Tenant, operator_factory: MakeOperator) -> Client:
    operator_factory(
        "global@admins.example", tenant=tenant_a, roles=[AdminRole.GLOBAL_ADMINISTRATOR]
    )
    return operator_client("global@admins.example")


# Filters


@pytest.fixture
def varied(flow_world: FlowWorld) -> dict[str, SignInEvent]:
    """Sign-ins of tenant A that each filter tells apart."""
    tenant = flow_world.tenant
    app = flow_world.app
    bob = uuid.uuid4()
    return {
        "ok": event(tenant, minutes_ago=10),
        "wrong": event(
            tenant, minutes_ago=20, reason=Reason.WRONG_PASSWORD, ip_address="198.51.100.7"
        ),
        "locked": event(tenant, minutes_ago=30, reason=Reason.LOCKED, customer_email="b@x.org"),
        "bob": event(
            tenant,
            minutes_ago=40,
            customer_email="Bob@Example.com",
            customer_object_id=bob,
            client_id=app.client_id,
            app_name=app.name,
            methods=["pwd", "otp", "mfa"],
        ),
        "refresh": event(tenant, minutes_ago=50, kind=SignInKind.REFRESH, methods=[]),
        "v6": event(tenant, minutes_ago=60, ip_address="2001:db8::1", methods=["fed"]),
        "days_ago": event(tenant, minutes_ago=3 * 24 * 60),
        "weeks_ago": event(tenant, minutes_ago=20 * 24 * 60, reason=Reason.WRONG_PASSWORD),
    }


def _names(found: list[int], varied: dict[str, SignInEvent]) -> list[str]:
    by_id = {row.pk: name for name, row in varied.items()}
    return [by_id[pk] for pk in found]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["ok", "wrong", "locked", "bob", "refresh", "v6"]),
        ({"range": "7d"}, ["ok", "wrong", "locked", "bob", "refresh", "v6", "days_ago"]),
        (
            {"range": "30d"},
            ["ok", "wrong", "locked", "bob", "refresh", "v6", "days_ago", "weeks_ago"],
        ),
        ({"customer": "bob@example.com"}, ["bob"]),
        ({"customer": "  BOB@example.COM "}, ["bob"]),
        ({"status": "failure"}, ["wrong", "locked"]),
        ({"status": "failure", "range": "30d"}, ["wrong", "locked", "weeks_ago"]),
        ({"status": "success"}, ["ok", "bob", "refresh", "v6"]),
        ({"reason": "locked"}, ["locked"]),
        ({"reason": "wrong_password", "range": "30d"}, ["wrong", "weeks_ago"]),
        ({"ip": "198.51.100.7"}, ["wrong"]),
        ({"ip": "2001:DB8:0::1"}, ["v6"]),
        ({"method": "otp"}, ["bob"]),
        ({"method": "fed"}, ["v6"]),
        ({"method": "pwd", "status": "failure"}, ["wrong", "locked"]),
        ({"kind": "refresh"}, ["refresh"]),
        ({"kind": "single_sign_on"}, []),
    ],
)
def test_each_filter_narrows_the_list(
    reader: Client,
    tenant_a: Tenant,
    varied: dict[str, SignInEvent],
    query: dict[str, str],
    expected: list[str],
) -> None:
    response = reader.get(log_url(tenant_a), query)
    assert _names(listed(response), varied) == expected
    if not expected:
        assert "No sign-ins match these filters." in response.text


def test_customer_by_object_id_and_app_by_its_registration(
    reader: Client, tenant_a: Tenant, flow_world: FlowWorld, varied: dict[str, SignInEvent]
) -> None:
    by_id = reader.get(log_url(tenant_a), {"customer": str(varied["bob"].customer_object_id)})
    assert _names(listed(by_id), varied) == ["bob"]
    page = reader.get(log_url(tenant_a), {"app": flow_world.app.client_id})
    assert _names(listed(page), varied) == ["bob"]
    # The app filter offers the tenant's registrations by name.
    assert f'<option value="{flow_world.app.client_id}" selected>' in page.text
    # An app no longer registered is still a filter, by the ID the log recorded.
    gone = reader.get(log_url(tenant_a), {"app": "shop-client"})
    assert _names(listed(gone), varied) == ["ok", "wrong", "locked", "refresh", "v6"]
    assert '<option value="shop-client" selected>shop-client (not registered now)' in gone.text


def test_a_custom_range_takes_days_and_minutes_in_utc(
    reader: Client, tenant_a: Tenant, varied: dict[str, SignInEvent]
) -> None:
    weeks_ago = varied["weeks_ago"].occurred_at.astimezone(UTC)
    day = weeks_ago.strftime("%Y-%m-%d")
    # A day alone as the end includes that whole day.
    whole_day = reader.get(log_url(tenant_a), {"range": "custom", "since": day, "until": day})
    assert _names(listed(whole_day), varied) == ["weeks_ago"]
    minute = weeks_ago.replace(second=0, microsecond=0)
    before = (minute - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    at = minute.strftime("%Y-%m-%dT%H:%M")
    # The end is exclusive; a start or end makes the range custom whatever the select said.
    up_to = reader.get(log_url(tenant_a), {"range": "24h", "since": before, "until": at})
    assert varied["weeks_ago"].pk not in listed(up_to)
    assert _names(
        listed(
            reader.get(
                log_url(tenant_a),
                {"since": at, "until": (minute + timedelta(minutes=1)).isoformat()[:16]},
            )
        ),
        varied,
    ) == ["weeks_ago"]
    opened = reader.get(log_url(tenant_a), {"since": day})
    assert '<option value="custom" selected>' in opened.text
    assert _names(listed(opened), varied)[-1] == "weeks_ago"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"range": "1y"}, "range"),
        ({"range": "custom"}, "since"),
        ({"since": "2026-13-45"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-03-05", "until": "2026-03-01"}, "until"),
        ({"customer": "x" * 300}, "customer"),
        ({"app": "x" * 256}, "app"),
        ({"status": "maybe"}, "status"),
        ({"reason": "success"}, "reason"),
        ({"reason": "<script>"}, "reason"),
        ({"ip": "999.1.1.1"}, "ip"),
        ({"ip": "192.0.2.0/24"}, "ip"),
        ({"method": "sms"}, "method"),
        ({"kind": "robot"}, "kind"),
    ],
)
def test_bad_filters_are_errors_on_their_fields_and_read_nothing(
    reader: Client,
    tenant_a: Tenant,
    varied: dict[str, SignInEvent],
    query: dict[str, str],
    field: str,
) -> None:
    response = reader.get(log_url(tenant_a), query)
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert listed(response) == []
    assert "Correct the filters above" in response.text
    assert 'class="field-errors"' in response.text
    # Nor does a download read anything with them: the page, its errors, 400.
    download = reader.get(log_url(tenant_a, "download/"), {**query, "format": "csv"})
    assert download.status_code == 400
    assert not download.streaming


def test_bad_page_and_entry_parameters_are_no_error(
    reader: Client, tenant_a: Tenant, varied: dict[str, SignInEvent]
) -> None:
    everything = listed(reader.get(log_url(tenant_a)))
    for value in ["x", "²", "-1", "0", "99999999999999999999999", "🙂", "a" * 500]:
        response = reader.get(log_url(tenant_a), {"after": value, "entry": value})
        assert listed(response) == everything, value
    missing = reader.get(log_url(tenant_a), {"entry": "987654321"})
    assert "Sign-in not found" in missing.text


# Pages


def test_keyset_pages_go_through_every_sign_in_once_and_keep_the_filters(
    reader: Client, tenant_a: Tenant
) -> None:
    now = timezone.now()
    rows = [
        SignInEvent(
            # Pairs of sign-ins at one instant: the ID orders them.
            occurred_at=now - timedelta(seconds=index // 2),
            kind=SignInKind.INTERACTIVE,
            status="failure" if index % 3 else "success",
            error_code=50126 if index % 3 else 0,
            reason="wrong_password" if index % 3 else "success",
            customer_email=f"c{index}@example.com",
        )
        for index in range(2 * PAGE_SIZE + 30)
    ]
    with in_tenant(tenant_a):
        SignInEvent.objects.bulk_create(rows)
        failures = list(
            SignInEvent.objects.filter(status="failure")
            .order_by("-occurred_at", "-id")
            .values_list("id", flat=True)
        )
    assert len(failures) > PAGE_SIZE
    seen: list[int] = []
    response = reader.get(log_url(tenant_a), {"status": "failure"})
    assert "Newest" not in response.text
    pages = 0
    while True:
        pages += 1
        seen += listed(response)
        older = re.search(r'<a class="button" href="\?([^"]+)" rel="next">Older</a>', response.text)
        if older is None:
            break
        query = older.group(1).replace("&amp;", "&")
        assert "status=failure" in query
        response = reader.get(f"{log_url(tenant_a)}?{query}")
        assert re.search(r'href="\?status=failure">Newest</a>', response.text)
    assert seen == failures
    assert pages == 2


def test_a_page_reads_one_page_of_the_log_and_counts_nothing(
    reader: Client, tenant_a: Tenant, varied: dict[str, SignInEvent]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = reader.get(log_url(tenant_a), {"status": "failure", "range": "30d"})
    assert len(listed(response)) == 3
    log_reads = [q["sql"] for q in queries.captured_queries if "monitoring_signinevent" in q["sql"]]
    assert len(log_reads) == 1, log_reads
    assert "LIMIT 51" in log_reads[0]
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


# The detail pane


def test_the_detail_pane_shows_every_field_of_the_entry(
    reader: Client, tenant_a: Tenant, flow_world: FlowWorld
) -> None:
    correlation = str(uuid.uuid4())
    customer = uuid.uuid4()
    entry = event(
        tenant_a,
        correlation_id=correlation,
        customer_email="mia@example.com",
        customer_object_id=customer,
        client_id=flow_world.app.client_id,
        app_name="Contoso Shop",
        ip_address="203.0.113.9",
        location="Amsterdam office",
        user_agent=SAFARI_ON_IPHONE,
        methods=["pwd", "otp", "mfa"],
        mfa_detail="Authenticator app",
        identity_provider="https://accounts.google.com",
        conditional_access="success",
        policies=[
            {"name": "MFA for the shop", "grant": "mfa", "report_only": False},
            {"name": "Block risky sign-ins", "grant": "block", "report_only": True},
        ],
        risk_level="medium",
        details={"single_sign_on": False},
    )
    other = event(tenant_a, minutes_ago=1, customer_email="zed@example.com")
    response = reader.get(log_url(tenant_a), {"status": "success", "entry": str(entry.pk)})
    assert listed(response) == [other.pk, entry.pk]
    pane = response.text[response.text.index('id="sign-in-detail"') :]
    for shown in [
        "Activity details",
        correlation,
        str(customer),
        "mia@example.com",
        "Contoso Shop",
        flow_world.app.client_id,
        "203.0.113.9",
        "Amsterdam office",
        "Mobile Safari 17.1",
        "iOS 17.1",
        "iPhone",
        "Authenticator app",
        "Multifactor authentication",
        "https://accounts.google.com",
        "Medium",
        "MFA for the shop",
        "Require multifactor authentication",
        "Block risky sign-ins",
        "Block access",
        "Report-only: not enforced",
        "Applied",
        "single_sign_on",
        "Interactive",
    ]:
        assert shown in pane, shown
    # A region named by its heading, the selected row marked, and a way back to the list.
    assert 'aria-labelledby="sign-in-detail-heading"' in response.text
    assert f'href="?status=success&amp;entry={entry.pk}#sign-in-detail" aria-current="true"' in (
        response.text
    )
    assert f'href="?status=success#sign-in-{entry.pk}">Close details</a>' in response.text


def test_a_failures_pane_says_its_reason_and_code(reader: Client, tenant_a: Tenant) -> None:
    entry = event(tenant_a, reason=Reason.LOCKED)
    response = reader.get(log_url(tenant_a), {"entry": str(entry.pk)})
    pane = response.text[response.text.index('id="sign-in-detail"') :]
    assert "Account locked by smart lockout" in pane
    assert "50053" in pane
    assert "No policy applied to this sign-in." in pane


# Downloads


def _csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(body[1:]))
    assert tuple(reader.fieldnames or ()) == DOWNLOAD_COLUMNS
    return list(reader)


def test_the_csv_download_is_the_whole_filtered_set_with_formulas_defused(
    reader: Client, tenant_a: Tenant
) -> None:
    now = timezone.now()
    with in_tenant(tenant_a):
        SignInEvent.objects.bulk_create(
            SignInEvent(
                occurred_at=now - timedelta(seconds=index),
                kind=SignInKind.INTERACTIVE,
                status="failure",
                error_code=50126,
                reason="wrong_password",
                customer_email=f"c{index}@example.com",
                user_agent=CHROME_ON_WINDOWS,
                methods=["pwd"],
            )
            for index in range(PAGE_SIZE + 20)
        )
    hostile = event(
        tenant_a,
        minutes_ago=0,
        reason=Reason.WRONG_PASSWORD,
        customer_email='=HYPERLINK("http://evil")@example.com',
        app_name="+SUM(A1)",
        policies=[{"name": "@policy", "grant": "mfa", "report_only": True}],
    )
    event(tenant_a, minutes_ago=1)  # a success: filtered out
    response = reader.get(log_url(tenant_a, "download/"), {"status": "failure", "format": "csv"})
    # The rows are read as the file is sent, after the view left the tenant's schema.
    assert connection.schema_name == "public"
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert len(rows) == PAGE_SIZE + 21
    assert {row["status"] for row in rows} == {"failure"}
    first = rows[0]
    assert first["id"] == str(hostile.pk)
    assert first["customer_email"] == '\'=HYPERLINK("http://evil")@example.com'
    assert first["app_name"] == "'+SUM(A1)"
    assert json.loads(first["policies"]) == [
        {"name": "@policy", "grant": "mfa", "report_only": True}
    ]
    assert first["browser"] == "Chrome 120.0"
    assert first["operating_system"] == "Windows 10"
    assert first["error_code"] == "50126"
    assert rows[1]["customer_email"] == "c0@example.com"
    assert rows[-1]["customer_email"] == f"c{PAGE_SIZE + 19}@example.com"


def test_the_json_download_has_every_field_one_line_each(
    reader: Client, tenant_a: Tenant, varied: dict[str, SignInEvent]
) -> None:
    response = reader.get(
        log_url(tenant_a, "download/"), {"range": "30d", "method": "pwd", "format": "json"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = b"".join(response.streaming_content).decode().splitlines()
    found = [json.loads(line) for line in lines]
    expected = ["ok", "wrong", "locked", "bob", "days_ago", "weeks_ago"]
    assert [row["id"] for row in found] == [varied[name].pk for name in expected]
    bob = found[3]
    assert bob["tenant"] == str(tenant_a.tenant_id)
    assert bob["customer_email"] == "Bob@Example.com"
    assert bob["methods"] == ["pwd", "otp", "mfa"]
    assert bob["browser"] == "Chrome 120.0"
    assert set(DOWNLOAD_COLUMNS) <= set(bob)


def test_each_download_is_audited_with_its_filters_and_format(
    reader: Client, tenant_a: Tenant, varied: dict[str, SignInEvent]
) -> None:
    response = reader.get(
        log_url(tenant_a, "download/"),
        {"status": "failure", "customer": "b@x.org", "format": "json"},
    )
    b"".join(response.streaming_content)
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.SIGN_IN_LOG_DOWNLOADED
    )
    assert entry.actor_email == "reader@admins.example"
    assert entry.details == {
        "format": "json",
        "range": "24h",
        "status": "failure",
        "customer": "b@x.org",
    }
    for refused in [
        reader.get(log_url(tenant_a, "download/"), {"format": "xlsx"}),
        reader.get(log_url(tenant_a, "download/")),
    ]:
        assert refused.status_code == 400
        assert "Choose CSV or JSON to download." in refused.text
    assert (
        AuditEntry.objects.filter(
            tenant_uuid=tenant_a.tenant_id, action=AuditAction.SIGN_IN_LOG_DOWNLOADED
        ).count()
        == 1
    )


def test_the_page_links_its_downloads_with_its_filters(
    reader: Client, tenant_a: Tenant, varied: dict[str, SignInEvent]
) -> None:
    response = reader.get(log_url(tenant_a), {"status": "failure", "after": "x", "entry": "1"})
    download = log_url(tenant_a, "download/")
    assert f'href="{download}?status=failure&amp;format=csv"' in response.text
    assert f'href="{download}?status=failure&amp;format=json"' in response.text


# Retention


def test_a_global_administrator_sets_the_retention_audited(
    global_client: Client, tenant_a: Tenant
) -> None:
    url = log_url(tenant_a, "settings/")
    page = global_client.get(url)
    assert page.status_code == 200
    assert 'value="30"' in page.text
    response = global_client.post(url, {"retention_days": "90"})
    assert response.status_code == 302
    assert response["Location"] == log_url(tenant_a)
    with in_tenant(tenant_a):
        assert LogSettings.objects.get().retention_days == 90
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.LOG_SETTINGS_UPDATED
    )
    assert entry.details == {"before": {"retention_days": 30}, "after": {"retention_days": 90}}
    assert "Sign-ins are now kept for 90 days." in global_client.get(log_url(tenant_a)).text


@pytest.mark.parametrize("value", ["0", "731", "-5", "ten", "", "1e3", "9" * 40])
def test_a_retention_out_of_range_is_a_form_error(
    global_client: Client, tenant_a: Tenant, value: str
) -> None:
    response = global_client.post(log_url(tenant_a, "settings/"), {"retention_days": value})
    assert response.status_code == 400
    assert response.context["form"].errors["retention_days"]
    with in_tenant(tenant_a):
        assert not LogSettings.objects.exists()
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.LOG_SETTINGS_UPDATED
    ).exists()


# Who may open them


def test_a_reports_reader_reads_the_log_of_their_tenant_only(
    tenant_a: Tenant, tenant_b: Tenant, operator_factory: MakeOperator
) -> None:
    mine = event(tenant_a, customer_email="in-a@example.com")
    event(tenant_b, customer_email="in-b@example.com")
    operator_factory("reader-b@admins.example", tenant=tenant_b, roles=[AdminRole.REPORTS_READER])
    client = operator_client("reader-b@admins.example")
    own = client.get(log_url(tenant_b))
    assert "in-b@example.com" in own.text
    assert "in-a@example.com" not in own.text
    nav = own.text[own.text.index('aria-label="Tenant"') :]
    assert f'href="{log_url(tenant_b)}"' in nav
    assert "Log settings" not in own.text
    for suffix in ["", "download/", "settings/"]:
        for method in (client.get, client.post):
            response = method(log_url(tenant_a, suffix), {"entry": str(mine.pk)})
            assert response.status_code == 403, suffix
    assert client.get(log_url(tenant_b, "settings/")).status_code == 403


def test_an_application_administrator_is_refused(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    operator_factory(
        "apps@admins.example", tenant=tenant_a, roles=[AdminRole.APPLICATION_ADMINISTRATOR]
    )
    client = operator_client("apps@admins.example")
    for suffix in ["", "download/?format=csv", "settings/"]:
        assert client.get(log_url(tenant_a, suffix)).status_code == 403, suffix
    overview = client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/")
    assert log_url(tenant_a) not in overview.text
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.SIGN_IN_LOG_DOWNLOADED
    ).exists()


def test_a_customer_never_reaches_the_log(tenant_a: Tenant, customer_factory: MakeCustomer) -> None:
    customer_factory(tenant_a, "customer@example.com")
    client = Client()
    sign_in_customer(client, tenant_a, "customer@example.com")
    for suffix in ["", "download/?format=csv", "settings/"]:
        response = client.get(log_url(tenant_a, suffix))
        assert response.status_code == 302, suffix
        assert response["Location"].startswith("/admin-center/sign-in/")
    # Nor under the tenant's own address.
    assert client.get(f"/{tenant_a.domain_name}/admin-center/").status_code == 404


def test_a_search_past_its_time_limit_asks_for_a_narrower_range(
    reader: Client, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page whose query runs past its limit (here: the log held by another session's lock,
    as a 10-million-row walk would hold it up) is answered with the advice, not a hang or a
    500, and the backend is free again at once."""
    monkeypatch.setattr("admin_center.monitoring.views.PAGE_TIMEOUT_MS", 300)
    other = connection.get_new_connection(connection.get_connection_params())
    other.autocommit = False
    with other:
        other.execute(
            f'LOCK TABLE "{tenant_a.schema_name}".monitoring_signinevent IN ACCESS EXCLUSIVE MODE'
        )
        response = reader.get(log_url(tenant_a), {"status": "failure", "range": "30d"})
        other.rollback()
    assert response.status_code == 200
    assert "This search took too long" in response.text
    assert listed(response) == []
