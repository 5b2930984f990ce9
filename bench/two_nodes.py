"""Benchmark: sign-ins through nginx in front of two web nodes, one node stopped midway.

The topology of tests/deployment/test_two_nodes.py (tests/factories/topology.py): nginx
(round-robin, next node on a refused connection, a timeout, a 502 or 503; never a POST a node
received) in front of two granian nodes (`--workers` each), a Celery worker and beat, on one
PostgreSQL and the shared Redis, with the production settings (argon2id). For `--seconds`
seconds, `--concurrency` browsers sign in without pause, each sign-in as bench/signins.py's
`sign_in` makes it (the authorization request, the password, the code exchange) from its own
loopback address (allauth allows 30 sign-ins a minute from one address). After `--stop-after`
seconds node 1's granian master gets SIGTERM, as an orchestrator stops it.

Prints: sign-ins and HTTP requests, errors (failed sign-ins, with the first few reasons), the
sign-ins in flight when the SIGTERM was sent, p50 and p99 of a sign-in, and the requests each
node answered before and after the stop (from nginx's access log; "retried" counts those
nginx passed on to the other node). Exits 1 on any error beyond the sign-ins in flight at the
SIGTERM, or if a request after the stop went to the stopped node.

Database: DATABASE_URL, or the benchmark's embedded PostgreSQL (var/bench/data/, as
bench/signins.py). Needs REDIS_URL (the two nodes share their cache and broker) and nginx
(Debian: nginx-light). Logs: var/bench/two-nodes/.

Usage: .venv/bin/python bench/two_nodes.py [--seconds 60] [--stop-after 30] [--concurrency 4]
       [--workers 1]
"""

import argparse
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signins import prepare, sign_in  # noqa: E402
from tokens import base_env, database_url, percentile_ms  # noqa: E402

from tests.factories.topology import (  # noqa: E402
    ClientAddresses,
    Served,
    Topology,
    browser_from,
    topology_unavailable,
    two_nodes,
)

LOGS = ROOT / "var" / "bench" / "two-nodes"


@dataclass
class SignIns:
    """What the browsers did: each sign-in's start and end, and the failures' reasons."""

    done: list[tuple[float, float]] = field(default_factory=list)
    failed: list[tuple[float, float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, began: float, error: str | None) -> None:
        ended = time.time()
        with self.lock:
            if error is None:
                self.done.append((began, ended))
            else:
                self.failed.append((began, ended, error))

    def in_flight(self, at: float) -> int:
        spans = [*self.done, *((began, ended) for began, ended, _reason in self.failed)]
        return sum(1 for began, ended in spans if began <= at <= ended)

    def latencies(self) -> list[float]:
        return [ended - began for began, ended in self.done]


def one_sign_in(
    topology: Topology, web: dict[str, str], addresses: ClientAddresses
) -> Callable[[], str | None]:
    """A full sign-in through nginx from a new loopback address: None, or why it failed."""

    def attempt() -> str | None:
        try:
            sign_in(topology.base_url, web, new_browser=lambda: browser_from(addresses.next()))
        except (AssertionError, requests.RequestException, KeyError) as error:
            return f"{type(error).__name__}: {str(error)[:200]}"
        return None

    return attempt


@contextmanager
def deployment(workers: int) -> Iterator[tuple[Topology, dict[str, str]]]:
    """The demo tenant prepared (bench/signins.py's), then the topology on the production
    settings; the demo's web app (client ID, secret, redirect URI) with it."""
    reason = topology_unavailable()
    if reason is not None:
        raise SystemExit(f"cannot run: {reason}")
    db_url, description = database_url()
    os.environ["DATABASE_URL"] = db_url
    demo = prepare()
    web = demo["web"]
    assert isinstance(web, dict)
    env = base_env(
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="ciam_portal.settings",
        CIAM_LOG_LEVEL="WARNING",
    )
    print(f"database: {description}; cache and broker: REDIS_URL", flush=True)
    with two_nodes(env, LOGS, workers=workers) as topology:
        print(
            f"nginx {topology.base_url} → nodes {topology.node_address(0)}, "
            f"{topology.node_address(1)} ({workers} granian worker(s) each), Celery worker "
            f"and beat; logs in {LOGS.relative_to(ROOT)}/",
            flush=True,
        )
        yield topology, web


def per_node(served: list[Served], topology: Topology) -> str:
    counts = Counter(entry.node for entry in served)
    retried = sum(1 for entry in served if len(entry.nodes) > 1)
    names = {topology.node_address(n): f"node {n + 1}" for n in range(2)}
    shares = ", ".join(
        f"{name} {count}"
        for name, count in sorted((names.get(node, node), count) for node, count in counts.items())
    )
    return f"{len(served)} requests ({shares}; retried on the other node {retried})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--stop-after", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="granian workers per node")
    args = parser.parse_args()

    with deployment(args.workers) as (topology, web):
        attempt = one_sign_in(topology, web, ClientAddresses())
        # Warm-up: each node's worker imports and connects once before the clock starts.
        for _ in range(4):
            if (error := attempt()) is not None:
                print(f"warm-up sign-in failed: {error}")
                return 1
        signins = SignIns()
        stop = threading.Event()

        def browse() -> None:
            while not stop.is_set():
                began = time.time()
                signins.record(began, attempt())

        started = time.time()
        browsers = [threading.Thread(target=browse, daemon=True) for _ in range(args.concurrency)]
        for browser in browsers:
            browser.start()
        time.sleep(args.stop_after)
        stopped_at = topology.node_stop(0)
        topology.nodes[0].popen.wait(timeout=60)
        gone_at = time.time()
        time.sleep(max(0.0, args.seconds - (gone_at - started)))
        stop.set()
        for browser in browsers:
            browser.join(timeout=60)
        served = [entry for entry in topology.served() if entry.at >= started]

    in_flight = signins.in_flight(stopped_at)
    latencies = signins.latencies()
    before = [entry for entry in served if entry.at < stopped_at]
    after = [entry for entry in served if entry.at > gone_at]
    to_stopped = [entry for entry in after if entry.node == topology.node_address(0)]
    print(
        f"{len(signins.done) + len(signins.failed)} sign-ins in {args.seconds:.0f} s, "
        f"{args.concurrency} browsers; node 1 got SIGTERM at {stopped_at - started:.1f} s and "
        f"exited {gone_at - stopped_at:.2f} s later, {in_flight} sign-ins in flight then"
    )
    print(
        f"errors: {len(signins.failed)}; sign-in p50 {percentile_ms(latencies, 50):.0f} ms, "
        f"p99 {percentile_ms(latencies, 99):.0f} ms"
    )
    print(f"before the stop: {per_node(before, topology)}")
    print(f"after the stop:  {per_node(after, topology)}")
    for _began, _ended, reason in signins.failed[:3]:
        print(f"  failed: {reason}")
    if len(signins.failed) > in_flight or to_stopped:
        print("NOT as expected: errors beyond the sign-ins in flight, or requests to node 1")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
