"""The database (or the cache) unreachable is a 503 with Retry-After, never a 500: a plain page
for people, rendered without the database; `temporarily_unavailable` JSON on protocol paths;
problem details on the management API (tenants/errors.py)."""

from typing import Any
from unittest import mock

import psycopg
import pytest
import redis
from django.db import IntegrityError, OperationalError
from django.http import HttpRequest
from django.test import Client

from accounts.models import User
from tenants.errors import is_unavailability
from tenants.models import Tenant
from tests.factories.accounts import operator_client

LOST = OperationalError("server closed the connection unexpectedly")
branding_reads: list[HttpRequest] = []


def branding_read(request: HttpRequest) -> dict[str, Any]:
    """An error page's context processor (CIAM_ERROR_PAGE_CONTEXT) that notes it was asked."""
    branding_reads.append(request)
    return {}


def client() -> Client:
    return Client(raise_request_exception=False)


def assert_retry(response: Any) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (LOST, True),
        (psycopg.OperationalError("connection refused"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (redis.ConnectionError("Error 111 connecting"), True),
        (IntegrityError("duplicate key"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_which_errors_say_a_service_is_unreachable(error: Exception, unreachable: bool) -> None:
    assert is_unavailability(error) is unreachable


def test_an_error_caused_by_a_lost_connection_is_one_too() -> None:
    error = RuntimeError("while saving")
    error.__cause__ = psycopg.OperationalError("consuming input failed")
    assert is_unavailability(error)


def test_a_page_whose_tenant_cannot_be_looked_up_says_to_try_again(tenant_a: Tenant) -> None:
    with mock.patch("tenants.routing.tenant_for_path_segment", side_effect=LOST):
        page = client().get(f"/{tenant_a.domain_name}/account/login/")
    assert_retry(page)
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert page["Content-Security-Policy"]
    assert "Temporarily unavailable" in page.text
    assert "try again" in page.text


def test_the_page_reads_no_branding_when_the_database_is_gone(
    tenant_a: Tenant, settings: Any
) -> None:
    """A server error's page below a tenant wears its branding; the unavailable one asks for
    none (that read would meet the same database)."""
    settings.CIAM_ERROR_PAGE_CONTEXT = [f"{__name__}.branding_read"]
    branding_reads.clear()
    login = f"/{tenant_a.domain_name}/account/login/"
    with mock.patch("journey.views.CustomerLoginView.dispatch", side_effect=RuntimeError("bug")):
        assert client().get(login).status_code == 500
    assert len(branding_reads) == 1
    with mock.patch("journey.views.CustomerLoginView.dispatch", side_effect=LOST):
        page = client().get(login)
    assert_retry(page)
    assert "Temporarily unavailable" in page.text
    assert len(branding_reads) == 1


def test_the_token_endpoint_answers_temporarily_unavailable(tenant_a: Tenant) -> None:
    token = f"/{tenant_a.domain_name}/oauth2/v2.0/token"
    grant = {"grant_type": "authorization_code", "code": "x", "client_id": "y"}
    with mock.patch("tenants.routing.tenant_for_path_segment", side_effect=LOST):
        unrouted = client().post(token, grant)
    with mock.patch("apps.oidc.views.TokenView.post", side_effect=LOST):
        routed = client().post(token, grant)
    for answer in (unrouted, routed):
        assert_retry(answer)
        assert answer["Content-Type"] == "application/json"
        assert answer.json()["error"] == "temporarily_unavailable"


def test_the_management_api_answers_a_problem(tenant_a: Tenant, global_admin: User) -> None:
    with mock.patch("tenants.routing.tenant_for_path_segment", side_effect=LOST):
        unrouted = client().get(f"/{tenant_a.domain_name}/api/v1/users")
    operator = operator_client(global_admin.email)
    operator.raise_request_exception = False
    with mock.patch("management.users.UsersView.get", side_effect=LOST):
        in_view = operator.get(f"/admin-center/tenants/{tenant_a.tenant_id}/api/v1/users")
    for answer in (unrouted, in_view):
        assert_retry(answer)
        assert answer["Content-Type"] == "application/problem+json"
        assert answer.json()["status"] == 503
