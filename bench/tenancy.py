"""Benchmark: median time to create a tenant, and the per-request cost of tenant routing.

Runs against the configured database (DATABASE_URL, or the embedded PostgreSQL), creating and
then purging its own tenants. Usage: .venv/bin/python bench/tenancy.py [--tenants N] [--runs N]
Targets: tenant creation under 1 s median; routing under 1 ms per request.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from tenants import services  # noqa: E402
from tenants.models import Tenant  # noqa: E402


def bench_tenant_creation(count: int) -> list[float]:
    timings = []
    created: list[Tenant] = []
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    try:
        for index in range(count):
            start = time.perf_counter()
            tenant = services.tenant_create(
                display_name=f"Bench {index}",
                domain_name=f"{prefix}-{index}",
                country="US",
                creator=None,
            )
            timings.append(time.perf_counter() - start)
            created.append(tenant)
    finally:
        for tenant in created:
            services.tenant_delete(tenant=tenant, actor=None)
            services.tenant_purge(tenant=Tenant.objects.get(pk=tenant.pk))
    return timings


def per_request_ms(client: Client, path: str, requests: int) -> float:
    for _ in range(50):
        client.get(path)
    start = time.perf_counter()
    for _ in range(requests):
        response = client.get(path)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (path, response.status_code)
    return elapsed / requests * 1000


def bench_routing(probe: Tenant, label: str, runs: int, requests: int) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    public, tenant = [], []
    for _ in range(runs):
        public.append(per_request_ms(client, "/healthz", requests))
        tenant.append(per_request_ms(client, f"/{probe.domain_name}/healthz", requests))
    cost = statistics.median(t - p for t, p in zip(tenant, public, strict=True))
    print(
        f"[{label}] public page: median {statistics.median(public):.3f} ms/request; "
        f"tenant page: median {statistics.median(tenant):.3f} ms/request "
        f"({runs} runs x {requests} requests)"
    )
    print(f"[{label}] tenant routing cost: {cost:.3f} ms per request, target < 1 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=7, help="tenants to create")
    parser.add_argument("--runs", type=int, default=5, help="routing runs")
    parser.add_argument("--requests", type=int, default=2000, help="requests per routing run")
    args = parser.parse_args()

    call_command("ciam_migrate", verbosity=0)
    creation = bench_tenant_creation(args.tenants)
    print(
        f"tenant creation: median {statistics.median(creation) * 1000:.0f} ms "
        f"(min {min(creation) * 1000:.0f}, max {max(creation) * 1000:.0f}, n={len(creation)}) "
        "target < 1000 ms"
    )

    probe = services.tenant_create(
        display_name="Routing probe",
        domain_name=f"route-{uuid.uuid4().hex[:6]}",
        country="US",
        creator=None,
    )
    try:
        for label, cache_seconds in (("cached lookup", 5), ("uncached lookup", 0)):
            with override_settings(CIAM_TENANT_CACHE_SECONDS=cache_seconds):
                bench_routing(probe, label, args.runs, args.requests)
    finally:
        services.tenant_delete(tenant=probe, actor=None)
        services.tenant_purge(tenant=Tenant.objects.get(pk=probe.pk))


if __name__ == "__main__":
    main()
