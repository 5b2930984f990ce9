"""Every error gets a clean error response, wherever it is raised.

Django's own error views fetch a CSRF token, which CSRF_USE_SESSIONS keeps in the session: raised
before the session middleware (tenant routing, the request guard, the token endpoint, which
skips the middleware) or with the session store failing, the error page failed itself and the
client got a bare 500. Protocol and API paths answer JSON (`error`, `error_description`), every
other path a small HTML page.
"""

from collections.abc import Iterator
from unittest import mock

import pytest
import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.test import Client

from tenants import services
from tenants.models import Tenant
from tests.conftest import TENANT_A

HOSTED_PAGE = "/{tenant}/account/login/"
# Protocol endpoints a person's browser is sent to: they answer with the page, not JSON.
BROWSER_ENDPOINTS = ["/{tenant}/oauth2/v2.0/authorize", "/{tenant}/oauth2/v2.0/logout"]
PROTOCOL_PATHS = [
    "/{tenant}/v2.0/.well-known/openid-configuration",
    "/{tenant}/discovery/v2.0/keys",
    "/{tenant}/api/v1/me",
]
RAISED = [
    (SuspiciousOperation("fuzzed"), 400, "invalid_request"),
    (PermissionDenied(), 403, "access_denied"),
    (Http404(), 404, "not_found"),
    (RuntimeError("fuzzed"), 500, "server_error"),
]


def client() -> Client:
    # One request ID for all: each answer names its request (X-Request-ID), and the answers
    # compared below must be alike to the header.
    return Client(raise_request_exception=False, headers={"X-Request-ID": "one-request"})


def assert_html_error(response: HttpResponse, status: int) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert page.startswith("<!doctype html>")
    assert '<html lang="en">' in page
    assert "<title>" in page
    assert "<main" in page
    assert "<h1>" in page
    assert "csrfmiddlewaretoken" not in page
    assert not response.cookies


def assert_json_error(response: HttpResponse, status: int, error: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error
    assert body["error_description"]
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


@pytest.fixture
def failing_session_store() -> Iterator[None]:
    """A session store that cannot be read (its database is gone, say)."""
    with mock.patch(
        "accounts.session_store.SessionStore.load", side_effect=DatabaseError("store down")
    ):
        yield


@pytest.mark.parametrize(("raised", "status", "error"), RAISED)
def test_errors_in_tenant_routing_get_an_error_page(
    tenant_a: Tenant, raised: Exception, status: int, error: str
) -> None:
    """Raised while the first middleware resolves the tenant: there is no session yet."""
    with mock.patch("tenants.routing.tenant_for_path_segment", side_effect=raised):
        for path in (HOSTED_PAGE, *BROWSER_ENDPOINTS):
            assert_html_error(client().get(path.format(tenant=tenant_a.domain_name)), status)
        for path in PROTOCOL_PATHS:
            response = client().get(path.format(tenant=tenant_a.domain_name))
            assert_json_error(response, status, error)
        token = client().post(
            f"/{tenant_a.domain_name}/oauth2/v2.0/token", {"grant_type": "client_credentials"}
        )
        assert_json_error(token, status, error)


@pytest.mark.parametrize(("raised", "status", "error"), RAISED)
def test_errors_before_the_session_middleware_get_an_error_page_everywhere(
    tenant_a: Tenant, raised: Exception, status: int, error: str
) -> None:
    """Raised in the request guard, which runs before the session middleware on every path:
    the admin center, the public URLconf and tenants alike."""
    with mock.patch("tenants.request_guard.malformed_request_refusal", side_effect=raised):
        for path in (
            "/admin-center/",
            "/admin-center/sign-in/",
            "/healthz",
            "/oauth2/v2.0/authorize",
            HOSTED_PAGE,
            *BROWSER_ENDPOINTS,
        ):
            assert_html_error(client().get(path.format(tenant=tenant_a.domain_name)), status)
        for path in (
            "/.well-known/openid-configuration",
            "/common/v2.0/.well-known/openid-configuration",
            "/{tenant}/oauth2/v2.0/token",
            *PROTOCOL_PATHS,
        ):
            response = client().post(path.format(tenant=tenant_a.domain_name))
            assert_json_error(response, status, error)


def test_an_exception_at_the_token_endpoint_is_a_json_server_error(tenant_a: Tenant) -> None:
    """The token endpoint skips the session middleware, so no request there has a session."""
    with mock.patch("apps.oidc.views.TokenView.post", side_effect=RuntimeError("fuzzed")):
        response = client().post(
            f"/{tenant_a.domain_name}/oauth2/v2.0/token",
            {"grant_type": "authorization_code", "code": "x", "client_id": "y"},
        )
    assert_json_error(response, 500, "server_error")


@pytest.mark.usefixtures("failing_session_store")
def test_a_session_store_that_fails_still_gets_an_error_page(tenant_a: Tenant) -> None:
    """The CSRF middleware reads the session of every request that has one; the error page
    must not read it a second time."""
    browser = client()
    for name in (tenant_a.domain_name, "admin"):
        browser.cookies[f"{settings.SESSION_COOKIE_NAME}_{name}"] = "k" * 32
    assert_html_error(browser.get(HOSTED_PAGE.format(tenant=tenant_a.domain_name)), 500)
    assert_html_error(browser.get("/admin-center/sign-in/"), 500)
    for path in PROTOCOL_PATHS:
        response = browser.get(path.format(tenant=tenant_a.domain_name))
        assert_json_error(response, 500, "server_error")


@pytest.mark.parametrize(("raised", "status", "error"), RAISED)
def test_errors_in_views_get_the_same_error_pages(
    tenant_a: Tenant, raised: Exception, status: int, error: str
) -> None:
    with mock.patch("journey.views.CustomerLoginView.get", side_effect=raised, create=True):
        assert_html_error(client().get(HOSTED_PAGE.format(tenant=tenant_a.domain_name)), status)
    with mock.patch("apps.oidc.views.DiscoveryView.get", side_effect=raised):
        response = client().get(f"/{tenant_a.domain_name}/v2.0/.well-known/openid-configuration")
    assert_json_error(response, status, error)


def test_a_host_header_not_allowed_is_a_bad_request(tenant_a: Tenant) -> None:
    bad_host = {"HTTP_HOST": "evil.example"}
    for path in (HOSTED_PAGE, *BROWSER_ENDPOINTS, "/admin-center/", "/admin-center/sign-in/"):
        response = client().get(path.format(tenant=tenant_a.domain_name), **bad_host)
        assert_html_error(response, 400)
    for path in PROTOCOL_PATHS:
        response = client().get(path.format(tenant=tenant_a.domain_name), **bad_host)
        assert_json_error(response, 400, "invalid_request")


def test_unknown_paths_get_a_404_in_the_shape_their_caller_reads(tenant_a: Tenant) -> None:
    tenant = tenant_a.domain_name
    for path in (f"/{tenant}/no-such-page/", "/admin-center/no-such-page/"):
        assert_html_error(client().get(path), 404)
    for path in (
        f"/{tenant}/oauth2/v2.0/no-such-endpoint",
        f"/{tenant}/api/v2/no-such-resource",
        f"/{tenant}/discovery/v2.0/no-such-document",
        "/.well-known/openid-configuration",
        "/common/v2.0/.well-known/openid-configuration",
    ):
        assert_json_error(client().get(path), 404, "not_found")
    for path in ("/oauth2/v2.0/authorize", "/common/oauth2/v2.0/authorize"):
        assert_html_error(client().get(path), 404)


def test_the_uniform_tenant_404_stays_uniform(tenant_a: Tenant) -> None:
    """Unknown and suspended tenants answer the same bytes on any path, protocol paths too. A
    tenant's own unknown page is that page in the tenant's branding (its name on it): the
    tenant's existence is no secret (its sign-in page is public), a suspended one's is."""
    own_unknown_page = client().get(f"/{tenant_a.domain_name}/no-such-page/")
    assert_html_error(own_unknown_page, 404)
    assert tenant_a.display_name in own_unknown_page.content.decode()
    unknown = [
        client().get("/no-such-tenant/account/login/"),
        client().get("/no-such-tenant/oauth2/v2.0/authorize"),
        client().post("/no-such-tenant/oauth2/v2.0/token"),
        client().get("/0b7e4d9c-2f7a-4d53-9a3e-6a1f1c2b3d4e/v2.0/.well-known/openid-configuration"),
    ]
    services.tenant_delete(tenant=tenant_a, actor=None)
    suspended = client().get(f"/{tenant_a.domain_name}/oauth2/v2.0/authorize")
    for response in [*unknown, suspended]:
        assert_html_error(response, 404)
        assert response.content == unknown[0].content
        assert tenant_a.display_name not in response.content.decode()
        assert sorted(response.headers.items()) == sorted(unknown[0].headers.items())


def test_a_post_without_the_csrf_secret_is_refused_cleanly(tenant_a: Tenant) -> None:
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    tenant = tenant_a.domain_name
    login = {"login": "ann@example.com", "password": "Correct-Horse-42"}
    for path in (f"/{tenant}/account/login/", "/admin-center/sign-in/"):
        response = browser.post(path, login)
        assert_html_error(response, 403)
        assert "cookies" in response.content.decode()
    # The sign-out confirmation is a person's page too.
    response = browser.post(f"/{tenant}/oauth2/v2.0/logout", {"allow": "Yes"})
    assert_html_error(response, 403)


@pytest.mark.usefixtures("committed_db")
def test_error_pages_over_real_http(live_server_url: str) -> None:
    """The same answers from the server as deployed (granian), where a bare 500 is what a
    failing error page becomes."""
    tenant = f"{live_server_url}/{TENANT_A}"

    def get(url: str, **headers: str) -> requests.Response:
        return requests.get(url, headers=headers, timeout=10, allow_redirects=False)

    for response, status in (
        (get(f"{tenant}/account/login/", Host="evil.example"), 400),
        (get(f"{tenant}/no-such-page/"), 404),
        (get(f"{live_server_url}/no-such-tenant/oauth2/v2.0/authorize"), 404),
        (requests.post(f"{tenant}/account/login/", data={"login": "a"}, timeout=10), 403),
        (get(f"{tenant}/oauth2/v2.0/authorize", Host="evil.example"), 400),
        (requests.post(f"{tenant}/oauth2/v2.0/logout", timeout=10), 403),
    ):
        assert response.status_code == status
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<h1>" in response.text
    for response, status, error in (
        (get(f"{tenant}/discovery/v2.0/keys", Host="evil.example"), 400, "invalid_request"),
        (get(f"{tenant}/oauth2/v2.0/no-such-endpoint"), 404, "not_found"),
        (get(f"{live_server_url}/.well-known/openid-configuration"), 404, "not_found"),
    ):
        assert response.status_code == status
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"] == error


def test_a_method_an_endpoint_does_not_take_gets_a_405_with_a_body(tenant_a: Tenant) -> None:
    """Django's and django-oauth-toolkit's 405s are empty: ours say what went wrong, in the
    shape the caller reads, and keep `Allow`."""
    tenant = tenant_a.domain_name
    for method, path in (
        ("get", "oauth2/v2.0/token"),
        ("get", "oauth2/v2.0/introspect"),
        ("get", "oauth2/v2.0/revoke"),
        ("put", "oauth2/v2.0/userinfo"),
        ("put", "v2.0/.well-known/openid-configuration"),
    ):
        response = getattr(client(), method)(f"/{tenant}/{path}")
        assert_json_error(response, 405, "invalid_request")
        assert response["Allow"], path
    assert client().get(f"/{tenant}/oauth2/v2.0/token")["Allow"] == "POST, OPTIONS"
    signing_out = client().get("/admin-center/sign-out/")  # people's pages get the page
    assert_html_error(signing_out, 405)
    assert signing_out["Allow"] == "POST"
