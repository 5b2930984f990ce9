"""`ui_locales` (OIDC Core §3.1.2.1) is read: the hosted pages of the journey speak the first
of the app's languages that the product speaks, and discovery publishes the same list. Only
the choice is also proved with the languages narrowed down in settings."""

import re

import pytest
from django.test import Client, override_settings

from journey.languages import language_for, product_languages
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.flows import FlowWorld

WITH_FRENCH = [("en", "English"), ("fr", "French")]
SHIPPED = ["en", "fr", "de", "es", "ar", "he", "ja", "zh-hans"]


def page_language(html: str) -> str:
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
    assert page_language(page.text) == "fr"
    assert page["Content-Language"] == "fr"
    for path in ("account/signup/", "account/login/", "account/password/reset/"):
        onward = client.get(f"/{tenant}/{path}")
        assert page_language(onward.text) == "fr", path
    # Another browser, with no transaction of that app: its own language.
    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/{tenant}/account/login/")
    assert page_language(elsewhere.text) == "en"


@override_settings(LANGUAGES=WITH_FRENCH)
def test_without_a_language_the_product_speaks_the_browser_decides(
    flow_world: FlowWorld,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    page = client.get(authorize_url(flow_world) + "&ui_locales=de")
    assert page_language(page.text) == "fr"
    english = Client(HTTP_ACCEPT_LANGUAGE="fr").get(authorize_url(flow_world) + "&ui_locales=en")
    assert page_language(english.text) == "en"


def test_a_shipped_language_is_spoken(flow_world: FlowWorld) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(authorize_url(flow_world) + "&ui_locales=fr")
    assert page_language(page.text) == "fr"
    assert page["Content-Language"] == "fr"
