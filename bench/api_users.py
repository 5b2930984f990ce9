"""Benchmark: the management API's `GET /users` with a million customers in one tenant.

Seeds (once; a second run reuses them) a tenant of its own by one `INSERT … SELECT
generate_series` per 100,000 customers in the tenant's schema (bench/customers.py's names,
emails and spread of creation times), then VACUUM ANALYZE; registers a daemon app holding
`User.Read.All` (consented), starts the product as deployed (granian,
`ciam_portal.run.web_server_argv`), gets an app-only token from the tenant's token endpoint,
and times, one request after another on a kept-alive connection, N requests of
each kind end to end (HTTP, token check, role check, the query, JSON):

- first pages: `GET /users` (100 customers, newest first);
- deep pages: following `nextLink` 50 times per walk, each page timed (walks of page sizes
  100, 97, 94… so each reads other rows);
- prefix searches: `GET /users?search=<1-4 characters of a real email or display name>`.

Runs against DATABASE_URL, or the embedded PostgreSQL (var/bench/data). Target: p95 < 100 ms.

Measured 2026-12-06 on the 2-core machine, quiet, PostgreSQL on the same machine, 1,000,000
customers, granian with 2 workers, 200 requests of each kind: first pages p50 9.3 / p95 11.5 /
p99 13.2 ms; deep pages p50 11.0 / p95 12.7 / p99 14.6 ms; prefix searches p50 14.0 / p95 16.5 /
p99 18.2 ms (max 25.8). Target met. Before the list loaded the profile's columns with the row, a
page took about a thousand queries; while the API's search kept the admin center's newest-first
order, its p95 was 127 ms and its worst 2.2 s (a common prefix's thousands of matches sorted by
time); ordered by the matched value, a page is two index range scans that stop at the page
(accounts.selectors.customer_prefix_page).
Usage: .venv/bin/python bench/api_users.py [--customers 1000000] [--requests 200]
       [--workers 2]
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import requests
from tokens import base_env, database_url, ensure_database, free_port, running, with_query

if TYPE_CHECKING:
    from tenants.models import Tenant

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_NAME = "bench-api-users"
DEEP_WALK = 50  # nextLinks followed per walk
TARGET_MS = 100.0
APP_NAME = "Bench management reader"
ROLE = "User.Read.All"


def percentiles(label: str, timings: list[float]) -> float:
    ordered = sorted(timings)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    print(
        f"{label}: p50 {statistics.median(ordered):.1f} ms, p95 {at(0.95):.1f} ms, "
        f"p99 {at(0.99):.1f} ms, max {ordered[-1]:.1f} ms (n={len(ordered)})",
        flush=True,
    )
    return at(0.95)


def api_bench_tenant() -> "Tenant":
    from tenants import services
    from tenants.models import Tenant

    tenant = Tenant.objects.filter(domain_name=DOMAIN_NAME).first()
    if tenant is None:
        tenant = services.tenant_create(
            display_name="Management API bench", domain_name=DOMAIN_NAME, country="US", creator=None
        )
    return tenant


def seed(tenant: "Tenant", target: int) -> None:
    """Customers up to `target`: bench/customers.py's seed (its names, emails and spread of
    creation times, one statement per batch), in this bench's tenant."""
    from customers import seed as customers_seed

    customers_seed(tenant, target)


def reader_credentials(tenant: "Tenant") -> tuple[str, str]:
    """A daemon app of the tenant consented to User.Read.All, with a fresh secret."""
    from apps import services as app_services
    from apps.management_api import MANAGEMENT_API_CLIENT_ID
    from apps.models import AppRegistration, AppRole, Platform
    from tenants.schemas import in_tenant

    with in_tenant(tenant):
        app = AppRegistration.objects.filter(name=APP_NAME).first()
        if app is None:
            app = app_services.app_register(name=APP_NAME, platform=Platform.DAEMON)
            role = AppRole.objects.get(app__client_id=MANAGEMENT_API_CLIENT_ID, value=ROLE)
            app_services.api_permission_add(client=app, app_role=role)
            app_services.admin_consent_grant(client=app)
        _secret, value = app_services.client_secret_add(
            app=app, description="bench", lifetime_days=90
        )
        return app.client_id, value


def timed(session: requests.Session, url: str, headers: dict[str, str]) -> tuple[float, dict]:
    started = time.perf_counter()
    response = session.get(url, headers=headers, timeout=30)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
    return elapsed, response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per kind")
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the workload")
    args = parser.parse_args()

    db_url, described = database_url()
    ensure_database(db_url)
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("CIAM_LOG_LEVEL", "WARNING")
    # bench/customers.py sets Django up on import, on the database just chosen.
    from customers import customer_count, sample_prefixes
    from django.core.management import call_command

    from tenants.schemas import in_tenant

    started = time.perf_counter()
    call_command("ciam_migrate", verbosity=0)
    tenant = api_bench_tenant()
    seed(tenant, args.customers)
    with in_tenant(tenant):
        total = customer_count()
        prefixes = sample_prefixes(args.requests, random.Random(args.seed))
    client_id, secret = reader_credentials(tenant)
    prepared = time.perf_counter() - started

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = base_env(
        DATABASE_URL=with_query(db_url, application_name="bench-api-users"),
        CIAM_BASE_URL=base,
        CIAM_LOG_LEVEL="WARNING",
    )
    from ciam_portal.run import web_server_argv

    argv = web_server_argv("127.0.0.1", port, args.workers)
    with running("bench-api-users", argv, env, ROOT) as server:
        server.wait_ready(f"{base}/healthz")
        tenant_url = f"{base}/{tenant.domain_name}"
        token = requests.post(
            f"{tenant_url}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "scope": "api://management/.default",
            },
            auth=(client_id, secret),
            timeout=30,
        )
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        users = f"{tenant_url}/api/v1/users"
        session = requests.Session()

        def run(count: int, call: Callable[[int], float]) -> list[float]:
            return [call(index) for index in range(count)]

        # Warm each worker's connection, caches and the token's key.
        for index in range(20):
            timed(session, f"{users}?search={prefixes[index % len(prefixes)]}", headers)

        first = run(args.requests, lambda _index: timed(session, users, headers)[0])

        deep: list[float] = []
        walk = 0
        while len(deep) < args.requests:
            limit = 100 - 3 * walk
            _elapsed, page = timed(session, f"{users}?limit={limit}", headers)
            for _ in range(min(DEEP_WALK, args.requests - len(deep))):
                elapsed, page = timed(session, page["nextLink"], headers)
                deep.append(elapsed)
            walk += 1

        search = run(
            args.requests,
            lambda index: timed(session, f"{users}?search={quote(prefixes[index])}", headers)[0],
        )

    print(
        f"customers in tenant: {total:,} ({described}); prepared (migrate, seed or reuse, app) "
        f"in {prepared:.0f} s; granian, {args.workers} workers; one request at a time"
    )
    p95s = [
        percentiles("GET /users, first page (100)", first),
        percentiles(f"GET /users, deep pages (walks of {DEEP_WALK} nextLinks)", deep),
        percentiles("GET /users?search=<1-4 chars>, first page", search),
    ]
    slowest = sorted(zip(search, prefixes, strict=False))[-5:]
    print("slowest searches: " + ", ".join(f"{query!r} {ms:.1f} ms" for ms, query in slowest))
    worst = max(p95s)
    print(f"target: p95 < {TARGET_MS:.0f} ms -> {'met' if worst < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
