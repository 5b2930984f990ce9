"""Benchmark: the sign-in log (issue 13) at 10 million rows: the filtered page, a million-row
CSV download, and what writing the log costs a sign-in.

Four phases, each bounded, everything on loopback (`--phases seed,page,download,cost`):

1. **Seed** 10,000,000 `monitoring.models.SignInEvent` rows in a tenant of its own
   (`signin-log-bench`, made by `ciam_demo` as bench/signins.py's `prepare` makes its own), only
   when it does not hold them yet (a later run reuses them; `--reseed` starts again). The rows
   are made by PostgreSQL itself (INSERT … SELECT over generate_series, in batches of
   `--batch` rows, one transaction each) and spread as a tenant's month would be: times over
   the last 30 days in the order they were written (ids follow time, as an append-only log),
   `--customers` customers (skewed: a few sign in often, most rarely), 20 apps (skewed),
   400 addresses (IPv4 and IPv6), 90 % successes (interactive, single sign-on, code
   redemptions, refresh) and 10 % failures over every reason of monitoring/reasons.py with its
   error code, methods as the journey records them (pwd, otp, mfa, fed, hwk, swk), conditional
   access results and policies. The model's indexes are dropped before the load and built
   after it (faster than maintaining them row by row), then VACUUM ANALYZE. Prints how long it
   took and what the table and each index take on disk. The bench's tenant always gets the
   indexes `SignInEvent.Meta.indexes` declares (others on the table are dropped there), so an
   index change in monitoring/models.py is measured before its migration exists.
2. **Filtered page**: p50/p95/p99 per filter and overall, for no filter (the default 24 hours,
   and 30 days), a customer (object ID, and email), an app, status=failure, a reason (common,
   rare), an address, a method (common, rare), a kind, a custom time range, combinations, and
   deep pages (the `after` cursor followed 20 pages deep). Each filter's values are drawn from
   the seeded rows (a customer, an app, an address as often as they appear). Over real HTTP
   when the admin center's page answers (`/admin-center/tenants/<uuid>/sign-in-logs/?…`,
   served by granian as deployed, `ciam_portal.run.web_server_argv`, signed in through the
   admin center's sign-in form as a Reports Reader the bench makes; deep pages follow the
   page's own `after` link); in-process otherwise (`monitoring.selectors.sign_in_event_page`
   with `SignInFilter`, the page's one read), said in the output. In-process, each filter's
   query is also printed with EXPLAIN (ANALYZE, BUFFERS)'s plan head (`--explain`). Beside each
   filter's latencies, the CPU one load cost: the web server's process tree and its PostgreSQL
   backends (/proc), which other work on the machine does not inflate as it does latencies.
3. **Download**: `…/sign-in-logs/download/?format=csv&range=30d&status=failure` (a tenth of the
   month: about a million rows, `--download-filter` for another): bytes and rows received, time,
   the first row's delay, the CPU it cost the web node and PostgreSQL, and the web workers'
   peak RSS (VmHWM, /proc; reset before the download through /proc/<pid>/clear_refs where the
   kernel lets us) before and after. In-process until the page
   answers: `admin_center.downloads.download_response` over
   `monitoring.selectors.sign_in_event_stream`, consumed to the end, with this process's VmHWM
   (reset the same way) and tracemalloc's traced memory, sampled over the first 200,000 rows
   (tracemalloc slows every allocation) to show it does not grow with the rows.
4. **Cost of writing the log**: full sign-ins per CPU-second of the web node (bench/signins.py's
   `prepare`, `sign_in`, `run_load`, `measured`) on two servers started side by side, one with
   `CIAM_SIGN_IN_LOG=1`, one with `CIAM_SIGN_IN_LOG=0`, rounds alternating A B, B A, … in one
   run (as bench/mfa_signins.py), in the seeded tenant (the log's INSERT goes into the 10
   million rows and their indexes, as it would in production).

Database: DATABASE_URL, or the benchmarks' embedded PostgreSQL (bench/tokens.py). Disk: 6.6 GB
for 10 million rows with their indexes (printed); seeding takes about 3.5 minutes on 2 cores.

Usage: .venv/bin/python bench/sign_in_log.py [--phases seed,page,download,cost] [--rows 10000000]
       [--reseed] [--batch 500000] [--customers 50000] [--samples 40] [--explain]
       [--download-filter 'status=failure'] [--signins 150] [--warmup 20] [--rounds 4]
       [--concurrency 4] [--workers N]
Targets (issue 13): filtered page p95 < 100 ms; the 1,000,000-row CSV download in bounded
memory (the peak is printed); writing the log costs a sign-in at most 5 % CPU.
"""

import argparse
import contextlib
import hashlib
import html
import os
import random
import re
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urljoin, urlsplit

import requests
from signins import Served, form_of, measured, prepare, run_load, serving, sign_in
from tokens import Meter, database_url, percentile_ms, process_tree

TENANT = "signin-log-bench"
READER_EMAIL = "reports-reader@signin-log-bench.example"
READER_PASSWORD = "Bench-Reports-Reader-Passw0rd!"
SPAN = timedelta(days=30)
APPS = 20
ADDRESSES = 400  # 256 in 198.51.100.0/24, 94 in 203.0.113.0/24, 50 in 2001:db8::/32
PAGE_TARGET_MS = 100.0
COST_TARGET = 0.05  # the log may cost a sign-in at most 5 % more CPU
DEEP_PAGES = 20
DOWNLOAD_FILTER = "status=failure"
TRACED_ROWS = 200_000
APP_NAMES = [
    "Contoso shop", "Contoso blog", "Contoso mobile", "Loyalty", "Support portal",
    "Checkout", "Partner portal", "Careers", "Newsletter", "Travel desk", "Gift cards",
    "Community", "Events", "Rewards", "Billing", "Store locator", "Kiosk", "Smart TV",
    "Developer portal", "Status page",
]  # fmt: skip
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
]
BACK_ENDS = ["python-requests/2.32.3", "okhttp/4.12.0", "Go-http-client/2.0"]
LOCATIONS = [
    "Paris, Île-de-France, FR", "Lyon, Auvergne-Rhône-Alpes, FR", "Berlin, Berlin, DE",
    "Madrid, Madrid, ES", "Amsterdam, North Holland, NL", "London, England, GB",
    "Milan, Lombardy, IT", "Brussels, Brussels, BE",
]  # fmt: skip
MFA_POLICY = [{"name": "MFA for the shop", "grant": "mfa", "report_only": False}]
BLOCK_POLICY = [{"name": "Block outside the EU", "grant": "block", "report_only": False}]


@dataclass(frozen=True)
class Profile:
    """A kind of row and how many in 10,000 are of it."""

    weight: int
    kind: str
    reason: str
    methods: tuple[str, ...] = ()
    mfa_detail: str = ""
    identity_provider: str = ""
    conditional_access: str = "not_applied"
    policies: tuple[dict[str, object], ...] = ()
    risk_level: str = ""
    customer: str = "known"  # known, unknown (an email no account has), none
    browser: bool = True  # else the app's back end (the token endpoint)


# 90 % successes, 10 % failures over every reason of monitoring/reasons.py.
PROFILES = [
    Profile(2000, "interactive", "success", ("pwd",), risk_level="none"),
    Profile(
        500, "interactive", "success", ("pwd", "otp", "mfa"), "Authenticator app",
        conditional_access="success", policies=tuple(MFA_POLICY), risk_level="none",
    ),
    Profile(400, "interactive", "success", ("otp",), risk_level="none"),
    Profile(200, "interactive", "success", ("pwd", "otp", "mfa"), "Email code", risk_level="low"),
    Profile(300, "interactive", "success", ("fed",), identity_provider="Google", risk_level="none"),
    Profile(100, "interactive", "success", ("swk",), "Passkey", risk_level="none"),
    Profile(50, "interactive", "success", ("hwk",), "Security key", risk_level="none"),
    Profile(900, "single_sign_on", "success", ("pwd",)),
    Profile(3000, "code_redemption", "success", browser=False),
    Profile(1550, "refresh", "success", browser=False),
    Profile(380, "interactive", "wrong_password", ("pwd",), risk_level="low"),
    Profile(100, "interactive", "no_account", ("pwd",), customer="unknown", risk_level="low"),
    Profile(50, "interactive", "locked", ("pwd",), risk_level="medium"),
    Profile(20, "interactive", "blocked_account", ("pwd",), risk_level="none"),
    Profile(30, "interactive", "source_throttled", ("pwd",), risk_level="high"),
    Profile(80, "interactive", "code_failed", ("otp",), risk_level="low"),
    Profile(60, "interactive", "mfa_failed", ("pwd",), "Authenticator app", risk_level="low"),
    Profile(
        40, "interactive", "policy_blocked", ("pwd",), conditional_access="failure",
        policies=tuple(BLOCK_POLICY), risk_level="none",
    ),
    Profile(
        20, "interactive", "mfa_unavailable", ("pwd",), conditional_access="failure",
        policies=tuple(MFA_POLICY), risk_level="none",
    ),
    Profile(30, "interactive", "provider_failed", ("fed",), identity_provider="Google"),
    Profile(60, "code_redemption", "code_invalid", browser=False),
    Profile(20, "code_redemption", "pkce_failed", browser=False),
    Profile(40, "code_redemption", "client_authentication_failed", customer="none", browser=False),
    Profile(70, "refresh", "refresh_token_invalid", browser=False),
]  # fmt: skip
SLOTS = 10_000

SEED_SQL = """
INSERT INTO monitoring_signinevent (
    occurred_at, correlation_id, kind, status, error_code, reason, customer_object_id,
    customer_email, client_id, app_name, ip_address, location, user_agent, methods, mfa_detail,
    identity_provider, conditional_access, policies, risk_level, details)
SELECT
    %(start)s + (r.n + r.jitter) * %(step)s,
    md5(r.n::text)::uuid::text,
    p.kind, p.status, p.error_code, p.reason,
    CASE WHEN p.customer = 'known' THEN md5('customer' || r.c)::uuid END,
    CASE p.customer WHEN 'known' THEN 'customer' || r.c || '@example.com'
        WHEN 'unknown' THEN 'someone' || r.c || '@example.net' ELSE '' END,
    md5('app' || r.a)::uuid::text,
    (%(apps)s::text[])[r.a + 1],
    CASE WHEN r.i < 256 THEN '198.51.100.0'::inet + r.i
        WHEN r.i < 350 THEN '203.0.113.0'::inet + (r.i - 256)
        ELSE '2001:db8::'::inet + (r.i - 350) END,
    (%(locations)s::text[])[1 + r.i %% 8],
    CASE WHEN p.browser THEN (%(browsers)s::text[])[1 + r.c %% 8]
        ELSE (%(back_ends)s::text[])[1 + r.a %% 3] END,
    p.methods, p.mfa_detail, p.identity_provider, p.conditional_access, p.policies,
    p.risk_level, '{}'::jsonb
FROM (
    SELECT n, random() AS jitter,
        floor(%(customers)s * random() ^ 2)::int AS c,
        floor(%(app_count)s * random() ^ 1.5)::int AS a,
        floor(%(addresses)s * random() ^ 2)::int AS i,
        (%(slots)s::int[])[1 + floor(random() * %(slot_count)s)::int] AS profile
    FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS n
    OFFSET 0
) AS r
JOIN bench_profile AS p ON p.id = r.profile
"""


def seed_profiles(cursor: Any) -> None:
    """The profiles, as a temporary table the seed joins."""
    import json

    from monitoring.reasons import OUTCOMES, Reason

    assert sum(p.weight for p in PROFILES) == SLOTS
    assert {p.reason for p in PROFILES} == {r.value for r in Reason}, "a reason left out"
    cursor.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS bench_profile (id int PRIMARY KEY, kind text,"
        " status text, error_code int, reason text, methods varchar(32)[], mfa_detail text,"
        " identity_provider text, conditional_access text, policies jsonb, risk_level text,"
        " customer text, browser bool)"
    )
    cursor.execute("TRUNCATE bench_profile")
    for number, p in enumerate(PROFILES):
        cursor.execute(
            "INSERT INTO bench_profile VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                number, p.kind, "success" if p.reason == "success" else "failure",
                OUTCOMES[Reason(p.reason)].code, p.reason, list(p.methods), p.mfa_detail,
                p.identity_provider, p.conditional_access, json.dumps(list(p.policies)),
                p.risk_level, p.customer, p.browser,
            ],
        )  # fmt: skip


def table_sizes(cursor: Any) -> list[tuple[str, int]]:
    """The table (with its TOAST) and each of its indexes, in bytes."""
    cursor.execute(
        "SELECT 'table', pg_table_size('monitoring_signinevent') UNION ALL"
        " SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index"
        " WHERE indrelid = 'monitoring_signinevent'::regclass"
    )
    return [(str(name).rpartition(".")[2], int(size)) for name, size in cursor.fetchall()]


def gigabytes(size: int) -> str:
    return f"{size / 1024**3:.2f} GB" if size >= 1024**3 else f"{size / 1024**2:.0f} MB"


def declared_indexes_sync(*, drop_all: bool = False) -> list[str]:
    """Make the table's indexes those `SignInEvent.Meta.indexes` declares (the primary key
    aside): drop the others (all, with `drop_all`, before a bulk load), build the missing ones.
    What was done, as lines."""
    from django.db import connection

    from monitoring.models import SignInEvent

    done: list[str] = []
    declared = {index.name: index for index in SignInEvent._meta.indexes}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = 'monitoring_signinevent'::regclass AND NOT i.indisprimary"
        )
        present = {name for (name,) in cursor.fetchall()}
        for name in sorted(present):
            if drop_all or name not in declared:
                cursor.execute(f'DROP INDEX "{name}"')
                done.append(f"dropped index {name}")
        if drop_all:
            return done
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        for name, index in declared.items():
            if name in present:
                continue
            start = time.perf_counter()
            with connection.schema_editor() as editor:
                editor.add_index(SignInEvent, index)
            done.append(f"built index {name} in {time.perf_counter() - start:.0f} s")
        if any(line.startswith("built") for line in done):
            cursor.execute("ANALYZE monitoring_signinevent")  # an expression index's statistics
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("RESET max_parallel_maintenance_workers")
    return done


def seed(rows: int, batch: int, customers: int, reseed: bool) -> None:
    """Phase 1: the rows, unless they are there already; then the declared indexes."""
    from django.db import connection

    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    tenant = Tenant.objects.get(domain_name=TENANT)
    with in_tenant(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(occurred_at) FROM monitoring_signinevent")
        present, newest = cursor.fetchone()
        if present >= rows and not reseed:
            age = datetime.now(UTC) - newest
            print(
                f"seed: {present:,} rows already there (newest {age.days} days "
                f"{age.seconds // 3600} h old): reused"
            )
            if age > timedelta(days=3):
                print("  (time filters see fewer rows than fresh ones would: --reseed)")
            for line in declared_indexes_sync():
                print(f"  {line}")
        else:
            print(f"seed: {present:,} rows there, {rows:,} wanted: seeding anew", flush=True)
            begin = time.perf_counter()
            cursor.execute("TRUNCATE monitoring_signinevent RESTART IDENTITY")
            for line in declared_indexes_sync(drop_all=True):
                print(f"  {line}")
            cursor.execute("SET synchronous_commit = off")
            seed_profiles(cursor)
            slots = [n for n, p in enumerate(PROFILES) for _ in range(p.weight)]
            now = datetime.now(UTC)
            params = {
                "start": now - SPAN,
                "step": SPAN / rows,
                "apps": APP_NAMES,
                "locations": LOCATIONS,
                "browsers": BROWSERS,
                "back_ends": BACK_ENDS,
                "customers": customers,
                "app_count": APPS,
                "addresses": ADDRESSES,
                "slots": slots,
                "slot_count": SLOTS,
            }
            for low in range(0, rows, batch):
                high = min(rows, low + batch) - 1
                cursor.execute(SEED_SQL, {**params, "low": low, "high": high})
                elapsed = time.perf_counter() - begin
                print(
                    f"  {high + 1:>11,} rows, {elapsed:5.0f} s "
                    f"({(high + 1) / elapsed:,.0f} rows/s)",
                    flush=True,
                )
            loaded = time.perf_counter() - begin
            for line in declared_indexes_sync():
                print(f"  {line}", flush=True)
            indexed = time.perf_counter() - begin
            cursor.execute("VACUUM (ANALYZE) monitoring_signinevent")
            total = time.perf_counter() - begin
            print(
                f"seed: {rows:,} rows in {total / 60:.1f} min (rows {loaded:.0f} s, indexes "
                f"{indexed - loaded:.0f} s, VACUUM ANALYZE {total - indexed:.0f} s)"
            )
        sizes = table_sizes(cursor)
        print(
            "disk: "
            + ", ".join(f"{name} {gigabytes(size)}" for name, size in sizes)
            + f"; in all {gigabytes(sum(size for _, size in sizes))}",
            flush=True,
        )


def bench_client_id(number: int) -> str:
    """The client ID the seed gives app `number` (SEED_SQL: md5('app' || a)::uuid)."""
    return str(uuid.UUID(hashlib.md5(f"app{number}".encode()).hexdigest()))  # noqa: S324


def bench_setup() -> str:
    """The bench's Reports Reader (of the bench's tenant, nothing else) and the seeded apps as
    app registrations of the tenant (the page offers and accepts only those): the tenant's ID."""
    from accounts.models import User
    from accounts.services import operator_create
    from apps.models import AppRegistration, Platform
    from apps.services import app_register
    from tenants.models import AdminRole, RoleAssignment, Tenant
    from tenants.schemas import in_tenant

    tenant = Tenant.objects.get(domain_name=TENANT)
    reader = User.objects.filter(email=READER_EMAIL).first()
    if reader is None:
        reader = operator_create(email=READER_EMAIL, password=READER_PASSWORD)
    RoleAssignment.objects.get_or_create(
        tenant=tenant, operator=reader, role=AdminRole.REPORTS_READER
    )
    with in_tenant(tenant):
        for number, name in enumerate(APP_NAMES):
            client_id = bench_client_id(number)
            if not AppRegistration.objects.filter(client_id=client_id).exists():
                app = app_register(
                    name=name, platform=Platform.WEB, redirect_uris=["https://app.example/cb"]
                )
                AppRegistration.objects.filter(pk=app.pk).update(client_id=client_id)
    return str(tenant.tenant_id)


# --- phase 2: the filtered page ----------------------------------------------------------------


@dataclass
class Values:
    """Values drawn from the seeded rows, as often as they occur there."""

    customers: list[str]
    emails: list[str]
    apps: list[str]
    addresses: list[str]
    newest: datetime

    def pick(self, rng: random.Random, field: str) -> str:
        return rng.choice(getattr(self, field))


def values_drawn(count: int = 3000) -> Values:
    from django.db import connection

    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    with in_tenant(Tenant.objects.get(domain_name=TENANT)), connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id), max(occurred_at) FROM monitoring_signinevent")
        low, high, newest = cursor.fetchone()
        rng = random.Random(13)
        ids = [rng.randint(low, high) for _ in range(count)]
        cursor.execute(
            "SELECT customer_object_id::text, customer_email, client_id, host(ip_address)"
            " FROM monitoring_signinevent WHERE id = ANY(%s)",
            [ids],
        )
        rows = cursor.fetchall()
    return Values(
        customers=[r[0] for r in rows if r[0]],
        emails=[r[1] for r in rows if r[1]],
        apps=[r[2] for r in rows if r[2]],
        addresses=[r[3] for r in rows if r[3]],
        newest=newest,
    )


Params = dict[str, str]


def day_of(values: Values, rng: random.Random) -> str:
    return (values.newest - timedelta(days=rng.randint(2, 27))).strftime("%Y-%m-%d")


def hours_of(values: Values, rng: random.Random) -> Params:
    start = values.newest - timedelta(days=rng.randint(2, 27), hours=rng.randint(0, 23))
    return {
        "range": "custom",
        "since": start.strftime("%Y-%m-%dT%H:00"),
        "until": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:00"),
    }


RARE_REASONS = ("pkce_failed", "mfa_unavailable", "blocked_account", "provider_failed")

# Each filter: its name and what it asks for (drawn afresh for each load), as the page's GET
# parameters (docs: /work/brief/params.md).
SCENARIOS: list[tuple[str, Callable[[Values, random.Random], Params]]] = [
    ("none (last 24 h, the default)", lambda v, r: {}),
    ("none (30 days)", lambda v, r: {"range": "30d"}),
    ("customer by object ID", lambda v, r: {"range": "30d", "customer": v.pick(r, "customers")}),
    ("customer by email", lambda v, r: {"range": "30d", "customer": v.pick(r, "emails")}),
    ("app", lambda v, r: {"range": "30d", "app": v.pick(r, "apps")}),
    ("status=failure", lambda v, r: {"range": "30d", "status": "failure"}),
    ("reason (common)", lambda v, r: {"range": "30d", "reason": "wrong_password"}),
    ("reason (rare)", lambda v, r: {"range": "7d", "reason": r.choice(RARE_REASONS)}),
    ("IP address", lambda v, r: {"range": "7d", "ip": v.pick(r, "addresses")}),
    ("method (common: otp)", lambda v, r: {"range": "30d", "method": "otp"}),
    ("method (rare: hwk)", lambda v, r: {"range": "7d", "method": "hwk"}),
    ("kind=refresh", lambda v, r: {"range": "30d", "kind": "refresh"}),
    ("time range (a day)", lambda v, r: {"range": "custom", "since": (d := day_of(v, r)),
                                         "until": d}),
    ("time range (2 hours)", hours_of),
    (
        "app + failure (7 days)",
        lambda v, r: {"range": "7d", "app": v.pick(r, "apps"), "status": "failure"},
    ),
    (
        "customer + failure",
        lambda v, r: {"range": "30d", "customer": v.pick(r, "customers"), "status": "failure"},
    ),
    (
        "customer email + app",
        lambda v, r: {"range": "30d", "customer": v.pick(r, "emails"), "app": v.pick(r, "apps")},
    ),
    (
        "IP + failure",
        lambda v, r: {"range": "30d", "ip": v.pick(r, "addresses"), "status": "failure"},
    ),
    (
        "app + rare reason",
        lambda v, r: {"range": "30d", "app": v.pick(r, "apps"), "reason": r.choice(RARE_REASONS)},
    ),
    (
        "app + method + success",
        lambda v, r: {"range": "7d", "app": v.pick(r, "apps"), "method": "otp",
                      "status": "success"},
    ),
    (
        "day + failure + kind",
        lambda v, r: {**hours_of(v, r), "status": "failure", "kind": "interactive"},
    ),
    ("rare method + failure", lambda v, r: {"range": "7d", "method": "hwk", "status": "failure"}),
]  # fmt: skip
# Followed DEEP_PAGES deep through the page's `after` cursor.
DEEP: list[tuple[str, Callable[[Values, random.Random], Params]]] = [
    ("deep pages: none (30 days)", lambda v, r: {"range": "30d"}),
    ("deep pages: status=failure", lambda v, r: {"range": "30d", "status": "failure"}),
    ("deep pages: app", lambda v, r: {"range": "30d", "app": v.pick(r, "apps")}),
    ("deep pages: IP address", lambda v, r: {"range": "30d", "ip": v.pick(r, "addresses")}),
]


def when_of(text: str, *, day_end: bool) -> datetime:
    """A `since`/`until` parameter as the page reads it (a day's `until` includes the day)."""
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        with contextlib.suppress(ValueError):
            found = datetime.strptime(text, pattern).replace(tzinfo=UTC)
            return found + timedelta(days=1) if day_end and pattern == "%Y-%m-%d" else found
    raise ValueError(text)


def filter_of(params: Params) -> Any:
    """The `SignInFilter` the page makes of its parameters (in-process mode)."""
    from monitoring.selectors import SignInFilter

    chosen = params.get("range", "24h")
    since = until = None
    if chosen == "custom":
        since = when_of(params["since"], day_end=False) if params.get("since") else None
        until = when_of(params["until"], day_end=True) if params.get("until") else None
    else:
        since = datetime.now(UTC) - {"24h": timedelta(1), "7d": timedelta(7)}.get(chosen, SPAN)
    return SignInFilter(
        since=since,
        until=until,
        customer=params.get("customer", ""),
        client_id=params.get("app", ""),
        status=params.get("status", ""),
        reason=params.get("reason", ""),
        ip_address=params.get("ip", ""),
        method=params.get("method", ""),
        kind=params.get("kind", ""),
    )


class Reader:
    """Loads pages of the log: `load(params, after)` returns (rows, the next `after` or None)."""

    mode = ""

    def load(self, params: Params, after: str | None) -> tuple[int, str | None]:
        raise NotImplementedError


class InProcess(Reader):
    """The page's read, `sign_in_event_page`, in this process (the page not on this branch)."""

    mode = "in-process (monitoring.selectors.sign_in_event_page)"

    def __init__(self) -> None:
        from tenants.models import Tenant

        self.tenant = Tenant.objects.get(domain_name=TENANT)

    def load(self, params: Params, after: str | None) -> tuple[int, str | None]:
        from monitoring.selectors import sign_in_event_page
        from tenants.keyset import cursor_read
        from tenants.schemas import in_tenant

        with in_tenant(self.tenant):
            page = sign_in_event_page(filter_of(params), after=cursor_read(after))
        return len(page.rows), page.next.token() if page.next is not None else None

    def explain(self, params: Params, after: str | None) -> list[str]:
        """The plan of the page's query, run (EXPLAIN ANALYZE, BUFFERS)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from tenants.schemas import in_tenant

        with CaptureQueriesContext(connection) as captured:
            self.load(params, after)
        sql = next(q["sql"] for q in captured.captured_queries if "signinevent" in q["sql"])
        with in_tenant(self.tenant), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
            return [line for (line,) in cursor.fetchall()]


_HREF = re.compile(r'href="([^"]*)"')


class OverHttp(Reader):
    """The admin center's page, over HTTP, signed in as the bench's Reports Reader."""

    def __init__(self, base: str, tenant_id: str) -> None:
        self.base = base
        self.url = f"{base}/admin-center/tenants/{tenant_id}/sign-in-logs/"
        self.mode = f"over HTTP: GET {self.url.removeprefix(base)}?…"
        self.session = requests.Session()
        page = self.session.get(f"{base}/admin-center/sign-in/", timeout=30)
        action, form = form_of(page, "password")
        form.update({"username": READER_EMAIL, "password": READER_PASSWORD})
        signed_in = self.session.post(action, data=form, allow_redirects=False, timeout=30)
        assert signed_in.status_code == 302, (signed_in.status_code, signed_in.text[:300])

    def answers(self) -> int:
        return self.session.get(self.url, timeout=60).status_code

    def load(self, params: Params, after: str | None) -> tuple[int, str | None]:
        query = {**params, **({"after": after} if after else {})}
        page = self.session.get(self.url, params=query, timeout=60)
        assert page.status_code == 200, (page.status_code, page.url)
        older = None
        for href in _HREF.findall(page.text):
            link = html.unescape(href)
            if "after=" in link and "entry=" not in link and "format=" not in link:
                older = parse_qs(urlsplit(urljoin(page.url, link)).query)["after"][0]
        return page.text.count("#sign-in-detail"), older


class CpuMeter:
    """CPU seconds of what serves the page: the web server's process tree and its PostgreSQL
    backends (/proc, bench/tokens.py's Meter) over HTTP; this process in-process."""

    def __init__(self, served: Served | None) -> None:
        self.served = served
        self.web = self.pg = 0.0
        self._meter: Meter | None = None
        self._start = 0.0

    def __enter__(self) -> "CpuMeter":
        if self.served is not None:
            self._meter = Meter(self.served.server.pid, self.served.pg)
            self._meter.start()
        else:
            self._start = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._meter is not None:
            self._meter.stop()
            self.web, self.pg = self._meter.web_cpu, self._meter.pg_cpu or 0.0
        else:
            self.web = time.process_time() - self._start


def page_phase(
    reader: Reader, values: Values, samples: int, explain: bool, served: Served | None
) -> bool:
    """Phase 2: `samples` loads of each filter (and deep pages), their latencies and CPU."""
    rng = random.Random(2013)
    print(f"\nfiltered page, {reader.mode}; {samples} loads per filter, each its own values")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for _name, params_of in [*SCENARIOS[:2], *SCENARIOS[:2]]:
        reader.load(params_of(values, rng), None)  # warm-up: connections, caches
    every: list[float] = []
    cpu_of = "web, PG" if served is not None else "here"
    print(
        f"{'filter':32s} {'rows':>5s} {'p50 ms':>7s} {'p95 ms':>7s} {'p99 ms':>7s}  "
        f"CPU ms per load ({cpu_of})"
    )

    def line(name: str, rows: int, latencies: list[float], cpu: CpuMeter) -> None:
        loads = len(latencies)
        pg = f", {cpu.pg / loads * 1000:.1f}" if served is not None else ""
        print(
            f"{name:32s} {rows:5d} {latency_line(latencies)}  {cpu.web / loads * 1000:.1f}{pg}",
            flush=True,
        )

    for name, params_of in SCENARIOS:
        latencies: list[float] = []
        rows = 0
        with CpuMeter(served) as cpu:
            for _ in range(samples):
                params = params_of(values, rng)
                begin = time.perf_counter()
                rows, _next = reader.load(params, None)
                latencies.append(time.perf_counter() - begin)
        every += latencies
        line(name, rows, latencies, cpu)
        if explain and isinstance(reader, InProcess):
            for plan in reader.explain(params_of(values, rng), None)[:12]:
                print(f"    {plan}")
    deep_samples = max(2, samples // DEEP_PAGES)
    for name, params_of in DEEP:
        latencies = []
        with CpuMeter(served) as cpu:
            for _ in range(deep_samples):
                params = params_of(values, rng)
                after: str | None = None
                for _page in range(DEEP_PAGES):
                    begin = time.perf_counter()
                    rows, after = reader.load(params, after)
                    latencies.append(time.perf_counter() - begin)
                    if after is None:
                        break
        every += latencies
        line(name, rows, latencies, cpu)
        if explain and isinstance(reader, InProcess) and after is not None:
            for plan in reader.explain(params, after)[:12]:
                print(f"    {plan}")
    p95 = percentile_ms(every, 95)
    print(f"{'overall':32s} {'':5s} {latency_line(every)}")
    verdict = "met" if p95 < PAGE_TARGET_MS else "NOT met"
    print(f"target: filtered page p95 < {PAGE_TARGET_MS:.0f} ms: {verdict} ({p95:.0f} ms)")
    return p95 < PAGE_TARGET_MS


def latency_line(latencies: list[float]) -> str:
    return " ".join(f"{percentile_ms(latencies, q):7.1f}" for q in (50, 95, 99))


# --- phase 3: the download ---------------------------------------------------------------------


def vm_hwm(pid: int | str = "self") -> int:
    """The process's peak RSS (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def vm_hwm_reset(pid: int | str = "self") -> bool:
    """Reset the process's VmHWM to its RSS now (proc(5): clear_refs, 5), where allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def megabytes(size: int) -> str:
    return f"{size / 1024**2:.0f} MB"


@dataclass
class Received:
    bytes: int = 0
    lines: int = 0
    first_row: float = 0.0  # seconds until the first row (after the header line)


def consume(
    chunks: Iterator[bytes], begin: float, on_rows: Callable[[int], None], every: int = 100_000
) -> Received:
    """Read the download to its end, counting bytes and lines; `on_rows` every `every` lines."""
    got = Received()
    reported = 0
    for chunk in chunks:
        got.bytes += len(chunk)
        got.lines += chunk.count(b"\n")
        if not got.first_row and got.lines > 1:
            got.first_row = time.perf_counter() - begin
        if got.lines - reported >= every:
            reported = got.lines
            on_rows(got.lines)
    return got


def download_in_process(download_filter: str) -> None:
    """Phase 3 in-process: the download's response, made and read to its end here."""
    from admin_center.downloads import download_response
    from monitoring.records import sign_in_event_fields
    from monitoring.selectors import sign_in_event_stream
    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    tenant = Tenant.objects.get(domain_name=TENANT)
    params = {"range": "30d", **dict(parse_qsl(download_filter))}
    found = filter_of(params)
    tenant_id = str(tenant.tenant_id)

    def fields(event: Any) -> dict[str, Any]:
        return {
            **sign_in_event_fields(event, tenant_id=tenant_id, domain=tenant.domain_name),
            "details": event.details,
        }

    def rows() -> Iterator[Any]:
        with in_tenant(tenant):
            yield from sign_in_event_stream(found)

    columns = list(fields(type("Blank", (), {"pk": 0, **BLANK_EVENT})()))
    print(f"\ndownload, in-process: CSV of {urlencode(params)} (admin_center.downloads)")
    before = vm_hwm()
    reset = vm_hwm_reset()
    rss_now = vm_hwm()
    # tracemalloc slows every allocation down: on for the first TRACED_ROWS rows only.
    tracemalloc.start()
    traced: list[str] = []
    untraced_from = (0, 0.0)

    def on_rows(lines: int) -> None:
        nonlocal untraced_from
        if tracemalloc.is_tracing():
            traced.append(f"{lines // 1000}k:{tracemalloc.get_traced_memory()[0] / 1024**2:.1f}")
            if lines >= TRACED_ROWS:
                traced.append(f"peak {tracemalloc.get_traced_memory()[1] / 1024**2:.1f}")
                tracemalloc.stop()
                untraced_from = (lines, time.perf_counter())

    begin = time.perf_counter()
    response = download_response(
        rows=rows(), columns=columns, fields=fields, file_format="csv", filename="sign-ins"
    )
    got = consume(iter(response.streaming_content), begin, on_rows, every=TRACED_ROWS // 4)
    end = time.perf_counter()
    tracemalloc.stop()
    after = vm_hwm()
    rate = (got.lines - untraced_from[0]) / (end - untraced_from[1]) if untraced_from[0] else 0
    print(
        f"  {got.lines - 1:,} rows, {got.bytes / 1024**2:,.0f} MB in {end - begin:.1f} s (first "
        f"row after {got.first_row:.2f} s; {rate:,.0f} rows/s once tracemalloc was off)"
    )
    print(f"  traced Python memory (MB) by rows read: {' '.join(traced)}")
    if reset:
        print(
            f"  this process's peak RSS (VmHWM): {megabytes(before)} before (since start), reset "
            f"to {megabytes(rss_now)}, {megabytes(after)} after the download: "
            f"+{megabytes(after - rss_now)}"
        )
    else:
        print(
            f"  this process's peak RSS (VmHWM): {megabytes(before)} before, "
            f"{megabytes(after)} after"
        )


BLANK_EVENT: dict[str, Any] = {
    "occurred_at": datetime.now(UTC), "correlation_id": "", "kind": "", "status": "",
    "error_code": 0, "reason": "", "customer_object_id": None, "customer_email": "",
    "client_id": "", "app_name": "", "ip_address": None, "location": "", "user_agent": "",
    "methods": [], "mfa_detail": "", "identity_provider": "", "conditional_access": "",
    "policies": [], "risk_level": "", "details": {},
}  # fmt: skip


def download_over_http(reader: OverHttp, served: Served, download_filter: str) -> None:
    """Phase 3 over HTTP: the download read to its end, the web workers' VmHWM around it."""
    params = {"format": "csv", "range": "30d", **dict(parse_qsl(download_filter))}
    url = reader.url + "download/?" + urlencode(params)
    print(f"\ndownload, over HTTP: GET {url.removeprefix(reader.base)}")
    server_pid = served.server.pid
    pids = sorted(process_tree(server_pid))
    before = {pid: vm_hwm(pid) for pid in pids}
    reset = all(vm_hwm_reset(pid) for pid in pids)
    at_reset = {pid: vm_hwm(pid) for pid in pids}
    begin = time.perf_counter()
    with CpuMeter(served) as cpu, reader.session.get(url, stream=True, timeout=900) as answer:
        assert answer.status_code == 200, (answer.status_code, answer.text[:300])
        got = consume(answer.iter_content(chunk_size=1 << 16), begin, lambda lines: None)
    elapsed = time.perf_counter() - begin
    after = {pid: vm_hwm(pid) for pid in pids}
    print(
        f"  {got.lines - 1:,} rows, {got.bytes / 1024**2:,.0f} MB in {elapsed:.1f} s "
        f"({(got.lines - 1) / elapsed:,.0f} rows/s; first row after {got.first_row:.2f} s; load "
        f"average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  CPU: web node {cpu.web:.1f} s ({(got.lines - 1) / cpu.web:,.0f} rows per CPU-second), "
        f"PostgreSQL {cpu.pg:.1f} s"
    )
    for pid in pids:
        role = "master" if pid == server_pid else "worker"
        reset_note = f", reset to {megabytes(at_reset[pid])}" if reset else ""
        print(
            f"  {role} {pid}: peak RSS (VmHWM) {megabytes(before[pid])} before{reset_note}, "
            f"{megabytes(after[pid])} after"
        )
    grown = max(after[pid] - at_reset[pid] for pid in pids)
    print(
        f"  peak RSS of the web node's largest worker grew by {megabytes(grown)} for the download"
    )


# --- phase 4: what writing the log costs a sign-in ---------------------------------------------


def cost_phase(db_url: str, web: dict[str, str], args: argparse.Namespace) -> None:
    """Phase 4: sign-ins per CPU-second with the log written and not, servers side by side."""
    from signins import Measured

    print(
        f"\nwriting the log: full sign-ins per CPU-second of the web node, CIAM_SIGN_IN_LOG=1 "
        f"and =0 (granian, {args.workers} workers each), {args.rounds} rounds alternating"
    )
    modes = ("log on", "log off")
    results: dict[str, list[Measured]] = {mode: [] for mode in modes}
    with contextlib.ExitStack() as servers:
        served = {}
        for mode, switch in zip(modes, ("1", "0"), strict=True):
            os.environ["CIAM_SIGN_IN_LOG"] = switch  # read by the server at its start
            served[mode] = servers.enter_context(
                serving(db_url, args.workers, f"bench-log-{switch}")
            )
        os.environ.pop("CIAM_SIGN_IN_LOG")
        ones = {
            mode: (lambda base=served[mode].base: sign_in(base, web, tenant=TENANT))
            for mode in modes
        }
        for mode in modes:
            warm = run_load(ones[mode], args.warmup, args.concurrency)
            if warm.errors:
                print(f"warm-up {mode} failed: {warm.errors}\n{served[mode].server.log_tail()}")
                return
        for round_number in range(1, args.rounds + 1):
            order = modes if round_number % 2 else modes[::-1]
            for mode in order:
                result = measured(served[mode], ones[mode], args.signins, args.concurrency)
                if result.load.errors:
                    print(f"round {round_number}, {mode}: failed: {result.load.errors}")
                    print(served[mode].server.log_tail())
                    return
                results[mode].append(result)
                print(
                    f"round {round_number}, {mode:7s}: {result.load.done / result.web_cpu:.1f} "
                    f"sign-ins per CPU-second ({result.web_cpu / result.load.done * 1000:.1f} ms "
                    f"CPU each; p50 {percentile_ms(result.load.latencies, 50):.0f} ms)",
                    flush=True,
                )
    rate = {mode: statistics.median(m.rate for m in results[mode]) for mode in modes}
    extra = rate["log off"] / rate["log on"] - 1
    print(
        f"median: log on {rate['log on']:.1f}, log off {rate['log off']:.1f} sign-ins per "
        f"CPU-second; writing the log costs {extra * 100:+.1f} % CPU per sign-in"
    )
    verdict = "met" if extra <= COST_TARGET else "NOT met"
    print(f"target: at most {COST_TARGET * 100:.0f} % more CPU: {verdict}")
    logged = sign_ins_logged()
    print(f"(sign-ins of the bench's customer in the log now: {logged:,}; 0: nothing records yet)")


def sign_ins_logged() -> int:
    from signins import EMAIL

    from monitoring.models import SignInEvent
    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    with in_tenant(Tenant.objects.get(domain_name=TENANT)):
        return SignInEvent.objects.filter(customer_email=EMAIL).count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phases", default="seed,page,download,cost")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--batch", type=int, default=500_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=40, help="page loads per filter")
    parser.add_argument("--explain", action="store_true", help="plans of the in-process reads")
    parser.add_argument("--download-filter", default=DOWNLOAD_FILTER)
    parser.add_argument("--signins", type=int, default=150, help="per mode and round")
    parser.add_argument("--warmup", type=int, default=20, help="per mode")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    phases = set(args.phases.split(","))

    db_url, db_description = database_url()
    os.environ["DATABASE_URL"] = db_url
    demo = prepare(TENANT)
    tenant_id = bench_setup()
    print(f"database: {db_description}; tenant {TENANT} ({tenant_id})", flush=True)
    if "seed" in phases:
        seed(args.rows, args.batch, args.customers, args.reseed)
    if phases & {"page", "download"}:
        values = values_drawn()
        with serving(db_url, args.workers, "bench-sign-in-log") as served:
            reader = OverHttp(served.base, tenant_id)
            status = reader.answers()
            if status != 200:
                print(
                    f"\nthe admin center's sign-in log page answers {status} at "
                    f"{reader.url.removeprefix(served.base)} (not on this branch yet): "
                    "measured in-process instead"
                )
                if "page" in phases:
                    page_phase(InProcess(), values, args.samples, args.explain, None)
                if "download" in phases:
                    download_in_process(args.download_filter)
            else:
                if "page" in phases:
                    page_phase(reader, values, args.samples, args.explain, served)
                if "download" in phases:
                    download_over_http(reader, served, args.download_filter)
    if "cost" in phases:
        web = demo["web"]
        assert isinstance(web, dict)
        cost_phase(db_url, web, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
