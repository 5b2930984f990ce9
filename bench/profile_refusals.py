"""Profile: what a refused request costs the web node (in-process, no HTTP server).

What an attacker on one tenant is answered, through Django's test Client (every middleware, the
product's cache: Redis when REDIS_URL is set), each kind `--requests` times, and per kind the
CPU milliseconds a request (the best of `--rounds` rounds), the shared cache's round trips and
the SQL statements it took:

- page 429: the sign-in page past the address's request limit (20 a second);
- token 429: the token endpoint past it (JSON);
- token 401: the token endpoint within the limit, a code exchange by a client that is not one;
- page 200: the sign-in page within the limit (what the flood still gets);
- spray 429: a password posted from a network marked as spraying (protection/risk.py);
- throttled 429: a password posted from a network being throttled, past its rate.

The limits' clock is held on one second while the flood runs (as tests/protection's are), so
that every request of it past the 20th is refused; the other kinds move it on every 15
requests.
`--profile KIND` adds a cProfile of that kind.

Usage: .venv/bin/python bench/profile_refusals.py [--requests 300] [--rounds 3]
       [--profile KIND]
"""

import argparse
import cProfile
import os
import pstats
import time
from collections.abc import Callable
from typing import Any

from tokens import database_url

KINDS = ("page 429", "token 429", "token 401", "page 200", "spray 429", "throttled 429")
TENANT = "refusal-bench"
FLOOD = "192.0.2.66"
SPRAY_NETWORK = "203.0.113"
THROTTLED_NETWORK = "198.51.100"


class CacheRoundTrips:
    """Counts the commands this process sends to Redis (each `execute_command` is one round
    trip; a Lua script is one)."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> "CacheRoundTrips":
        from redis.client import Redis

        self._original = Redis.execute_command
        counter = self

        def counted(client: Any, *args: Any, **options: Any) -> Any:
            counter.count += 1
            return counter._original(client, *args, **options)

        Redis.execute_command = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from redis.client import Redis

        Redis.execute_command = self._original  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=KINDS)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = database_url()[0]
    from signins import prepare

    prepare(TENANT)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.client import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from protection import limits, risk
    from protection.models import SignInProtection
    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    tenant = Tenant.objects.get(domain_name=TENANT)
    with in_tenant(tenant):
        SignInProtection.objects.update_or_create(
            singleton=True,
            defaults={"requests_per_second_per_address": 20, "requests_per_second_per_tenant": 200},
        )
        # The spray's network marked, as 50 accounts' failed passwords from it mark it.
        factory = RequestFactory()
        for n in range(settings.CIAM_SPRAY_ACCOUNTS_PER_NETWORK):
            request = factory.post("/", REMOTE_ADDR=f"{SPRAY_NETWORK}.{n % 250 + 1}")
            risk.password_failure_record(request=request, email=f"sprayed{n}@example.com")
        # The throttled one's, as 10 accounts' failed passwords throttle it.
        throttled_at = getattr(settings, "CIAM_SPRAY_THROTTLE_ACCOUNTS", None)
        for n in range(throttled_at or 0):
            request = factory.post("/", REMOTE_ADDR=f"{THROTTLED_NETWORK}.{n % 250 + 1}")
            risk.password_failure_record(request=request, email=f"throttled{n}@example.com")

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
    base = f"/{TENANT}"
    token_body = {"grant_type": "authorization_code", "code": "x", "client_id": "x"}
    calls: dict[str, Callable[[int], Any]] = {
        "page 429": lambda n: client.get(f"{base}/account/login/", REMOTE_ADDR=FLOOD),
        "token 429": lambda n: client.post(
            f"{base}/oauth2/v2.0/token", token_body, REMOTE_ADDR=FLOOD
        ),
        "token 401": lambda n: client.post(
            f"{base}/oauth2/v2.0/token", token_body, REMOTE_ADDR=f"198.18.{n // 250}.{n % 250}"
        ),
        "page 200": lambda n: client.get(
            f"{base}/account/login/", REMOTE_ADDR=f"198.18.{n // 250}.{n % 250}"
        ),
        "spray 429": lambda n: client.post(
            f"{base}/account/login/",
            {"login": f"customer{n}@example.com", "password": "Winter2025!"},
            REMOTE_ADDR=f"{SPRAY_NETWORK}.{n % 250 + 1}",
        ),
        "throttled 429": lambda n: client.post(
            f"{base}/account/login/",
            {"login": f"customer{n}@example.com", "password": "Winter2025!"},
            REMOTE_ADDR=f"{THROTTLED_NETWORK}.{n % 250 + 1}",
        ),
    }
    expected = {kind: int(kind.split()[1]) for kind in KINDS}
    best: dict[str, float] = {}
    trips: dict[str, float] = {}
    queries: dict[str, float] = {}
    profiler = cProfile.Profile(time.process_time)
    real_now = limits._now
    assert risk._now() - real_now() < 1
    second = risk_second = int(real_now())
    for round_number in range(args.rounds + 1):  # the first warms up
        for kind in KINDS:
            if kind == "throttled 429" and not throttled_at:
                continue
            # The flood within one second of the limits' clock (a new one every 50 requests:
            # its window lives 2 s), the first 20 of each second not measured; the others from
            # many addresses, 15 a second (under every limit). The throttled network's one
            # password of a second (a wrong one) is not measured either.
            flood = kind in ("page 429", "token 429")
            warm_up = 20 if flood else 1 if kind == "throttled 429" else 0
            spent, trips_sent, statements = 0.0, 0, 0
            for chunk in range(0, args.requests, 50):
                second += 10_000
                limits._now = lambda at=second: float(at)  # type: ignore[misc]
                # Spray detection's clock a second on (its marks last from the real time).
                risk_second += 1
                risk._now = lambda at=risk_second: float(at)  # type: ignore[misc]
                for n in range(warm_up):
                    calls[kind](n)
                with CaptureQueriesContext(connection) as captured, CacheRoundTrips() as cache:
                    if kind == args.profile and round_number:
                        profiler.enable()
                    started = time.process_time()
                    for n in range(chunk, min(chunk + 50, args.requests)):
                        if not flood and n % 15 == 0:
                            limits._now = lambda at=second + n: float(at)  # type: ignore[misc]
                        answer = calls[kind](n)
                        assert answer.status_code == expected[kind], (kind, answer.status_code)
                    spent += time.process_time() - started
                    if kind == args.profile:
                        profiler.disable()
                trips_sent += cache.count
                statements += len(captured.captured_queries)
            if round_number:
                best[kind] = min(best.get(kind, float("inf")), spent / args.requests * 1000)
                trips[kind] = trips_sent / args.requests
                queries[kind] = statements / args.requests
    limits._now = risk._now = real_now  # type: ignore[misc]
    for kind in best:
        print(
            f"{kind:14s} {best[kind]:6.2f} ms CPU  {trips[kind]:4.1f} cache round trips  "
            f"{queries[kind]:4.1f} SQL statements"
        )
    if args.profile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(50)


if __name__ == "__main__":
    main()
