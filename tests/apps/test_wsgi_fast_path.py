"""The WSGI entry point answers plain client-credentials requests itself, and hands anything
else to Django unchanged."""

import base64
import io
import json
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, OperationalError, close_old_connections

from apps import services as app_services
from apps.models import Platform
from ciam_portal.wsgi import application
from tenants.errors import not_found_page
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_issuer
from tests.factories.oidc import make_consented_daemon

FAST = "fast path"
DJANGO = "Django"
# Every request names itself; the fast path answers with the same ID (tenants/correlation.py).
REQUEST_ID = "test-request-1"


def call(environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes, str]:
    """Call the WSGI entry point; also say which path answered: Django's request handling
    (its WSGIHandler announces every request it takes with `request_started`) or the fast path
    (which sends the signal too, under its own name, to close stale connections)."""
    captured: dict[str, Any] = {}
    senders: list[object] = []

    def start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> None:
        captured["status"], captured["headers"] = status, dict(headers)

    def seen(sender: object, **kwargs: object) -> None:
        senders.append(sender)

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    request_started.connect(seen)
    try:
        result = application(environ, start_response)
        body = b"".join(result)
        getattr(result, "close", lambda: None)()
    finally:
        request_started.disconnect(seen)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    path = DJANGO if WSGIHandler in senders else FAST
    return captured["status"], captured["headers"], body, path


def environ(path: str, body: bytes, **extra: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "HTTP_X_REQUEST_ID": REQUEST_ID,
        **extra,
    }


@dataclass
class Daemon:
    path: str
    client_id: str
    secret: str
    scope: str
    api_client_id: str
    spa_client_id: str
    issuer: str

    @property
    def basic(self) -> str:
        return basic(self.client_id, self.secret)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def daemon(tenant_a: Tenant) -> Daemon:
    consented = make_consented_daemon(tenant_a)
    api, app, secret = consented.api, consented.app, consented.secret
    with in_tenant(tenant_a):
        spa = app_services.app_register(
            name="SPA", platform=Platform.SPA, redirect_uris=["http://localhost:3000/"]
        )
    return Daemon(
        path=f"/{tenant_a.domain_name}/oauth2/v2.0/token",
        client_id=app.client_id,
        secret=secret,
        scope=f"api://{api.client_id}/.default",
        api_client_id=api.client_id,
        spa_client_id=spa.client_id,
        issuer=tenant_issuer(tenant_a),
    )


def fast_path_headers(length: int, challenge: str | None = None) -> dict[str, str]:
    """Every header the fast path answers with, and no other (apps/oidc/client_credentials.py)."""
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Length": str(length),
        "X-Request-ID": REQUEST_ID,
    }
    if challenge is not None:
        headers["WWW-Authenticate"] = challenge
    return headers


def test_plain_requests_are_answered_before_django(daemon: Daemon) -> None:
    body = f"grant_type=client_credentials&scope={daemon.scope}".encode()
    status, headers, payload, path = call(
        environ(daemon.path, body, HTTP_AUTHORIZATION=daemon.basic)
    )
    assert (status, path) == ("200 OK", FAST)
    assert headers == fast_path_headers(len(payload))
    token = json.loads(payload)
    assert set(token) == {"access_token", "token_type", "expires_in", "scope"}
    assert (token["token_type"], token["expires_in"], token["scope"]) == (
        "Bearer",
        3600,
        daemon.scope,
    )
    claims = json.loads(base64.urlsafe_b64decode(token["access_token"].split(".")[1] + "=="))
    assert (claims["aud"], claims["roles"], claims["idtyp"]) == (
        daemon.api_client_id,
        ["Read.All"],
        "app",
    )


FAILED_AUTHENTICATION = {
    "error": "invalid_client",
    "error_description": "Client authentication failed.",
}
WRONG_SCOPE = {
    "error": "invalid_scope",
    "error_description": "Ask for one API's scope as <application ID URI>/.default.",
}

# (what it shows, body, Authorization header, status, body answered, challenged)
FAST_PATH_ERRORS: list[tuple[str, str, str | None, str, dict[str, str], bool]] = [
    (
        "wrong secret by Basic",
        "scope={scope}",
        "wrong",
        "401 Unauthorized",
        FAILED_AUTHENTICATION,
        True,
    ),
    (
        "wrong secret in the body",
        "scope={scope}&client_id={client_id}&client_secret=wrong",
        None,
        "401 Unauthorized",
        FAILED_AUTHENTICATION,
        True,
    ),
    ("unknown client", "scope={scope}", "unknown", "401 Unauthorized", FAILED_AUTHENTICATION, True),
    ("no credentials", "scope={scope}", None, "401 Unauthorized", FAILED_AUTHENTICATION, True),
    (
        "a public client, which has no secret",
        "scope={scope}&client_id={spa_client_id}",
        None,
        "401 Unauthorized",
        FAILED_AUTHENTICATION,
        True,
    ),
    (
        "Basic and a body secret at once",
        "scope={scope}&client_secret={secret}",
        "right",
        "400 Bad Request",
        {"error": "invalid_request", "error_description": "Authenticate the client one way only."},
        False,
    ),
    (
        "a repeated parameter",
        "scope={scope}&scope={scope}",
        "right",
        "400 Bad Request",
        {"error": "invalid_request", "error_description": "A parameter is repeated."},
        False,
    ),
    ("no scope", "", "right", "400 Bad Request", WRONG_SCOPE, False),
    (
        "an API not consented",
        "scope=api://unknown/.default",
        "right",
        "400 Bad Request",
        WRONG_SCOPE,
        False,
    ),
    ("two scopes", "scope={scope}+openid", "right", "400 Bad Request", WRONG_SCOPE, False),
]


@pytest.mark.parametrize(
    ("name", "query", "authorization", "status", "answer", "challenged"),
    FAST_PATH_ERRORS,
    ids=[row[0] for row in FAST_PATH_ERRORS],
)
def test_errors_on_the_fast_path_are_rfc_6749_section_5_2s(
    daemon: Daemon,
    name: str,
    query: str,
    authorization: str | None,
    status: str,
    answer: dict[str, str],
    challenged: bool,
) -> None:
    values = {
        "scope": daemon.scope,
        "client_id": daemon.client_id,
        "secret": daemon.secret,
        "spa_client_id": daemon.spa_client_id,
    }
    body = "&".join(["grant_type=client_credentials", query.format(**values)]).rstrip("&")
    headers = {
        "right": {"HTTP_AUTHORIZATION": daemon.basic},
        "wrong": {"HTTP_AUTHORIZATION": basic(daemon.client_id, "wrong")},
        "unknown": {"HTTP_AUTHORIZATION": basic("nobody", "wrong")},
        None: {},
    }[authorization]
    got_status, got_headers, payload, path = call(environ(daemon.path, body.encode(), **headers))
    assert (got_status, json.loads(payload), path) == (status, answer, FAST)
    challenge = f'Basic realm="{daemon.issuer}", error="invalid_client"' if challenged else None
    assert got_headers == fast_path_headers(len(payload), challenge)


@pytest.mark.parametrize(
    ("body", "extra", "answer"),
    [
        (
            b"grant_type=client_credentials&grant_type=client_credentials",
            {},
            {"error": "invalid_request", "error_description": "A parameter is repeated."},
        ),
        (b"grant_type=client_credentials&scope=\xff", {}, WRONG_SCOPE),
        (b"grant_type=client_credentials&resource=https://x", {}, {"error": "invalid_scope"}),
        (b"grant_type=client_credentials", {"HTTP_ORIGIN": "https://spa.example"}, WRONG_SCOPE),
    ],
    ids=["repeated grant_type", "not UTF-8", "a resource indicator", "a CORS request"],
)
def test_anything_unusual_goes_to_django_with_its_body(
    daemon: Daemon, body: bytes, extra: dict[str, str], answer: dict[str, str]
) -> None:
    status, _headers, payload, path = call(
        environ(daemon.path, body, HTTP_AUTHORIZATION=daemon.basic, **extra)
    )
    assert (status, json.loads(payload), path) == ("400 Bad Request", answer, DJANGO)


def test_unknown_tenants_get_the_uniform_404(daemon: Daemon) -> None:
    status, _headers, payload, path = call(
        environ("/no-such-tenant/oauth2/v2.0/token", b"grant_type=client_credentials")
    )
    assert (status, path) == ("404 Not Found", DJANGO)
    assert payload == not_found_page().content


def test_an_error_on_the_fast_path_is_a_json_server_error(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    """Outside Django's handler, a failure (the database gone, say) still gets the token
    endpoint's JSON error and a logged traceback, not the server's bare 500."""
    body = f"grant_type=client_credentials&scope={daemon.scope}".encode()
    with mock.patch("apps.oidc.client_credentials.issue", side_effect=DatabaseError("gone")):
        status, headers, payload, path = call(
            environ(daemon.path, body, HTTP_AUTHORIZATION=daemon.basic)
        )
    assert (status, path) == ("500 Internal Server Error", FAST)
    assert headers == fast_path_headers(len(payload))
    assert json.loads(payload) == {
        "error": "server_error",
        "error_description": "The server could not complete the request.",
    }
    assert any(record.exc_info for record in caplog.records if record.name == "django.request")


def test_the_database_unreachable_on_the_fast_path_is_a_503_to_retry(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    """A database restarting or failing over is no server error: the client is told to retry
    (tenants/errors.py), and the failure is still logged with its traceback."""
    body = f"grant_type=client_credentials&scope={daemon.scope}".encode()
    lost = OperationalError("server closed the connection unexpectedly")
    with mock.patch("apps.oidc.client_credentials.issue", side_effect=lost):
        status, headers, payload, path = call(
            environ(daemon.path, body, HTTP_AUTHORIZATION=daemon.basic)
        )
    assert (status, path) == ("503 Service Unavailable", FAST)
    assert headers == {**fast_path_headers(len(payload)), "Retry-After": "5"}
    assert json.loads(payload)["error"] == "temporarily_unavailable"
    assert any(record.exc_info for record in caplog.records if record.name == "django.request")
