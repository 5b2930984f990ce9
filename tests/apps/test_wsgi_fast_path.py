"""The WSGI entry point answers plain client-credentials requests itself, and hands anything
else to Django unchanged."""

import base64
import io
import json
from typing import Any
from unittest import mock

import pytest
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections

from apps import services as app_services
from apps.models import Platform
from ciam_portal.wsgi import application
from tenants.models import Tenant
from tenants.schemas import in_tenant


def call(environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> None:
        captured["status"], captured["headers"] = status, dict(headers)

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        body = b"".join(result)
        getattr(result, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return captured["status"], captured["headers"], body


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
        **extra,
    }


@pytest.fixture
def daemon(tenant_a: Tenant) -> tuple[str, str, str]:
    with in_tenant(tenant_a):
        api = app_services.app_register(name="API", platform=Platform.WEB)
        role = app_services.app_role_add(app=api, value="Read.All", display_name="Read")
        app = app_services.app_register(name="Daemon", platform=Platform.DAEMON)
        app_services.api_permission_add(client=app, app_role=role)
        app_services.admin_consent_grant(client=app)
        _s, secret = app_services.client_secret_add(app=app, description="t", lifetime_days=90)
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    return (
        f"/{tenant_a.domain_name}/oauth2/v2.0/token",
        f"Basic {basic}",
        f"api://{api.client_id}/.default",
    )


def test_plain_requests_are_answered_before_django(daemon: tuple[str, str, str]) -> None:
    path, basic, scope = daemon
    body = f"grant_type=client_credentials&scope={scope}".encode()
    status, headers, payload = call(environ(path, body, HTTP_AUTHORIZATION=basic))
    assert status == "200 OK"
    assert headers["Cache-Control"] == "no-store"
    token = json.loads(payload)
    claims = json.loads(base64.urlsafe_b64decode(token["access_token"].split(".")[1] + "=="))
    assert claims["roles"] == ["Read.All"]

    status, headers, payload = call(environ(path, body, HTTP_AUTHORIZATION="Basic bm9wZTpub3Bl"))
    assert status == "401 Unauthorized"
    assert headers["WWW-Authenticate"].startswith("Basic realm=")
    assert json.loads(payload)["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        (b"grant_type=client_credentials&grant_type=client_credentials", {}),
        (b"grant_type=client_credentials&scope=\xff", {}),
        (b"grant_type=client_credentials&resource=https://x", {}),
        (b"grant_type=client_credentials", {"HTTP_ORIGIN": "https://spa.example"}),
    ],
)
def test_anything_unusual_goes_to_django_with_its_body(
    daemon: tuple[str, str, str], body: bytes, extra: dict[str, str]
) -> None:
    path, basic, _scope = daemon
    status, _headers, payload = call(environ(path, body, HTTP_AUTHORIZATION=basic, **extra))
    assert status.startswith("400")
    assert "error" in json.loads(payload)


def test_unknown_tenants_get_the_uniform_404(daemon: tuple[str, str, str]) -> None:
    status, _headers, _payload = call(
        environ("/no-such-tenant/oauth2/v2.0/token", b"grant_type=client_credentials")
    )
    assert status.startswith("404")


def test_an_error_on_the_fast_path_is_a_json_server_error(
    daemon: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Outside Django's handler, a failure (the database gone, say) still gets the token
    endpoint's JSON error and a logged traceback, not the server's bare 500."""
    path, basic, scope = daemon
    body = f"grant_type=client_credentials&scope={scope}".encode()
    with mock.patch("apps.oidc.client_credentials.issue", side_effect=DatabaseError("gone")):
        status, headers, payload = call(environ(path, body, HTTP_AUTHORIZATION=basic))
    assert status == "500 Internal Server Error"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(payload)["error"] == "server_error"
    assert any(record.exc_info for record in caplog.records if record.name == "django.request")
