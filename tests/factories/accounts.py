"""Making operators and customers for tests."""

from collections.abc import Callable, Iterable

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import User
from accounts.services import operator_create
from tenants.models import AdminRole, RoleAssignment, Tenant
from tenants.schemas import in_tenant

PASSWORD = "Correct-Horse-42"

MakeOperator = Callable[..., User]
MakeCustomer = Callable[..., User]


def make_customer(tenant: Tenant, email: str, password: str = PASSWORD) -> User:
    """A customer with a verified email in the tenant's schema."""
    with in_tenant(tenant):
        user = User.objects.create_user(email=email, password=password)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def operator_factory(db: None) -> MakeOperator:
    counter = iter(range(1, 10_000))

    def make(
        email: str | None = None,
        *,
        tenant: Tenant | None = None,
        roles: Iterable[AdminRole] = (),
        password: str = PASSWORD,
    ) -> User:
        operator = operator_create(
            email=email or f"operator{next(counter)}@admins.example", password=password
        )
        for role in roles:
            assert tenant is not None
            RoleAssignment.objects.create(tenant=tenant, operator=operator, role=role)
        return operator

    return make


@pytest.fixture
def customer_factory(db: None) -> MakeCustomer:
    return make_customer


@pytest.fixture
def global_admin(operator_factory: MakeOperator, tenant_a: Tenant) -> User:
    return operator_factory(
        "global@admins.example", tenant=tenant_a, roles=[AdminRole.GLOBAL_ADMINISTRATOR]
    )


def operator_client(email: str, password: str = PASSWORD) -> Client:
    """A client signed in to the admin center through its real sign-in form.

    Django's force_login would set the generic session cookie, which the per-tenant session
    middleware rightly ignores.
    """
    client = Client()
    response = client.post("/admin-center/sign-in/", {"username": email, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def admin_client(global_admin: User) -> Client:
    return operator_client(global_admin.email)
