"""The sign-in log in real Chromium (issue 13): an admin filters the failures down to one
reason, opens a sign-in's activity details, and downloads the filtered set as CSV."""

import csv
import io
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from monitoring.models import SignInEvent, SignInKind
from monitoring.reasons import OUTCOMES, Reason
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.e2e.conftest import CommittedData, Credentials, Screenshot, open_own_tenant

pytestmark = pytest.mark.e2e

CHROME_ON_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
CUSTOMERS = ["ann@contoso.example", "bob@contoso.example", "chen@fabrikam.example"]
APPS = [("shop-client", "Northwind Shop"), ("blog-client", "Northwind Blog")]
REASONS = [Reason.SUCCESS] * 5 + [Reason.WRONG_PASSWORD, Reason.MFA_FAILED, Reason.SUCCESS]
LOCKED = 3


def seed(tenant: Tenant) -> list[SignInEvent]:
    """A day of sign-ins in the tenant (committed): successes, wrong passwords, second factors
    failed, and `LOCKED` locked-out attempts by one customer."""
    now = timezone.now()
    rows = []
    for index in range(40):
        reason = REASONS[index % len(REASONS)]
        client_id, app_name = APPS[index % 2]
        mfa = index % 3 == 0
        rows.append(
            SignInEvent(
                occurred_at=now - timedelta(minutes=17 * index + 3),
                correlation_id=str(uuid.uuid4()),
                kind=SignInKind.INTERACTIVE if index % 4 else SignInKind.REFRESH,
                status="success" if reason == Reason.SUCCESS else "failure",
                error_code=OUTCOMES[reason].code,
                reason=reason.value,
                customer_object_id=uuid.uuid4(),
                customer_email=CUSTOMERS[index % 3],
                client_id=client_id,
                app_name=app_name,
                ip_address=f"198.51.100.{index % 7 + 1}",
                user_agent=FIREFOX_ON_WINDOWS if index % 2 else CHROME_ON_MAC,
                methods=["pwd", "otp", "mfa"] if mfa else ["pwd"],
                mfa_detail="Authenticator app" if mfa else "",
                conditional_access="success" if mfa else "not_applied",
                risk_level="low",
            )
        )
    for index in range(LOCKED):
        rows.append(
            SignInEvent(
                occurred_at=now - timedelta(minutes=5 * index + 1, seconds=30),
                correlation_id=str(uuid.uuid4()),
                kind=SignInKind.INTERACTIVE,
                status="failure",
                error_code=OUTCOMES[Reason.LOCKED].code,
                reason=Reason.LOCKED.value,
                customer_object_id=uuid.UUID(int=index + 1),
                customer_email="=mallory@evil.example",
                client_id="shop-client",
                app_name="Northwind Shop",
                ip_address="203.0.113.66",
                location="Outside the named locations" if index else "Head office",
                user_agent=CHROME_ON_MAC,
                methods=["pwd"],
                conditional_access="failure",
                policies=[
                    {"name": "Block risky sign-ins", "grant": "block", "report_only": False},
                    {"name": "MFA everywhere (trial)", "grant": "mfa", "report_only": True},
                ],
                risk_level="high",
            )
        )
    with in_tenant(tenant):
        return SignInEvent.objects.bulk_create(rows)


def test_admin_filters_opens_details_and_downloads_the_sign_in_log(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Northwind Traders", "e2e-signins")
    seed(tenant)

    page.get_by_role("navigation", name="Tenant").get_by_role("link", name="Sign-in logs").click()
    expect(page.get_by_role("heading", name="Sign-in logs", level=1)).to_be_visible()
    table = page.get_by_role("table", name="Sign-ins, newest first")
    expect(table.locator("tbody tr")).to_have_count(43)
    screenshot(page, "admin-sign-in-logs")

    page.get_by_label("Status").select_option("failure")
    page.get_by_label("Failure reason").select_option(
        label="Account locked by smart lockout (50053)"
    )
    page.get_by_role("button", name="Apply filters").click()
    expect(table.locator("tbody tr")).to_have_count(LOCKED)
    for row in table.locator("tbody tr").all():
        expect(row).to_contain_text("Failure")
        expect(row).to_contain_text("50053")
        expect(row).to_contain_text("203.0.113.66")
    assert "status=failure" in page.url
    assert "reason=locked" in page.url

    table.locator("tbody tr").first.get_by_role("link").click()
    pane = page.get_by_role("region", name="Activity details")
    expect(pane).to_be_visible()
    expect(pane).to_contain_text("Account locked by smart lockout")
    expect(pane).to_contain_text("Chrome 126.0")
    expect(pane).to_contain_text("Mac OS X 10.15")
    expect(pane).to_contain_text("Head office")
    expect(pane).to_contain_text("High")
    policies = pane.get_by_role("table", name="Policies evaluated at this sign-in")
    expect(policies.get_by_role("row", name="Block risky sign-ins")).to_contain_text("Applied")
    expect(policies.get_by_role("row", name="MFA everywhere (trial)")).to_contain_text(
        "Report-only: not enforced"
    )
    # The filters stay, the list beside the pane too, its row marked.
    expect(table.locator("tbody tr")).to_have_count(LOCKED)
    expect(table.locator("tbody tr.selected")).to_have_count(1)
    screenshot(page, "admin-sign-in-log-detail")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"sign-ins-{tenant.domain_name}-")
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == LOCKED
    assert {row["reason"] for row in rows} == {"locked"}
    assert {row["customer_email"] for row in rows} == {"'=mallory@evil.example"}
    assert rows[0]["browser"] == "Chrome 126.0"
    assert rows[0]["location"] == "Head office"

    page.get_by_role("link", name="Log settings").click()
    page.get_by_label("Keep sign-ins for (days)").fill("731")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("less than or equal to 730")
    page.get_by_label("Keep sign-ins for (days)").fill("90")
    screenshot(page, "admin-sign-in-log-settings")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Sign-ins are now kept for 90 days.")
    expect(page.get_by_text("Sign-ins are kept for 90 days.")).to_be_visible()
    assert page_errors == []
