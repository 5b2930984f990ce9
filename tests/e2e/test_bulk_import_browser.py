"""A 10,000-row customer import in real Chromium: the bar moves, the bad rows are reported, and
the customers imported with their old bcrypt and PBKDF2 hashes sign in with their old
passwords, after which their hashes are argon2id."""

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import argon2
import bcrypt
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.e2e.conftest import TIMEOUT_MS, CommittedData, Credentials, Screenshot

pytestmark = pytest.mark.e2e

ROWS = 10_000
BCRYPT_PASSWORD = "Kept-From-Auth0-1"
PBKDF2_PASSWORD = "Kept-From-Django-2"
SHOTS = Path("/work/shots/bulk")


@pytest.fixture
def context(browser: Browser, bulk_import_server_url: str) -> Iterator[BrowserContext]:
    made = browser.new_context(
        base_url=bulk_import_server_url, viewport={"width": 1280, "height": 800}, locale="en-US"
    )
    made.set_default_timeout(TIMEOUT_MS)
    try:
        yield made
    finally:
        made.close()


def _file(path: Path) -> Path:
    """10,000 customers: two with old password hashes, four bad rows, the rest plain."""
    bcrypt_hash = bcrypt.hashpw(BCRYPT_PASSWORD.encode(), bcrypt.gensalt(10)).decode()
    pbkdf2_hash = PBKDF2PasswordHasher().encode(PBKDF2_PASSWORD, "migratedsalt", 100_000)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "displayName", "givenName", "surname", "city", "passwordHash"])
        writer.writerow(["bcrypt@example.com", "Bea Crypt", "Bea", "Crypt", "Leeds", bcrypt_hash])
        writer.writerow(["pbkdf2@example.com", "Paul Kdf", "Paul", "Kdf", "York", pbkdf2_hash])
        writer.writerow(["not-an-address", "Bad Email", "", "", "", ""])
        writer.writerow(["bcrypt@example.com", "Again", "", "", "", ""])
        writer.writerow(["long@example.com", "Long", "G" * 65, "", "", ""])
        writer.writerow(["md5@example.com", "Old Hash", "", "", "", "$1$abcd$efghijklmnop"])
        for number in range(ROWS - 6):
            writer.writerow(
                [f"customer{number:05d}@example.com", f"Customer {number}", "", "", "Bristol", ""]
            )
    return path


def _percent(page: Page) -> int:
    return int(page.locator("#import-bar").get_attribute("value") or 0)


def _shot(page: Page, screenshot: Screenshot, name: str) -> None:
    path = screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def _sign_in(context: BrowserContext, tenant: Tenant, email: str, password: str) -> Page:
    page = context.new_page()
    page.goto(f"/{tenant.domain_name}/account/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signed-in-email")).to_have_text(email)
    return page


def test_a_large_import_with_old_password_hashes(
    context: BrowserContext,
    browser: Browser,
    bulk_import_server_url: str,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    tmp_path: Path,
) -> None:
    from tenants.services import tenant_create

    domain_name = committed.unique("e2e-bulk")
    committed.domain_names.append(domain_name)
    tenant = tenant_create(
        display_name="Northwind Traders",
        domain_name=domain_name,
        country="GB",
        creator=User.objects.get(email=operator.email),
    )
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(error.message))
    page.goto("/admin-center/sign-in/")
    page.get_by_label("Email address").fill(operator.email)
    page.get_by_label("Password").fill(operator.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"/admin-center/tenants/{tenant.tenant_id}/customers/")
    page.get_by_role("link", name="Bulk operations").click()
    expect(page.get_by_role("heading", name="Bulk operations", level=1)).to_be_visible()
    page.get_by_label("File of customers").set_input_files(_file(tmp_path / "customers.csv"))
    page.get_by_label("CSV").check()
    _shot(page, screenshot, "bulk-import-upload")
    page.get_by_role("button", name="Upload and import").click()

    # The page answers at once; the bar moves as batches commit.
    expect(page.get_by_role("heading", name="Import of customers.csv")).to_be_visible()
    bar = page.locator("#import-bar")
    page.wait_for_function(
        "() => { const v = +document.querySelector('#import-bar').value; return v > 0 && v < 60; }"
    )
    first = _percent(page)
    _shot(page, screenshot, "bulk-import-progress-first")
    page.wait_for_function(
        f"() => {{ const v = +document.querySelector('#import-bar').value; "
        f"return v > {first} && v < 100; }}"
    )
    second = _percent(page)
    assert first < second < 100
    _shot(page, screenshot, "bulk-import-progress-second")

    # Finished: the page reloads itself with the counts and the rows not imported.
    expect(page.locator("#import-status")).to_have_text("Done", timeout=45_000)
    expect(bar).to_have_attribute("value", "100")
    expect(page.locator("#import-succeeded")).to_have_text(str(ROWS - 4))
    expect(page.locator("#import-failed")).to_have_text("4")
    table = page.get_by_role("table", name="Rows not imported, by row number")
    expect(table.get_by_role("row")).to_have_count(5)
    _shot(page, screenshot, "bulk-import-done")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert report == [
        "row,email,field,message",
        "3,not-an-address,email,Enter a valid email address.",
        "4,bcrypt@example.com,email,This email address is on an earlier row of the file.",
        "5,long@example.com,givenName,At most 64 characters.",
        "6,md5@example.com,passwordHash,Unknown password hash format.",
    ]
    assert errors == []

    # The migrated customers sign in with the passwords of the systems they came from.
    signed_in = browser.new_context(base_url=bulk_import_server_url, locale="en-US")
    try:
        _sign_in(signed_in, tenant, "bcrypt@example.com", BCRYPT_PASSWORD)
        signed_in.clear_cookies()
        pbkdf2_page = _sign_in(signed_in, tenant, "pbkdf2@example.com", PBKDF2_PASSWORD)
        _shot(pbkdf2_page, screenshot, "bulk-import-migrated-sign-in")
    finally:
        signed_in.close()
    with in_tenant(tenant):
        hashes = dict(
            User.objects.filter(email__in=["bcrypt@example.com", "pbkdf2@example.com"]).values_list(
                "email", "password"
            )
        )
        assert User.objects.count() == ROWS - 4
    for encoded in hashes.values():
        algorithm, _, argon2_text = encoded.partition("$")
        assert algorithm == "argon2"
        assert argon2.extract_parameters(f"${argon2_text}").type is argon2.Type.ID
