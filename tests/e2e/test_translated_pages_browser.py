"""The hosted sign-in page in each shipped language in real Chromium: the app asks for it with
`ui_locales`, the page names its language, shows the translated heading and labels, and passes
the accessibility check like the English one (the screenshots are kept to be read)."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import CommittedData, Screenshot, expect_hosted_page
from tests.e2e.test_hosted_pages_browser import browser_app, make_tenant
from tests.factories.flows import make_flow_world
from tests.test_translations import SHIPPED, SIGN_IN

pytestmark = pytest.mark.e2e

# The password field's label, as written by a speaker of each language.
PASSWORD = {
    "fr": "Mot de passe",
    "de": "Passwort",
    "es": "Contraseña",
    "ar": "كلمة المرور",
    "he": "סיסמה",
    "ja": "パスワード",
    "zh-hans": "密码",
}


def test_the_sign_in_page_in_every_shipped_language(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = make_tenant(committed, "e2e-languages")
    world = make_flow_world(tenant)
    app, _secret = browser_app(tenant, world.flow, app_server)
    for language in SHIPPED:
        page.context.clear_cookies()
        page.goto(
            f"{live_server_url}/{tenant.domain_name}/oauth2/v2.0/authorize"
            f"?client_id={app.client_id}&response_type=code&scope=openid"
            f"&redirect_uri={app_server}/callback&state=s1&ui_locales={language}"
        )
        expect_hosted_page(page, SIGN_IN[language])
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_label(PASSWORD[language], exact=True)).to_be_visible()
        screenshot(page, f"hosted-sign-in-{language}")
    assert page_errors == []
