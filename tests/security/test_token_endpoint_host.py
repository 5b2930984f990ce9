"""The token endpoint, which skips Django's middleware (and the WSGI entry's fast path, which
skips Django), enforces ALLOWED_HOSTS as every other page does: a 400 with a JSON body."""

import json
from collections.abc import Mapping
from unittest import mock

import pytest
import requests
from django.test import Client

from tenants.models import Tenant
from tests.apps.test_wsgi_fast_path import FAST, Daemon, call, daemon, environ
from tests.factories.oidc import OidcWorld

__all__ = ["daemon"]  # the fixture, shared with the fast path's own tests

FOREIGN_HOSTS = ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""]


def assert_host_refused(status: int, headers: Mapping[str, str], body: bytes) -> None:
    assert status == 400
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"] == "application/json"
    answer = json.loads(body)
    assert answer["error"] == "invalid_request"
    assert "host" in answer["error_description"].lower()


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_the_fast_path_refuses_a_foreign_host_itself(daemon: Daemon, host: str) -> None:
    body = f"grant_type=client_credentials&scope={daemon.scope}".encode()
    # Answered at the WSGI entry, never handed on to Django.
    with mock.patch("ciam_portal.wsgi.django_application", side_effect=AssertionError):
        status, headers, payload, path = call(
            environ(daemon.path, body, HTTP_HOST=host, HTTP_AUTHORIZATION=daemon.basic)
        )
    assert path == FAST
    assert_host_refused(int(status.split()[0]), headers, payload)


def test_the_fast_path_still_answers_allowed_hosts(daemon: Daemon) -> None:
    body = f"grant_type=client_credentials&scope={daemon.scope}".encode()
    for host in ("127.0.0.1:8000", "localhost"):
        status, _headers, _payload, path = call(
            environ(daemon.path, body, HTTP_HOST=host, HTTP_AUTHORIZATION=daemon.basic)
        )
        assert (status, path) == ("200 OK", FAST), host


@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "client_credentials", "scope": "api://x/.default"},  # the lean path
        {"grant_type": "authorization_code", "code": "c", "redirect_uri": "https://a.example/"},
        {"grant_type": "refresh_token", "refresh_token": "r"},
    ],
)
@pytest.mark.parametrize("host", FOREIGN_HOSTS[:2])
def test_the_django_path_refuses_a_foreign_host(
    tenant_a: Tenant, data: dict[str, str], host: str
) -> None:
    response = Client().post(
        f"/{tenant_a.domain_name}/oauth2/v2.0/token",
        data,
        HTTP_HOST=host,
        HTTP_AUTHORIZATION="Basic bm9wZTpub3Bl",
    )
    assert_host_refused(response.status_code, response.headers, response.content)


def test_a_foreign_host_is_refused_over_real_http(oidc_world: OidcWorld) -> None:
    data = {
        "grant_type": "client_credentials",
        "scope": oidc_world.default_scope,
        "client_id": oidc_world.daemon.client_id,
        "client_secret": oidc_world.daemon_secret,
    }
    url = oidc_world.endpoint("token")
    refused = requests.post(url, data=data, headers={"Host": "evil.example"}, timeout=10)
    assert_host_refused(refused.status_code, refused.headers, refused.content)
    assert requests.post(url, data=data, timeout=10).status_code == 200
