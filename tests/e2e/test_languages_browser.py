"""Languages in real Chromium: Arabic and Hebrew sign-in pages laid out right-to-left, and a
French sign-in page whose title an admin uploaded as a language override in the admin center.

The translations (.po) may not be on this branch yet, so these assert on `dir`, `lang`, layout
and the override, not on translated text."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    CommittedData,
    Credentials,
    Screenshot,
    open_own_tenant,
)
from tests.e2e.test_hosted_pages_browser import make_tenant

pytestmark = pytest.mark.e2e

# Where a text's glyphs sit inside the sign-in card: distance from the card's left and right.
_TEXT_SIDES = """(selector) => {
    const card = document.querySelector(".entrance").getBoundingClientRect();
    const element = document.querySelector(selector);
    const range = document.createRange();
    range.selectNodeContents(element);
    const text = range.getBoundingClientRect();
    return {left: text.left - card.left, right: card.right - text.right};
}"""


@contextmanager
def browser_speaking(browser: Browser, base_url: str, locale: str) -> Iterator[Page]:
    """A page of a fresh browser whose language is `locale` (Chromium sends its own
    Accept-Language from it, over any header a test would set)."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 800}, locale=locale
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def text_sides(page: Page, selector: str) -> dict[str, float]:
    sides: dict[str, float] = page.evaluate(_TEXT_SIDES, selector)
    return sides


@pytest.mark.parametrize("language", ["ar", "he"])
def test_arabic_and_hebrew_sign_in_pages_are_right_to_left(
    browser: Browser,
    live_server_url: str,
    committed: CommittedData,
    screenshot: Screenshot,
    language: str,
) -> None:
    tenant = make_tenant(committed, f"e2e-rtl-{language}")
    with browser_speaking(browser, live_server_url, language) as page:
        _right_to_left(page, tenant.domain_name, language, screenshot)
    with browser_speaking(browser, live_server_url, "fr") as page:
        # The same page in French runs left-to-right.
        page.goto(f"/{tenant.domain_name}/account/login/")
        html = page.locator("html")
        expect(html).to_have_attribute("lang", "fr")
        assert html.get_attribute("dir") in (None, "ltr")
        sides = text_sides(page, "h1")
        assert sides["left"] < sides["right"], sides


def _right_to_left(page: Page, domain_name: str, language: str, screenshot: Screenshot) -> None:
    page.goto(f"/{domain_name}/account/login/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl")
    # The form's text starts at the right: each line hugs the card's right edge, far from its
    # left one (the card's padding is the same on both sides).
    for selector in ("h1", "label[for=id_login]", ".tenant-name", "button[type=submit]"):
        sides = text_sides(page, selector)
        assert sides["right"] < sides["left"], (selector, sides)
    login = page.locator("#id_login").bounding_box()
    button = page.locator("button[type=submit]").bounding_box()
    card = page.locator(".entrance").bounding_box()
    assert login is not None
    assert button is not None
    assert card is not None
    # The button sits at the inline start, which is the right.
    assert (card["x"] + card["width"]) - (button["x"] + button["width"]) < button["x"] - card["x"]
    screenshot(page, f"hosted-sign-in-{language}-rtl")


def test_a_french_title_uploaded_in_the_admin_center(
    page: Page,
    browser: Browser,
    live_server_url: str,
    committed: CommittedData,
    operator: Credentials,
    screenshot: Screenshot,
    page_errors: list[str],
    tmp_path: Path,
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Contoso Café", "e2e-lang")
    page.get_by_role("navigation", name="Tenant").get_by_role("link", name="Languages").click()
    expect(page.get_by_role("heading", name="Languages", level=1)).to_be_visible()
    french = page.locator("#language-fr")
    expect(french).to_contain_text("Defaults")
    screenshot(page, "admin-branding-languages")

    # A file with an unknown key is refused, and says which key.
    bad = tmp_path / "fr-bad.json"
    bad.write_text(json.dumps({"SignIn_Titel": "Bienvenue"}), encoding="utf-8")
    french.get_by_label("Overrides file (JSON) (fr)").set_input_files(bad)
    french.get_by_role("button", name="Upload (fr)").click()
    french = page.locator("#language-fr")
    expect(french.get_by_role("alert")).to_contain_text("“SignIn_Titel” is not a known string ID.")
    screenshot(page, "admin-branding-languages-error")

    good = tmp_path / "fr.json"
    good.write_text(
        json.dumps({"SignIn_Title": "Bienvenue chez Contoso", "Attribute_Email": "Courriel"}),
        encoding="utf-8",
    )
    french.get_by_label("Overrides file (JSON) (fr)").set_input_files(good)
    french.get_by_role("button", name="Upload (fr)").click()
    expect(page.get_by_role("status")).to_contain_text("Overrides for Français uploaded: 2")
    expect(page.locator("#language-fr")).to_contain_text("Customized")
    screenshot(page, "admin-branding-languages-uploaded")

    # The customer's French sign-in page wears the title; an English one keeps the default.
    assert page_errors == []
    with browser_speaking(browser, live_server_url, "fr-FR") as customer:
        customer.goto(f"/{tenant.domain_name}/account/login/")
        expect(customer.locator("html")).to_have_attribute("lang", "fr")
        expect(customer.get_by_role("heading", level=1)).to_have_text("Bienvenue chez Contoso")
        expect(customer.get_by_label("Courriel")).to_be_visible()
        expect(customer).to_have_title("Bienvenue chez Contoso · Contoso Café")
        screenshot(customer, "hosted-sign-in-fr-override")
    # The admin's own browser speaks English: the default title.
    page.goto(f"/{tenant.domain_name}/account/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
