"""Each management role reaches exactly the endpoints that declare it; a customer's token and
another tenant's token reach none; revoking consent counts within seconds.

The routes come from the API's own URLconf and each view's `roles` declaration (the same one
the permission check and the OpenAPI document read), so an endpoint added tomorrow is swept
too, and one that declares no roles fails here.
"""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from django.urls import URLPattern, URLResolver

from apps import services as app_services
from apps.models import AppRegistration
from management import urls as management_urls
from management.base import ManagementView
from management.permissions import Needs
from tenants.schemas import in_tenant
from tests.factories.management import ALL_ROLES, NONE, ManagementWorld, customer_access_token

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_SAMPLE = {"uuid": str(uuid.UUID(int=1)), "int": "999999", "str": "no-such-thing", None: "x"}
_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    needs: Needs


def _patterns(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, object]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, route)
        else:
            yield route, pattern.callback


def operations() -> list[Operation]:
    found = []
    for route, callback in _patterns(management_urls.urlpatterns):
        view_class = getattr(callback, "view_class", None)
        if view_class is None or not issubclass(view_class, ManagementView):
            continue
        path = _CONVERTER.sub(lambda match: _SAMPLE.get(match.group(1), "x"), route)
        for method in _METHODS:
            if hasattr(view_class, method):
                found.append(Operation(path=path, method=method, needs=view_class.roles))
    return found


def _call(
    session: requests.Session, world: ManagementWorld, operation: Operation, token: str
) -> int:
    """The status the live server answers; writes send an empty JSON object, which no
    endpoint accepts as a change (400 once past the role check) or, for one that takes no
    body, is ignored."""
    body = {} if operation.method in ("post", "put", "patch") else None
    response = session.request(
        operation.method.upper(),
        world.url(operation.path),
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return response.status_code


def test_every_api_view_declares_its_roles() -> None:
    for route, callback in _patterns(management_urls.urlpatterns):
        view_class = getattr(callback, "view_class", None)
        if view_class is not None and issubclass(view_class, ManagementView):
            assert isinstance(getattr(view_class, "roles", None), Needs), route
    assert len(operations()) >= 8


def test_each_role_reaches_exactly_its_endpoints(management_world: ManagementWorld) -> None:
    session = requests.Session()
    wrong: list[str] = []
    for holder in [*sorted(ALL_ROLES), NONE]:
        token = management_world.token(holder)
        for operation in operations():
            status = _call(session, management_world, operation, token)
            reached = status not in (401, 403)
            expected = holder in operation.needs.for_method(operation.method.upper())
            assert status != 500, (holder, operation)
            if reached != expected:
                wrong.append(f"{holder} {operation.method.upper()} {operation.path}: {status}")
    assert wrong == []


def test_a_customer_token_and_another_tenant_token_reach_nothing(
    management_world: ManagementWorld, other_management_world: ManagementWorld
) -> None:
    session = requests.Session()
    customer = customer_access_token(management_world)
    foreign = other_management_world.token()  # every role, in the other tenant
    for operation in operations():
        assert _call(session, management_world, operation, customer) == 401, operation
        assert _call(session, management_world, operation, foreign) == 401, operation


@pytest.mark.parametrize("garbage", ["", "x", "a.b.c", "Bearer", "e30." * 3000])
def test_malformed_tokens_are_401(management_world: ManagementWorld, garbage: str) -> None:
    response = requests.get(
        management_world.url("users"), headers={"Authorization": f"Bearer {garbage}"}, timeout=10
    )
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"


def test_revoking_consent_counts_before_the_token_expires(
    management_world: ManagementWorld, django_db_blocker: pytest.FixtureRequest
) -> None:
    """The token still says `User.Read.All`; once an admin revokes the consent, the API reads
    the grant again (within CIAM_LOOKUP_SECONDS; 0 in tests) and refuses."""
    headers = management_world.headers("User.Read.All")
    assert requests.get(management_world.url("users"), headers=headers, timeout=10).ok
    client_id = management_world.credentials["User.Read.All"][0]
    with django_db_blocker.unblock(), in_tenant(management_world.tenant):  # type: ignore[attr-defined]
        app = AppRegistration.objects.get(client_id=client_id)
        app_services.admin_consent_revoke(client=app)
    try:
        refused = requests.get(management_world.url("users"), headers=headers, timeout=10)
        assert refused.status_code == 403
        assert refused.headers["Content-Type"] == "application/problem+json"
    finally:
        with django_db_blocker.unblock(), in_tenant(management_world.tenant):  # type: ignore[attr-defined]
            app_services.admin_consent_grant(client=app)
    assert requests.get(management_world.url("users"), headers=headers, timeout=10).ok
