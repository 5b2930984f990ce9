"""Test set-up: one real PostgreSQL test database with the base schema and two tenants.

The tenants are created once per session (committed); each test runs in a transaction that is
rolled back, so tenants, operators and customers a test makes vanish after it.
"""

import os
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, connections

from tenants.models import Tenant

pytest_plugins = [
    "tests.factories.accounts",
    "tests.factories.live_server",
    "tests.factories.oidc",
    "tests.factories.flows",
    "tests.factories.social",
    "tests.factories.admin_center",
    "tests.factories.celery_worker",
    "tests.factories.federation",
    "tests.factories.extensions",
    "tests.factories.otp_service",
    "tests.factories.management",
    "tests.factories.two_nodes",
]

TENANT_A = "tenant-a"
TENANT_B = "tenant-b"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    from tenants.services import tenant_create

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        call_command("ciam_migrate", verbosity=0)
        for domain_name in (TENANT_A, TENANT_B):
            if not Tenant.objects.filter(domain_name=domain_name).exists():
                tenant_create(
                    display_name=domain_name.replace("-", " ").title(),
                    domain_name=domain_name,
                    country="NL",
                    creator=None,
                )


@pytest.fixture
def committed_db(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Database access outside the per-test transaction: what the test writes is committed.

    For tests whose other threads or processes (racing requests, a Celery worker, a browser's
    server) must see the data; such a test removes what it made.
    """
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        yield
    connections.close_all()


@pytest.fixture(autouse=True)
def _public_schema_after_test() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _fresh_cache(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    """Rate limits count per IP; every test starts with none spent. (Without REDIS_URL the
    cache is a table, which every test may clear.)"""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        cache.clear()


@pytest.fixture
def tenant_a(db: None) -> Tenant:
    return Tenant.objects.get(domain_name=TENANT_A)


@pytest.fixture
def tenant_b(db: None) -> Tenant:
    return Tenant.objects.get(domain_name=TENANT_B)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
