"""The quick starts on an app's overview page run as printed against the app's registration.

The Flask sample is taken from the rendered page and executed: its login route must send the
browser to this tenant's authorization endpoint with the registered redirect URI, its callback
route must answer at that URI's path, and a real sign-in on the real server must come back
through it with the customer's claims. The oidc-client-ts sample is checked as far as Python
can: its authority's discovery document, its client ID and redirect URI.
"""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client, override_settings
from django.urls import reverse
from flask import Flask

from apps.models import AppRegistration
from tenants.models import AdminRole
from tests.factories.accounts import MakeOperator, operator_client
from tests.factories.oidc import (
    SPA_REDIRECT,
    WEB_REDIRECT,
    OidcWorld,
    browser_sign_in,
    is_sign_in_page,
)

_QUICKSTART = re.compile(r'<pre class="code" id="quickstart"><code>(.*?)</code></pre>', re.S)


def quick_start(world: OidcWorld, app: AppRegistration, operator_factory: MakeOperator) -> str:
    """The quick start's code as an operator reads (and copies) it from the overview page,
    rendered with the live server's base URL, so the sample talks to the live server."""
    operator = operator_factory(tenant=world.tenant, roles=[AdminRole.APPLICATION_ADMINISTRATOR])
    client: Client = operator_client(operator.email)
    url = reverse("admin_center:app-overview", args=[world.tenant.tenant_id, app.object_id])
    with override_settings(CIAM_BASE_URL=world.base_url):
        page = client.get(url)
    assert page.status_code == 200, page.content[:500]
    found = _QUICKSTART.search(page.content.decode())
    assert found, page.content.decode()[:2000]
    return html.unescape(found.group(1))


def flask_app(code: str, monkeypatch: pytest.MonkeyPatch, world: OidcWorld) -> Flask:
    """The Flask sample, run as printed with the environment it asks for."""
    monkeypatch.setenv("CIAM_CLIENT_SECRET", world.web_secret)
    monkeypatch.setenv("FLASK_SECRET_KEY", "quick-start-test")
    namespace: dict[str, object] = {"__name__": "quickstart"}
    exec(compile(code, "quickstart.py", "exec"), namespace)  # noqa: S102 (the sample itself)
    app = namespace["app"]
    assert isinstance(app, Flask)
    return app


@pytest.mark.usefixtures("db")
def test_the_flask_quick_start_signs_in_through_the_registered_redirect_uri(
    oidc_world: OidcWorld, operator_factory: MakeOperator, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = flask_app(
        quick_start(oidc_world, oidc_world.web, operator_factory), monkeypatch, oidc_world
    )
    registered = urlsplit(WEB_REDIRECT)
    routes = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    assert routes["callback"] == registered.path

    web = app.test_client()
    login = web.get("/login")
    assert login.status_code == 302
    authorize = urlsplit(login.headers["Location"])
    assert authorize._replace(query="").geturl() == oidc_world.endpoint("authorize")
    query = {name: values[0] for name, values in parse_qs(authorize.query).items()}
    assert query["client_id"] == oidc_world.web.client_id
    assert query["redirect_uri"] == WEB_REDIRECT
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"

    # A real sign-in on the real server comes back to the registered URI, whose path is the
    # sample's callback route: the sample redeems the code and keeps the verified claims.
    back = browser_sign_in(requests.Session(), oidc_world, login.headers["Location"])
    assert back.status_code == 302, back.text[:500]
    arrival = urlsplit(back.headers["Location"])
    assert arrival._replace(query="").geturl() == WEB_REDIRECT
    callback = web.get(f"{arrival.path}?{arrival.query}")
    assert callback.status_code in (200, 302), callback.text[:500]
    with web.session_transaction() as session:
        assert session["user"]["email"] == oidc_world.customer_email
        assert session["user"]["iss"] == oidc_world.issuer


@pytest.mark.usefixtures("db")
def test_the_single_page_app_quick_start_names_the_registered_redirect_uri_and_authority(
    oidc_world: OidcWorld, operator_factory: MakeOperator
) -> None:
    code = quick_start(oidc_world, oidc_world.spa, operator_factory)
    settings = dict(re.findall(r'^\s+(\w+): "([^"]*)",$', code, re.M))
    assert settings == {
        "authority": oidc_world.issuer,
        "client_id": oidc_world.spa.client_id,
        "redirect_uri": SPA_REDIRECT,
        "response_type": "code",
        "scope": "openid profile email offline_access",
    }
    # What oidc-client-ts reads first: the authority's discovery document (OIDC Discovery §4).
    discovery = requests.get(
        f"{settings['authority']}/.well-known/openid-configuration", timeout=5
    ).json()
    assert discovery["issuer"] == oidc_world.issuer
    assert discovery["authorization_endpoint"] == oidc_world.endpoint("authorize")
    # Its sign-in request (authorization code with PKCE) is one the server takes: the hosted
    # sign-in page, not an error page.
    page = requests.get(
        discovery["authorization_endpoint"],
        params={
            "client_id": settings["client_id"],
            "redirect_uri": settings["redirect_uri"],
            "response_type": settings["response_type"],
            "scope": settings["scope"],
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            "state": "s",
        },
        timeout=5,
    )
    assert is_sign_in_page(page), page.text[:500]
