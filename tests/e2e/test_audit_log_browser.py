"""The audit log in a real browser (issue 13): filter by activity, open an entry's detail pane,
download the filtered set as CSV and find the download itself in the log."""

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from tenants.models import AuditAction, AuditEntry
from tenants.services import audit_record
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant

pytestmark = pytest.mark.e2e


def test_operator_filters_the_audit_log_opens_an_entry_and_downloads_it(
    page: Page,
    page_errors: list[str],
    operator: Credentials,
    committed: CommittedData,
    screenshot: Screenshot,
    tmp_path: Path,
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Audit Co", "e2e-audit")
    admin = User.objects.get(email=operator.email)
    audit_record(
        actor=admin,
        tenant=tenant,
        action=AuditAction.APP_AUTHENTICATION_UPDATED,
        target="Shop (web)",
        details={
            "before": {"redirect_uris": ["https://shop.example/cb"], "public_client": False},
            "after": {
                "redirect_uris": ["https://shop.example/cb", "https://shop.example/cb2"],
                "public_client": True,
            },
        },
    )
    secret = audit_record(
        actor=admin,
        tenant=tenant,
        action=AuditAction.SECRET_ADDED,
        target="Shop (web)",
        details={"secret_id": "5f1c0a2e", "hint": "Xy7", "expires": "2027-06-01"},
    )
    audit_record(actor=None, tenant=tenant, action=AuditAction.CUSTOMERS_PURGED, target="3")
    older = audit_record(
        actor=admin, tenant=tenant, action=AuditAction.SECRET_ADDED, target="Old app"
    )
    AuditEntry.objects.filter(pk=older.pk).update(occurred_at=timezone.now() - timedelta(days=45))

    page.get_by_role("navigation", name="Tenant", exact=True).get_by_role(
        "link", name="Audit log"
    ).click()
    expect(page.get_by_role("heading", level=1, name="Audit log")).to_be_visible()
    log = page.get_by_role("table", name="Recent changes to this tenant, newest first")
    # The last 30 days: the tenant's creation and the three changes, not the old secret.
    expect(log.locator("tbody tr")).to_have_count(4)
    expect(log.get_by_role("cell", name="system", exact=True)).to_have_count(1)
    expect(log).not_to_contain_text("Old app")
    # The dates are asked for only with a custom range.
    expect(page.get_by_label("From (UTC)")).to_be_hidden()
    screenshot(page, "audit-log")

    # Filter by activity: only the secret added this month.
    page.get_by_label("Activity").select_option(label="Client secret added")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"action=secret\.added"))
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log).to_contain_text("Shop (web)")
    page.get_by_label("Time range").select_option(label="Last 90 days")
    page.get_by_role("button", name="Apply filters").click()
    expect(log.locator("tbody tr")).to_have_count(2)
    expect(log).to_contain_text("Old app")
    screenshot(page, "audit-log-filtered")

    # The entry's detail pane, on the same page, its filters kept.
    log.get_by_role("row").filter(has_text="Shop (web)").get_by_role(
        "link", name="Client secret added"
    ).click()
    expect(page).to_have_url(re.compile(rf"entry={secret.pk}#entry$"))
    pane = page.get_by_role("region", name="Client secret added")
    expect(pane).to_be_visible()
    expect(pane).to_contain_text(operator.email)
    expect(pane).to_contain_text(f"Actor ID{admin.pk}")
    expect(pane).to_contain_text(f"{secret.occurred_at:%Y-%m-%d %H:%M:%S} UTC")
    expect(pane).to_contain_text("secret_id5f1c0a2e")
    expect(pane).to_contain_text("expires2027-06-01")
    expect(page.get_by_label("Activity")).to_have_value("secret.added")
    screenshot(page, "audit-log-detail")
    pane.get_by_role("link", name="Close details").click()
    expect(pane).to_have_count(0)
    expect(log.locator("tbody tr")).to_have_count(2)

    # What changed, from what to what, in another entry's pane.
    page.get_by_label("Activity").select_option(label="Any activity")
    page.get_by_role("button", name="Apply filters").click()
    log.get_by_role("link", name="App authentication updated").click()
    changes = page.get_by_role("table", name="What changed")
    expect(changes.get_by_role("row").filter(has_text="public_client")).to_contain_text("falsetrue")
    expect(changes.get_by_role("row").filter(has_text="redirect_uris")).to_contain_text(
        '["https://shop.example/cb", "https://shop.example/cb2"]'
    )
    screenshot(page, "audit-log-changes")

    # Download the filtered set: secrets added in the last 90 days.
    page.goto(f"/admin-center/tenants/{tenant.tenant_id}/audit-log/?period=90d&action=secret.added")
    with page.expect_download() as arrival:
        page.get_by_role("link", name="Download CSV").click()
    download = arrival.value
    assert re.fullmatch(
        rf"audit-log-{tenant.domain_name}-\d{{8}}T\d{{6}}Z\.csv", download.suggested_filename
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [(row["action"], row["target"]) for row in rows] == [
        ("secret.added", "Shop (web)"),
        ("secret.added", "Old app"),
    ]
    assert rows[0]["actor"] == operator.email
    assert json.loads(rows[0]["details"]) == secret.details

    # The download is on record: who, in which format, with which filters.
    page.goto(f"/admin-center/tenants/{tenant.tenant_id}/audit-log/?action=audit_log.downloaded")
    expect(log.locator("tbody tr")).to_have_count(1)
    log.get_by_role("link", name="Audit log downloaded").click()
    pane = page.get_by_role("region", name="Audit log downloaded")
    expect(pane).to_contain_text(operator.email)
    expect(pane).to_contain_text("formatcsv")
    expect(pane).to_contain_text("period90d")
    expect(pane).to_contain_text("actionsecret.added")

    # Dates the wrong way round are an error on the form, and nothing is listed.
    page.get_by_label("Time range").select_option(label="Custom range")
    expect(page.get_by_label("From (UTC)")).to_be_visible()
    page.get_by_label("From (UTC)").fill("2026-03-10")
    page.get_by_label("To (UTC)").fill("2026-03-01")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("The end date comes before the start date.")).to_be_visible()
    expect(page.get_by_text("Correct the filters above to see entries.")).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV")).to_have_count(0)
    screenshot(page, "audit-log-bad-dates")

    assert page_errors == []
