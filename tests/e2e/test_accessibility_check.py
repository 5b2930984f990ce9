"""The accessibility check every screenshot runs finds what it should: a page with known WCAG
failures is reported, rule by rule."""

from playwright.sync_api import Page

from tests.e2e.conftest import accessibility_violations


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
