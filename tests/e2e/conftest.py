"""Real-browser tests: Debian's Chromium, driven by Playwright, against the real server.

The server is gunicorn in another process (the `live_server_url` fixture of
tests/factories/live_server.py), so everything a test shows it must be committed: these tests
work through `committed_db` and remove what they made. Never `db` here (its transaction hides
the data from the server) nor `transactional_db` (it flushes the public schema, and with it the
session's tenants).
"""

import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection, connections
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect, sync_playwright

from accounts.models import Session, User
from accounts.services import operator_create
from tenants.models import AuditEntry, RoleAssignment, Tenant
from tenants.schemas import use_public_schema
from tests.conftest import in_ci
from tests.factories.accounts import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Long enough for a tenant's creation (schema clone) on a slow machine, short enough to fail fast.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)

Screenshot = Callable[[Page, str], Path]


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for all browser tests.

    Package-scoped rather than session-scoped on purpose: while Playwright's sync API is
    running, its event loop is registered as the thread's running loop, so Django refuses ORM
    calls in this thread (SynchronousOnlyOperation). The browser tests need the ORM for their
    committed data, so they allow it for exactly as long as Playwright runs; the tests collected
    after this package get Django's check back.
    """
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: the browser tests did NOT run."
        if in_ci():
            pytest.fail(f"{message} CI must run them: install Debian's chromium package.")
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught JavaScript errors and console errors (a failed load, a blocked script) of the
    test's pages; a test asserts the list stays empty."""
    return []


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def page(
    request: pytest.FixtureRequest,
    browser: Browser,
    live_server_url: str,
    page_errors: list[str],
) -> Iterator[Page]:
    """A page in a fresh context (no cookies, no storage), addressed relative to the server.

    When the test fails, the page as it was is saved as failed-<test>.png next to the other
    screenshots.
    """
    context = browser.new_context(
        base_url=live_server_url,
        viewport={"width": 1280, "height": 800},
        locale="en-US",
    )
    context.set_default_timeout(TIMEOUT_MS)
    new_page = context.new_page()

    def on_page_error(error: Error) -> None:
        page_errors.append(f"{new_page.url}: {error.message}")

    def on_console(message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        # Chromium asks every site for /favicon.ico on its own; the pages declare no icon.
        # And it notes a page's own 4xx status (a form with errors is a 400) as a console
        # error: the tests check statuses themselves.
        own_status = where == new_page.url and message.text.startswith("Failed to load resource")
        if message.type == "error" and not where.endswith("/favicon.ico") and not own_status:
            page_errors.append(f"{new_page.url}: console: {message.text} ({where})")

    new_page.on("pageerror", on_page_error)
    new_page.on("console", on_console)
    try:
        yield new_page
        if request.node.stash.get(_CALL_FAILED, False):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            new_page.screenshot(path=str(SCREENSHOTS / f"failed-{request.node.name}.png"))
    finally:
        context.close()


_AXE = Axe()
# WCAG 2.1 A and AA, the level the hosted pages and the admin center are held to.
_AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def accessibility_violations(page: Page) -> list[str]:
    """What axe-core (Deque's engine, as browsers' accessibility audits use) finds against
    WCAG 2.1 A/AA on the page as it is now: one line per rule and element."""
    results = _AXE.run(page, options=_AXE_OPTIONS)
    return [
        f"{violation['id']} ({violation['impact']}): {', '.join(map(str, node['target']))}"
        f" - {node.get('failureSummary', '').splitlines()[-1].strip()}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


def duplicate_ids(page: Page) -> list[str]:
    """Ids that more than one element of the page carries. A label names the element whose id
    it gives, so the second input with that id is left without a name; axe's WCAG 2.1 rules no
    longer report duplicate ids (WCAG 2.2 dropped 4.1.1), so the check is ours."""
    repeated: list[str] = page.evaluate(
        """() => {
            const seen = new Map();
            for (const element of document.querySelectorAll("[id]")) {
                seen.set(element.id, (seen.get(element.id) || 0) + 1);
            }
            return [...seen].filter(([, count]) => count > 1).map(([id]) => id);
        }"""
    )
    return repeated


@pytest.fixture
def screenshot() -> Screenshot:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png, to be looked at,
    after checking the page with axe-core (every page a test shows must pass WCAG 2.1 A/AA) and
    for ids that two elements share."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        violations = accessibility_violations(page)
        repeated = duplicate_ids(page)
        if repeated:
            violations.append(f"duplicate-id: {', '.join(repeated)}")
        assert not violations, f"{name}: " + "; ".join(violations)
        return path

    return take


def expect_hosted_page(page: Page, heading: str) -> None:
    """The customer-facing page shows `heading` as its one h1, and every visible input has a
    label and no placeholder (which would only repeat it)."""
    expect(page.get_by_role("heading", level=1, name=heading, exact=True)).to_be_visible()
    expect(page.locator("h1")).to_have_count(1)
    problems = page.evaluate(
        """() => [...document.querySelectorAll("input")]
            .filter((input) => input.type !== "hidden" && input.offsetParent !== null)
            .flatMap((input) => {
                const label = [...input.labels].map((l) => l.textContent.trim()).join(" ");
                return [
                    ...(label ? [] : [`${input.name}: no label`]),
                    ...(input.placeholder ? [`${input.name}: placeholder`] : []),
                ];
            })"""
    )
    assert problems == [], problems


@dataclass
class CommittedData:
    """Tenants and operators a browser test committed, removed again when the test ends."""

    domain_names: list[str] = field(default_factory=list)
    operator_emails: list[str] = field(default_factory=list)

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    def remove(self) -> None:
        use_public_schema()
        for tenant in Tenant.objects.filter(domain_name__in=self.domain_names):
            AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
            tenant.delete(force_drop=True)
        emails = [email.lower() for email in self.operator_emails]
        RoleAssignment.objects.filter(operator__email__in=emails).delete()
        AuditEntry.objects.filter(actor__email__in=emails).update(actor=None)
        # Not QuerySet.delete(): its cascade would visit the customer-side relations of the
        # shared User model (app registrations, tokens), whose tables only tenant schemas have.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {Session._meta.db_table} WHERE user_id IN ("  # noqa: S608
                f"SELECT id FROM {User._meta.db_table} WHERE lower(email) = ANY(%s))",
                [emails],
            )
            cursor.execute(
                f"DELETE FROM {User._meta.db_table} WHERE lower(email) = ANY(%s)",  # noqa: S608
                [emails],
            )


@pytest.fixture
def committed(committed_db: None) -> Iterator[CommittedData]:
    data = CommittedData()
    try:
        yield data
    finally:
        data.remove()
        connections.close_all()


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str


@pytest.fixture
def operator(committed: CommittedData) -> Credentials:
    """An operator (admin-center account) with no tenants yet."""
    email = f"{committed.unique('operator')}@admins.example"
    committed.operator_emails.append(email)
    operator_create(email=email, password=PASSWORD)
    return Credentials(email=email, password=PASSWORD)


SPA_DIR = Path(__file__).parent / "spa"


class _AppHandler(SimpleHTTPRequestHandler):
    """Serves the test SPA; the web app's callback page just says the code arrived."""

    def do_GET(self) -> None:
        if self.path.startswith("/callback"):
            body = b"<!doctype html><title>Web app</title><p>Code received.</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def app_server() -> Iterator[str]:
    """A loopback web server standing in for the app: it serves the test SPA and answers any
    other path (the web app's callback) with a page, so the browser can land there."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_AppHandler, directory=str(SPA_DIR)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def open_own_tenant(
    page: Page, committed: CommittedData, operator: Credentials, display_name: str, prefix: str
) -> Tenant:
    """Give the operator a new tenant (committed), sign in to the admin center, open it."""
    from tenants.services import tenant_create

    domain_name = committed.unique(prefix)
    committed.domain_names.append(domain_name)
    tenant = tenant_create(
        display_name=display_name,
        domain_name=domain_name,
        country="GB",
        creator=User.objects.get(email=operator.email),
    )
    page.goto("/admin-center/sign-in/")
    page.get_by_label("Email address").fill(operator.email)
    page.get_by_label("Password").fill(operator.password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/admin-center/tenants/{tenant.tenant_id}/")
    return tenant
