"""A lockout set by one process holds in another: smart lockout's state is in the real Redis
every web process shares (REDIS_URL), never in a process's memory."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import RequestFactory

from protection.lockout import lockouts_of, password_attempt_begin, password_attempt_failed
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.conftest import in_ci
from tests.factories.live_server import ROOT, database_url

# Run in a fresh Python process: the same settings, Redis and database as this one.
_OTHER_PROCESS = """
import sys
import django

django.setup()
from django.test import RequestFactory
from protection.lockout import password_attempt_begin, password_attempt_failed
from tenants.models import Tenant
from tenants.schemas import in_tenant

domain, email, fail_times = sys.argv[1], sys.argv[2], int(sys.argv[3])
with in_tenant(Tenant.objects.get(domain_name=domain)):
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    for _ in range(fail_times):
        password_attempt_failed(attempt=password_attempt_begin(request=request, email=email))
    print("locked" if password_attempt_begin(request=request, email=email).locked else "open")
"""


@pytest.fixture(autouse=True)
def _real_redis() -> None:
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        return
    if in_ci():
        pytest.fail("REDIS_URL is not set, and CI must run this test.")
    pytest.skip("REDIS_URL is not set: the cross-process lockout test did NOT run.")


def in_another_process(tenant: Tenant, email: str, fail_times: int) -> str:
    """Fail `fail_times` passwords of `email` in a new OS process, then say whether the next
    attempt there is locked."""
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, tenant.domain_name, email, str(fail_times)],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ciam_portal.settings.test",
            "DATABASE_URL": database_url(),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def fail_here(email: str, times: int) -> bool:
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    for _ in range(times):
        password_attempt_failed(attempt=password_attempt_begin(request=request, email=email))
    return password_attempt_begin(request=request, email=email).locked


def test_a_lockout_set_here_holds_in_another_process_and_back(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        assert fail_here("here@example.com", 10)
    assert in_another_process(tenant_a, "here@example.com", 0) == "locked"
    assert in_another_process(tenant_a, "fresh@example.com", 0) == "open"

    # Failures counted in both processes add up: 6 there and 4 here lock.
    assert in_another_process(tenant_a, "there@example.com", 6) == "open"
    with in_tenant(tenant_a):
        assert fail_here("there@example.com", 4)
        [locked] = lockouts_of(email="there@example.com")
    assert locked.repeat == 1
