"""Delegated access: an admin-center operator calls the management API with their session
under /admin-center/tenants/<id>/api/v1/, holding the management roles their admin roles
grant; CSRF guards writes; another tenant's operator, an unknown tenant and nobody signed in
reach nothing."""

import re
import uuid

import pytest
from django.test import Client

from accounts.models import User
from apps.management_api import MANAGEMENT_ROLE_VALUES
from management.operators import management_roles_of
from tenants.models import AdminRole, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, make_customer, operator_client
from tests.management.test_permission_matrix import operations

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _api(tenant: Tenant, path: str) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/api/v1/{path}"


def _csrf_token(client: Client, tenant: Tenant) -> str:
    """The session's CSRF token, as an admin-center page's form carries it."""
    page = client.get(f"/admin-center/tenants/{tenant.tenant_id}/customers/new/")
    assert page.status_code == 200
    found = _TOKEN.search(page.content.decode())
    assert found is not None
    return found.group(1)


def _strict(client: Client) -> Client:
    client.handler.enforce_csrf_checks = True  # type: ignore[attr-defined]
    return client


def test_a_user_administrator_lists_and_creates_customers(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    operator = operator_factory(tenant=tenant_a, roles=[AdminRole.USER_ADMINISTRATOR])
    make_customer(tenant_a, "listed-by-operator@example.com")
    client = _strict(operator_client(operator.email))

    listed = client.get(_api(tenant_a, "users"), {"search": "listed-by-operator"})
    assert listed.status_code == 200, listed.content
    assert [user["mail"] for user in listed.json()["value"]] == ["listed-by-operator@example.com"]

    mail = f"made-by-operator-{uuid.uuid4().hex[:6]}@example.com"
    without_csrf = client.post(
        _api(tenant_a, "users"), {"mail": mail}, content_type="application/json"
    )
    assert without_csrf.status_code == 403
    assert without_csrf.headers["Content-Type"] == "application/problem+json"
    assert "CSRF" in without_csrf.json()["detail"]

    created = client.post(
        _api(tenant_a, "users"),
        {"mail": mail, "displayName": "Made by an operator"},
        content_type="application/json",
        headers={"X-CSRFToken": _csrf_token(client, tenant_a)},
    )
    assert created.status_code == 201, created.content
    assert created.json()["mail"] == mail
    assert created["Location"] == _api(tenant_a, f"users/{created.json()['id']}")
    with in_tenant(tenant_a):
        assert User.objects.filter(email=mail).exists()
    entry = AuditEntry.objects.get(tenant_uuid=tenant_a.tenant_id, target=mail)
    assert entry.action == "customer.created"
    assert entry.actor_id == operator.pk
    assert entry.actor_email == operator.email
    assert entry.details["via"] == "management_api"
    assert "calling_app" not in entry.details

    # Reading the customer back, and a route outside the role: refused as a problem.
    assert client.get(_api(tenant_a, f"users/{created.json()['id']}")).status_code == 200
    outside = client.get(_api(tenant_a, "auditLogs/signIns"))
    assert outside.status_code == 403
    assert outside.headers["Content-Type"] == "application/problem+json"
    assert client.get(_api(tenant_a, "no/such/thing")).status_code == 404


def test_each_operation_answers_the_roles_the_admin_role_grants(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    """Every route of the API, mounted, for an Application Administrator and a Reports
    Reader: reached exactly when the operation declares a role their admin role grants."""
    for admin_role in (AdminRole.APPLICATION_ADMINISTRATOR, AdminRole.REPORTS_READER):
        operator = operator_factory(tenant=tenant_a, roles=[admin_role])
        client = operator_client(operator.email)
        granted = management_roles_of(frozenset({admin_role}))
        for operation in operations():
            if operation.method != "get":
                continue
            answer = client.get(_api(tenant_a, operation.path))
            expected = bool(granted & operation.needs.for_method("GET"))
            assert (answer.status_code != 403) == expected, (admin_role, operation)
            assert answer.status_code < 500


def test_another_tenants_operator_and_unknown_tenants_reach_nothing(
    tenant_a: Tenant, tenant_b: Tenant, operator_factory: MakeOperator
) -> None:
    operator = operator_factory(tenant=tenant_b, roles=[AdminRole.GLOBAL_ADMINISTRATOR])
    client = operator_client(operator.email)
    assert client.get(_api(tenant_b, "users")).status_code == 200
    for tenant_id in (tenant_a.tenant_id, uuid.uuid4()):
        for operation in operations():
            url = f"/admin-center/tenants/{tenant_id}/api/v1/{operation.path}"
            answer = client.generic(operation.method.upper(), url, "{}", "application/json")
            assert answer.status_code == 403, (tenant_id, operation)
            assert answer.headers["Content-Type"] == "application/problem+json"


def test_nobody_signed_in_gets_401_and_app_tokens_count_only_at_the_tenants_path(
    tenant_a: Tenant,
) -> None:
    client = Client()
    answer = client.get(_api(tenant_a, "users"))
    assert answer.status_code == 401
    assert answer.headers["Content-Type"] == "application/problem+json"
    # A bearer token is no session: the mount is the operators' only.
    bearer = client.get(_api(tenant_a, "users"), headers={"Authorization": "Bearer x.y.z"})
    assert bearer.status_code == 401


def test_an_operator_with_a_temporary_password_reaches_nothing(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    operator = operator_factory(tenant=tenant_a, roles=[AdminRole.GLOBAL_ADMINISTRATOR])
    client = operator_client(operator.email)
    operator.must_change_password = True
    operator.save(update_fields=["must_change_password"])
    assert client.get(_api(tenant_a, "users")).status_code == 403


@pytest.mark.parametrize(
    ("admin_role", "reaches", "misses"),
    [
        (AdminRole.GLOBAL_ADMINISTRATOR, MANAGEMENT_ROLE_VALUES, frozenset()),
        (
            AdminRole.USER_ADMINISTRATOR,
            {"User.ReadWrite.All", "Group.ReadWrite.All"},
            {"Application.Read.All", "AuditLog.Read.All"},
        ),
        (
            AdminRole.APPLICATION_ADMINISTRATOR,
            {"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"},
            {"User.Read.All", "Policy.ReadWrite.ConditionalAccess"},
        ),
        (AdminRole.REPORTS_READER, {"AuditLog.Read.All"}, {"User.Read.All"}),
        (
            AdminRole.CONDITIONAL_ACCESS_ADMINISTRATOR,
            {"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"},
            {"Policy.ReadWrite.AuthenticationMethod"},
        ),
    ],
)
def test_the_table_of_granted_roles(
    admin_role: AdminRole, reaches: frozenset[str], misses: frozenset[str]
) -> None:
    granted = management_roles_of(frozenset({admin_role}))
    assert set(reaches) <= granted
    assert not set(misses) & granted
    assert granted <= MANAGEMENT_ROLE_VALUES
