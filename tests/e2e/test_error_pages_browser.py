"""The error pages people can meet, in real Chromium: each one a page of its own, readable and
accessible (the screenshot runs the WCAG check), with nothing to sign in to."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("path", "status", "heading", "name"),
    [
        ("/no-such-tenant/account/login/", 404, "Page not found", "error-not-found"),
        ("/admin-center/sign-out/", 405, "Not available this way", "error-method-not-allowed"),
    ],
)
def test_error_pages_are_plain_accessible_pages(
    page: Page,
    screenshot: Screenshot,
    page_errors: list[str],
    path: str,
    status: int,
    heading: str,
    name: str,
) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == status
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    expect(page.locator("form")).to_have_count(0)
    screenshot(page, name)
    assert page_errors == []


def test_a_form_sent_without_its_session_says_what_to_do(
    page: Page, screenshot: Screenshot, live_server_url: str
) -> None:
    """A sign-in form left open until its session is gone (here: the cookies cleared) is
    refused with a page that says what happened and what to do."""
    page.goto("/admin-center/sign-in/")
    page.context.clear_cookies()
    page.get_by_label("Email address").fill("someone@example.com")
    page.get_by_label("Password").fill("Whatever-it-is-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="This form has expired")).to_be_visible()
    screenshot(page, "error-form-expired")
