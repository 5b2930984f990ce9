"""`ui_locales` (OIDC Core §3.1.2.1) is read: the hosted pages of the journey speak the first
of the app's languages that the product speaks, and discovery publishes the same list. Only
the choice is also proved with the languages narrowed down in settings."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from journey.languages import language_for, page_language, product_languages
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import FlowWorld

WITH_FRENCH = [("en", "English"), ("fr", "French")]
SHIPPED = ["en", "fr", "de", "es", "ar", "he", "ja", "zh-hans"]


def html_language(html: str) -> str:
    match = re.search(r'<html lang="([^"]*)"', html)
    assert match, html[:300]
    return match.group(1)


@pytest.mark.parametrize(
    ("ui_locales", "spoken"),
    [
        (["x-klingon", "en-GB"], "en"),
        (["pt"], None),
        ([], None),
        (["fr-CA"], "fr"),
        (["zh-Hans-CN"], "zh-hans"),
    ],
)
def test_the_shipped_languages(ui_locales: list[str], spoken: str | None) -> None:
    assert product_languages() == SHIPPED
    assert language_for(ui_locales) == spoken


@override_settings(LANGUAGES=WITH_FRENCH)
@pytest.mark.parametrize(
    ("ui_locales", "spoken"),
    [
        (["de", "fr-CA", "en"], "fr"),  # the first the product speaks, in the app's order
        (["en", "fr"], "en"),
        (["FR"], "fr"),
        (["de", "x-klingon"], None),
    ],
)
def test_the_first_language_the_product_speaks(ui_locales: list[str], spoken: str | None) -> None:
    assert product_languages() == ["en", "fr"]
    assert language_for(ui_locales) == spoken


def test_discovery_publishes_the_same_languages(flow_world: FlowWorld) -> None:
    url = f"/{flow_world.tenant.domain_name}/v2.0/.well-known/openid-configuration"
    assert Client().get(url).json()["ui_locales_supported"] == SHIPPED
    with override_settings(LANGUAGES=WITH_FRENCH):
        assert Client().get(url).json()["ui_locales_supported"] == ["en", "fr"]


@override_settings(LANGUAGES=WITH_FRENCH)
def test_the_hosted_pages_speak_the_apps_language(flow_world: FlowWorld) -> None:
    """The sign-in page that answers the authorization request, and the pages the customer
    goes on to, speak the app's first language the product speaks, over the browser's."""
    tenant = flow_world.tenant.domain_name
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(authorize_url(flow_world) + "&ui_locales=de%20fr-CA%20en")
    assert page.status_code == 200
    assert html_language(page.text) == "fr"
    assert page["Content-Language"] == "fr"
    for path in ("account/signup/", "account/login/", "account/password/reset/"):
        onward = client.get(f"/{tenant}/{path}")
        assert html_language(onward.text) == "fr", path
    # Another browser, with no transaction of that app: its own language.
    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/{tenant}/account/login/")
    assert html_language(elsewhere.text) == "en"


@override_settings(LANGUAGES=WITH_FRENCH)
def test_without_a_language_the_product_speaks_the_browser_decides(
    flow_world: FlowWorld,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    page = client.get(authorize_url(flow_world) + "&ui_locales=de")
    assert html_language(page.text) == "fr"
    english = Client(HTTP_ACCEPT_LANGUAGE="fr").get(authorize_url(flow_world) + "&ui_locales=en")
    assert html_language(english.text) == "en"


def test_a_shipped_language_is_spoken(flow_world: FlowWorld) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(authorize_url(flow_world) + "&ui_locales=fr")
    assert html_language(page.text) == "fr"
    assert page["Content-Language"] == "fr"


# --- The order of the choice (journey/languages.py `page_language`) -----------------------------


def _request(
    tenant: Tenant | None, *, accept: str = "", preferred: str | None = None
) -> HttpRequest:
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    request = RequestFactory().get("/", **headers)
    request.ciam_tenant = tenant  # type: ignore[attr-defined]
    customer = User(email="c@example.com", preferred_language=preferred or "")
    request.user = AnonymousUser() if preferred is None else customer
    return request


def test_each_step_of_the_choice(tenant_a: Tenant) -> None:
    tenant_a.default_language = "de"
    everything = _request(tenant_a, accept="es", preferred="ja")
    # 1. the app's ui_locales, 2. the customer's preference, 3. the browser, 4. the tenant.
    assert page_language(everything, ui_locales=["x-none", "he"]) == "he"
    assert page_language(everything, ui_locales=["x-none"]) == "ja"
    assert page_language(_request(tenant_a, accept="es;q=0.5, pt, fr;q=0.8")) == "fr"
    assert page_language(_request(tenant_a, accept="es", preferred="")) == "es"
    assert page_language(_request(tenant_a, accept="pt, *")) == "de"
    assert page_language(_request(tenant_a)) == "de"
    # 5. English, when the tenant's default is not (or no longer) shipped.
    tenant_a.default_language = "pt"
    assert page_language(_request(tenant_a, preferred="x-gone")) == "en"
    # Outside any tenant (the admin center, the public pages): English, whatever is asked.
    assert page_language(_request(None, accept="fr", preferred="fr"), ui_locales=["fr"]) == "en"


def test_a_huge_or_odd_accept_language_is_ignored(tenant_a: Tenant) -> None:
    assert page_language(_request(tenant_a, accept="fr," * 400)) == "en"
    assert page_language(_request(tenant_a, accept="\x00fr;q=x")) == "en"


def test_the_tenant_default_speaks_when_the_browser_asks_nothing(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    tenant.default_language = "he"
    tenant.save(update_fields=["default_language"])
    page = Client().get(f"/{tenant.domain_name}/account/login/")
    assert html_language(page.text) == "he"
    assert '<html lang="he" dir="rtl">' in page.text
    assert page["Content-Language"] == "he"
    assert "Accept-Language" in page["Vary"]
    browser = Client(HTTP_ACCEPT_LANGUAGE="ar").get(f"/{tenant.domain_name}/account/login/")
    assert '<html lang="ar" dir="rtl">' in browser.text
    assert (
        "dir="
        not in Client(HTTP_ACCEPT_LANGUAGE="fr")
        .get(f"/{tenant.domain_name}/account/login/")
        .text.split(">", 2)[1]
    )


def test_a_customer_reachable_error_page_speaks_and_mirrors(flow_world: FlowWorld) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="ar").get(f"/{flow_world.tenant.domain_name}/no-such/")
    assert page.status_code == 404
    assert '<html lang="ar" dir="rtl">' in page.text


def test_the_admin_center_speaks_english(admin_client: Client, tenant_a: Tenant) -> None:
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = admin_client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/")
    assert page.status_code == 200
    assert page["Content-Language"] == "en"
    assert '<html lang="en"' in page.text


def _sign_in(world: FlowWorld, client: Client, email: str) -> None:
    client.get(authorize_url(world))
    done = client.post(
        f"/{world.tenant.domain_name}/account/login/",
        {"login": email, "password": PASSWORD, "next": authorize_url(world)},
    )
    assert done.status_code == 302, done.content[:300]


def _preference(world: FlowWorld, email: str) -> str:
    with in_tenant(world.tenant):
        return User.objects.get(email=email).preferred_language


def test_signing_in_records_the_language_once(flow_world: FlowWorld) -> None:
    make_customer(flow_world.tenant, "lang@example.com")
    assert _preference(flow_world, "lang@example.com") == ""
    _sign_in(flow_world, Client(HTTP_ACCEPT_LANGUAGE="es"), "lang@example.com")
    assert _preference(flow_world, "lang@example.com") == "es"
    # Signed in again on a page speaking the same language: no UPDATE of the preference.
    with CaptureQueriesContext(connection) as queries:
        _sign_in(flow_world, Client(HTTP_ACCEPT_LANGUAGE="es"), "lang@example.com")
    assert not [q for q in queries if "preferred_language" in q["sql"] and "UPDATE" in q["sql"]]
    # The app asks for Japanese: the page speaks it, and it becomes the preference.
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.get(authorize_url(flow_world) + "&ui_locales=ja")
    client.post(
        f"/{flow_world.tenant.domain_name}/account/login/",
        {"login": "lang@example.com", "password": PASSWORD, "next": authorize_url(flow_world)},
    )
    assert _preference(flow_world, "lang@example.com") == "ja"


def test_the_stored_preference_beats_the_browser(flow_world: FlowWorld) -> None:
    """Once signed in, the customer's pages speak their stored language (set elsewhere: by an
    earlier sign-in through an app asking for German, say), not the browser's."""
    make_customer(flow_world.tenant, "pref@example.com")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    _sign_in(flow_world, client, "pref@example.com")
    with in_tenant(flow_world.tenant):
        User.objects.filter(email="pref@example.com").update(preferred_language="de")
    home = client.get(f"/{flow_world.tenant.domain_name}/")
    assert home.status_code == 200
    assert html_language(home.text) == "de"


def test_signing_up_records_the_page_language(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Any
) -> None:
    tenant = flow_world.tenant.domain_name
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.get(authorize_url(flow_world))
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post(
            f"/{tenant}/account/signup/",
            {"email": "neu@example.com", "next": authorize_url(flow_world)},
        )
    assert answer.status_code == 302, answer.content[:300]
    assert _preference(flow_world, "neu@example.com") == "de"
