"""The accessibility check every screenshot runs finds what it should: a page with known WCAG
failures is reported, rule by rule."""

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Screenshot, accessibility_violations


def test_the_check_reports_known_failures(page: Page) -> None:
    page.set_content(
        "<!doctype html><html><head><title>t</title></head><body><main>"
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<form><input type="text" name="nameless"></form>'
        '<p style="color:#ccc;background:#fff">faint</p>'
        "</main></body></html>"
    )
    found = {line.split(" ")[0] for line in accessibility_violations(page)}
    assert {"image-alt", "label", "color-contrast", "html-has-lang"} <= found, found


def test_a_plain_accessible_page_passes(page: Page) -> None:
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        "<h1>Sign in</h1><form><label for=e>Email</label><input id=e name=e type=email>"
        "<button>Go</button></form></main></body></html>"
    )
    assert accessibility_violations(page) == []


def test_the_screenshot_check_fails_a_page_with_two_elements_of_one_id(
    page: Page, screenshot: Screenshot
) -> None:
    """Two inputs with one id: the second's label names the first (the Certificates & secrets
    page had that), which axe's WCAG 2.1 rules no longer report."""
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Keys</h1>'
        "<form><label for=d>Description</label><input id=d name=a></form>"
        "<form><label for=d>Description</label><input id=d name=b></form>"
        "</main></body></html>"
    )
    with pytest.raises(AssertionError, match="duplicate-id: d"):
        screenshot(page, "check-duplicate-ids")
