"""Benchmark: a second tenant's sign-ins while a first tenant is attacked, against without.

One server as deployed (granian, `ciam_portal.run.web_server_argv`, 2 workers by default), the
product's cache (REDIS_URL when set, else its PostgreSQL table), clients' addresses given in
X-Forwarded-For behind one trusted proxy (CIAM_TRUSTED_PROXY_COUNT=1), as bench/signins.py
runs it. Everything on loopback, and bounded.

Two tenants: "attack-target" (attacked, with Entra's limits) and "attack-bystander"
(measured). In one run, `--rounds` times, once the server is idle:

1. quiet: `--signins` full sign-ins of the bystander (bench/signins.py's: the app's
   authorization request, the password, the code exchanged for tokens), `--concurrency` at a
   time, each from its own address;
2. attacked: the same, while an attacker (a process of its own, so that its client threads do
   not hold the bystander's interpreter lock) hits the target tenant until those sign-ins end:
   - a flood of its sign-in page and token endpoint from one address (192.0.2.66),
     `--flood-rate` requests a second (100: five times the limit): past 20 a second,
     answered 429 by the request limits;
   - a password spray, `--spray-rate` attempts a second (30): two passwords against each of
     many accounts, each attempt from another address of one /24 (a new /24 each round), so
     that no per-address limit of allauth's ever stops it: wrong passwords, each a full
     argon2id check (about 26 ms of CPU), until the network is throttled (10 accounts), then
     one a second ("throttled": 429s with nothing checked, right after the request guard)
     until it is marked spraying (50 accounts), then only 429s ("refused").

Printed: the bystander's latency (p50, p95, p99) in each phase and p95 attacked / quiet over
all rounds, the web node's CPU, and what the attack got (answers by status, a second). Every
client shares the machine's cores with the server: on a small machine the attack's own client
CPU, and the requests the limits let through (20 a second; the spray's checks before and while
it is throttled), are what the bystander still feels.

What it showed (2 cores shared with other work, so noisy: the before and after runs
interleaved, 3 and 2 runs of 2 rounds). Before the spray was throttled: 99 wrong passwords
checked per phase, the attacked phase's web node spending 0.27-0.64 (median 0.56) CPU-s more
per second of attack than the quiet one, p95 attacked / quiet x2.0-x3.6. With the throttle, the
429 page rendered once per process and no code read for a client that does not exist: 28-47
wrong passwords per phase (10, then one a second), 0.16-0.42 (median 0.24) CPU-s more per
second of attack, p95 x1.5-x2.5. In-process (bench/profile_refusals.py, interleaved): a
marked network's 429 went from 4.5 ms CPU, 7 cache round trips and 2 SQL statements to 1.1-1.7
ms, 2 and 0; the branded 429 page 0.8-0.95 to 0.46-0.56 ms; the flood's token 401 2.7-3.5 ms
and 2 statements to 1.1-1.5 ms and none. What the bystander still feels is mostly the flood's
sign-in pages and token 401s within the 20 a second, and the attacker's own client CPU.

Usage: .venv/bin/python bench/attack.py [--signins 100] [--rounds 2] [--concurrency 2]
       [--workers 2] [--flood-threads 2] [--flood-rate 100] [--spray-threads 2]
       [--spray-rate 30] [--max-attack-requests 50000]
"""

import argparse
import html
import itertools
import multiprocessing
import os
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from signins import prepare, run_load, sign_in  # bench/signins.py: one tenant's sign-ins
from tokens import (  # bench/tokens.py: the same process handling and /proc accounting
    Meter,
    PgBackends,
    Server,
    base_env,
    database_url,
    free_port,
    percentile_ms,
    pg_backends,
    running,
    wait_idle,
    with_query,
)

ROOT = Path(__file__).resolve().parent.parent
TARGET_TENANT = "attack-target"
BYSTANDER_TENANT = "attack-bystander"
FLOOD_ADDRESS = "192.0.2.66"
# One /24 per round (the spray's network stays marked for an hour once detected).
SPRAY_NETWORKS = ("203.0.113", "198.51.100", "100.64.7", "100.64.8", "100.64.9")
SPRAY_PASSWORDS = ("Winter2025!", "Summer2025!")
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _spray_answer(answer: requests.Response) -> str:
    """What a spray attempt was told."""
    if answer.status_code == 429:
        if "Retry-After" not in answer.headers:
            return "refused by allauth"
        return "throttled" if answer.headers["Retry-After"] == "1" else "refused (marked)"
    if "are not correct" in answer.text:
        return "wrong password"
    if "Too many failed" in answer.text:
        return "allauth's failed-login limit"
    return "other"


@dataclass(frozen=True)
class AttackPlan:
    base: str
    network: str
    flood_threads: int
    flood_rate: float
    spray_threads: int
    spray_rate: float
    budget: int


class Attack:
    """Attacker threads against the target tenant, each paced to its share of the rate, until
    told to stop or the request budget is spent."""

    def __init__(self, plan: AttackPlan) -> None:
        self.plan = plan
        self.base = f"{plan.base}/{TARGET_TENANT}"
        self.answers: Counter[str] = Counter()
        self.sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._spray_attempts = itertools.count()
        flood_gap = plan.flood_threads / plan.flood_rate if plan.flood_rate else 0.0
        spray_gap = plan.spray_threads / plan.spray_rate if plan.spray_rate else 0.0
        self._threads = [
            threading.Thread(target=self._flood, args=(flood_gap,), daemon=True)
            for _ in range(plan.flood_threads)
        ] + [
            threading.Thread(target=self._spray, args=(spray_gap,), daemon=True)
            for _ in range(plan.spray_threads)
        ]

    def _spend(self, kind: str, status: int) -> bool:
        """Count an answer; False once the budget is spent or the attack told to stop."""
        with self._lock:
            self.sent += 1
            self.answers[f"{kind} {status}"] += 1
            return self.sent < self.plan.budget and not self._stop.is_set()

    def _paced(self, gap: float) -> Iterator[int]:
        """0, 1, 2, ... one every `gap` seconds (as fast as answered when 0), until stopped."""
        due = time.monotonic()
        for n in itertools.count():
            if gap:
                due += gap
                if self._stop.wait(max(0.0, due - time.monotonic())):
                    return
            elif self._stop.is_set():
                return
            yield n

    def _flood(self, gap: float) -> None:
        with requests.Session() as session:
            session.headers["X-Forwarded-For"] = FLOOD_ADDRESS
            for n in self._paced(gap):
                if n % 2:
                    status = session.get(f"{self.base}/account/login/", timeout=30).status_code
                    kind = "flood page"
                else:
                    status = session.post(
                        f"{self.base}/oauth2/v2.0/token",
                        data={"grant_type": "authorization_code", "code": "x", "client_id": "x"},
                        timeout=30,
                    ).status_code
                    kind = "flood token"
                if not self._spend(kind, status):
                    return

    def _spray(self, gap: float) -> None:
        network = self.plan.network
        with requests.Session() as session:
            session.headers["X-Forwarded-For"] = f"{network}.1"
            page = session.get(f"{self.base}/account/login/", timeout=30)
            token = _CSRF.search(page.text)
            if token is None:
                self._spend("spray no-form", page.status_code)
                return
            csrf = html.unescape(token.group(1))
            for _n in self._paced(gap):
                attempt = next(self._spray_attempts)
                account, password = divmod(attempt, len(SPRAY_PASSWORDS))
                session.headers["X-Forwarded-For"] = f"{network}.{attempt % 250 + 1}"
                answer = session.post(
                    f"{self.base}/account/login/",
                    data={
                        "csrfmiddlewaretoken": csrf,
                        "login": f"customer{account % 500}@target.example",
                        "password": SPRAY_PASSWORDS[password],
                    },
                    allow_redirects=False,
                    timeout=30,
                )
                if not self._spend(f"spray {_spray_answer(answer)}", answer.status_code):
                    return

    def run(self, stop: Any) -> float:
        """Attack until `stop` (an event) is set; the seconds it lasted."""
        started = time.perf_counter()
        for thread in self._threads:
            thread.start()
        stop.wait()
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        return time.perf_counter() - started


def attack_process(plan: AttackPlan, started: Any, stop: Any, results: Any) -> None:
    """The attack, in a process of its own: its client threads do not hold the bystander's
    (this process's) interpreter lock."""
    attack = Attack(plan)
    started.set()
    seconds = attack.run(stop)
    results.put((dict(attack.answers), seconds))


def measure(
    name: str,
    base: str,
    web: dict[str, str],
    args: argparse.Namespace,
    server: Server,
    pg: PgBackends | None,
) -> tuple[list[float], float, float]:
    """The bystander's sign-ins: (latencies, web CPU seconds, wall seconds)."""
    meter = Meter(server.pid, pg)
    meter.start()
    load = run_load(
        lambda: sign_in(base, web, tenant=BYSTANDER_TENANT), args.signins, args.concurrency
    )
    done, errors, latencies, wall = load.done, load.errors, load.latencies, load.wall
    meter.stop()
    if errors:
        raise SystemExit(f"{name}: {len(errors)}+ failed sign-ins of the bystander: {errors}")
    p50, p95, p99 = (percentile_ms(latencies, q) for q in (50, 95, 99))
    print(
        f"  {name:<9} {done} sign-ins in {wall:5.1f} s: p50 {p50:5.0f} ms, p95 {p95:5.0f} ms, "
        f"p99 {p99:5.0f} ms; web node {meter.web_cpu:5.1f} CPU-s",
        flush=True,
    )
    return latencies, meter.web_cpu, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signins", type=int, default=100, help="bystander sign-ins per phase")
    parser.add_argument("--rounds", type=int, default=2, help="quiet + attacked phases")
    parser.add_argument("--concurrency", type=int, default=2, help="bystander browsers at a time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--flood-threads", type=int, default=2)
    parser.add_argument(
        "--flood-rate", type=float, default=100.0, help="flood requests a second (0: unpaced)"
    )
    parser.add_argument("--spray-threads", type=int, default=2)
    parser.add_argument(
        "--spray-rate", type=float, default=30.0, help="spray attempts a second (0: unpaced)"
    )
    parser.add_argument("--max-attack-requests", type=int, default=50_000, help="per phase")
    args = parser.parse_args()
    if not 1 <= args.rounds <= len(SPRAY_NETWORKS):
        parser.error(f"--rounds: 1 to {len(SPRAY_NETWORKS)}")

    db_url, db_description = database_url()
    os.environ["DATABASE_URL"] = db_url
    prepare(TARGET_TENANT)
    demo = prepare(BYSTANDER_TENANT)
    web = demo["web"]
    assert isinstance(web, dict)
    from django.conf import settings

    from ciam_portal.run import web_server_argv
    from protection.models import SignInProtection
    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    # The attacked tenant has Entra's limits (prepare raised the bystander's per address: its
    # app's back end exchanges every code from 127.0.0.1).
    with in_tenant(Tenant.objects.get(domain_name=TARGET_TENANT)):
        SignInProtection.objects.update_or_create(
            singleton=True,
            defaults={"requests_per_second_per_address": 20, "requests_per_second_per_tenant": 200},
        )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app_name = "bench-attack"
    env = base_env(
        DATABASE_URL=with_query(db_url, application_name=app_name),
        CIAM_BASE_URL=base,
        CIAM_LOG_LEVEL="ERROR",
        CIAM_TRUSTED_PROXY_COUNT="1",
    )
    argv = web_server_argv("127.0.0.1", port, args.workers)
    print(f"database: {db_description}; cache: {settings.CACHES['default']['BACKEND']}")
    print(
        f"web server: granian, {args.workers} workers; {os.cpu_count()} cores shared by the "
        f"server, the bystander's {args.concurrency} browsers and the attacker's "
        f"{args.flood_threads} flood threads ({args.flood_rate:.0f} a second) and "
        f"{args.spray_threads} spray threads ({args.spray_rate:.0f} a second), in a process of "
        "its own"
    )
    context = multiprocessing.get_context("spawn")
    quiet: list[float] = []
    attacked: list[float] = []
    answers: Counter[str] = Counter()
    attack_seconds = 0.0
    quiet_cpu = 0.0
    with running("attack", argv, env, ROOT) as server, pg_backends(db_url, app_name) as pg:
        server.wait_ready(f"{base}/healthz")
        errors = run_load(
            lambda: sign_in(base, web, tenant=BYSTANDER_TENANT), 10, args.concurrency
        ).errors
        if errors:
            print(f"warm-up failed: {errors}\n{server.log_tail()}")
            return 1
        print(f"the second tenant's full sign-ins, {args.signins} a phase:")
        for round_number in range(args.rounds):
            wait_idle(server)
            latencies, cpu, _wall = measure("quiet", base, web, args, server, pg)
            quiet += latencies
            quiet_cpu += cpu
            wait_idle(server)
            plan = AttackPlan(
                base=base,
                network=SPRAY_NETWORKS[round_number],
                flood_threads=args.flood_threads,
                flood_rate=args.flood_rate,
                spray_threads=args.spray_threads,
                spray_rate=args.spray_rate,
                budget=args.max_attack_requests,
            )
            started, stop, results = context.Event(), context.Event(), context.Queue()
            attacker = context.Process(target=attack_process, args=(plan, started, stop, results))
            attacker.start()
            try:
                started.wait(60)
                latencies, _cpu, _wall = measure("attacked", base, web, args, server, pg)
            finally:
                stop.set()
                got, seconds = results.get(timeout=120)
                attacker.join(timeout=30)
            attacked += latencies
            answers.update(got)
            attack_seconds += seconds
            print(
                "  the attack meanwhile: "
                + ", ".join(f"{name} {count}" for name, count in sorted(got.items())),
                flush=True,
            )
    print(f"the attack on the first tenant, {attack_seconds:.1f} s in all:")
    for answer, count in sorted(answers.items()):
        print(f"  {answer}: {count} ({count / attack_seconds:.0f} a second)")
    quiet_p95, attacked_p95 = percentile_ms(quiet, 95), percentile_ms(attacked, 95)
    print(
        f"second tenant's sign-in p95: {quiet_p95:.0f} ms quiet, {attacked_p95:.0f} ms during "
        f"the attack (x{attacked_p95 / quiet_p95:.2f}); p50 {percentile_ms(quiet, 50):.0f} / "
        f"{percentile_ms(attacked, 50):.0f} ms; the web node's CPU per quiet sign-in "
        f"{quiet_cpu / (args.signins * args.rounds) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
