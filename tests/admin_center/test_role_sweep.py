"""Every admin-center route, opened by every role (and by an operator with none, and by nobody
signed in): the answer is the one the route's own view declares through its guard
(admin_center/access.py), never one from a second list kept here.

A view that loses its guard fails here twice: it declares nothing, and an operator without the
role gets past it. A tenant's page guarded only by signing in fails too: every route that names a
tenant must declare a capability.
"""

import pytest
from django.test import Client
from django.urls import resolve

from admin_center.access import guard_of
from tenants.models import AdminRole, Tenant
from tests.factories.accounts import MakeOperator, operator_client
from tests.factories.admin_center import RouteValues, admin_center_routes, route_url

SIGN_IN = "/admin-center/sign-in/"


def sent_to_sign_in(response: object) -> bool:
    location = getattr(response, "headers", {}).get("Location", "")
    return bool(getattr(response, "status_code", 0) == 302 and location.startswith(SIGN_IN))


@pytest.mark.parametrize(
    "role", [None, *AdminRole], ids=["no role", *(role.value for role in AdminRole)]
)
def test_each_role_gets_exactly_what_each_view_declares(
    admin_center_route_values: RouteValues, operator_factory: MakeOperator, role: AdminRole | None
) -> None:
    tenant = Tenant.objects.get(tenant_id=admin_center_route_values["tenant_id"])
    roles = frozenset({role}) if role else frozenset()
    operator = operator_factory(tenant=tenant, roles=roles)
    client = operator_client(operator.email)
    client.raise_request_exception = False
    allowed = forbidden = 0
    for route in admin_center_routes():
        url = route_url(route, admin_center_route_values)
        guard = guard_of(resolve(url).func)
        assert guard is not None, f"{route}: its view declares no guard"
        if "<uuid:tenant_id>" in route:
            assert guard.capability is not None, f"{route}: a tenant's page without a capability"
        if guard.allows(roles):
            # Only GET: what the role may do it must not do here. A POST-only view answers
            # 405 or sends to its page, after the guard let the request through.
            response = client.get(url)
            assert response.status_code != 403, (route, role)
            assert response.status_code < 500, (route, role, response.status_code)
            assert not sent_to_sign_in(response), (route, role)
            allowed += 1
        else:
            for method in (client.get, client.post):
                response = method(url)
                assert response.status_code == 403, (route, role, method.__name__)
            forbidden += 1
    assert allowed + forbidden == len(admin_center_routes()) >= 40
    if role == AdminRole.GLOBAL_ADMINISTRATOR:
        assert forbidden == 0
    if role is None:
        # Only the pages outside any tenant: the tenant list, creating one, the own account.
        assert allowed <= 6


def test_nobody_signed_in_is_sent_to_sign_in_from_every_route_but_signing_in(
    admin_center_route_values: RouteValues,
) -> None:
    client = Client(raise_request_exception=False)
    for route in admin_center_routes():
        url = route_url(route, admin_center_route_values)
        guard = guard_of(resolve(url).func)
        assert guard is not None, f"{route}: its view declares no guard"
        if not guard.signed_in:
            assert client.get(url).status_code in (200, 405), route
            continue
        for method in (client.get, client.post):
            assert sent_to_sign_in(method(url)), (route, method.__name__)
