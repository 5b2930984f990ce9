"""Benchmark: full customer sign-ins per CPU-second of the web node, with the production hasher.

One sign-in is what a browser and an app do, over real HTTP against the product served as a
deployment serves it (granian, `ciam_portal.run.web_server_argv`, one worker per core):

1. the app's authorization request (a new browser, no cookies), answered with the hosted
   sign-in page itself (its form's action, CSRF token and `next` are read from the HTML, as a
   browser submits them; were the answer a redirect to the page, the script would follow it);
2. email + password posted (argon2id at OWASP's parameters: 19 MiB, 2 iterations, 1 lane;
   allauth's rate limits on, each sign-in from its own client address, given in
   X-Forwarded-For behind one trusted proxy, CIAM_TRUSTED_PROXY_COUNT=1) → 302 to the app
   with a code (the form answers the authorization request it interrupted; were it to send
   the browser back to the authorization endpoint instead, the script would follow);
3. the code exchanged at the token endpoint (client secret, HTTP Basic) for ID, access and
   refresh tokens.

Figure: completed sign-ins divided by the CPU seconds (utime + stime, /proc) of the web server's
whole process tree during the measured phase; PostgreSQL's backends serving it are reported
separately (as Keycloak's sizing counts the Keycloak pods' vCPUs, not the database's). The
client runs in this process, on the same cores, and is not counted. Also printed: what one
argon2id verification costs on this machine, the share of it in a sign-in, and latencies.

Database: DATABASE_URL, or the benchmark's own embedded PostgreSQL in var/bench/data/ (as
bench/tokens.py). Cache: the product's (REDIS_URL when set, else its PostgreSQL table).
Per-step CPU and SQL, in-process: bench/profile_signins.py.

Usage: .venv/bin/python bench/signins.py [--signins 300] [--warmup 30] [--concurrency 4]
       [--workers N] [--rounds 3]
Target: at least 20 sign-ins per CPU-second (Keycloak publishes 15 password logins per second
per vCPU).
"""

import argparse
import html
import ipaddress
import itertools
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from tokens import (  # bench/tokens.py: the same process handling and /proc accounting
    Meter,
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
TENANT = "signin-bench"
EMAIL = "bench-customer@example.com"
PASSWORD = "Bench-Customer-Passw0rd!"
TARGET = 20.0
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
NEXT_FIELD = re.compile(r'<input type="hidden" name="next" value="([^"]*)"')
# Each sign-in comes from its own address (198.18.0.0/15, for benchmarks: RFC 2544).
_addresses = (str(ipaddress.IPv4Address("198.18.0.1") + n) for n in itertools.count())
_address_lock = threading.Lock()


def prepare(tenant: str = TENANT) -> dict[str, object]:
    """Migrate, create the benchmark's demo tenant and its customer (in this process).

    The tenant's request limit per address is raised: the app's back end exchanges every code
    from one address (127.0.0.1), and Entra's 20 a second from it would cap the benchmark at 20
    sign-ins a second. Every request is still counted (protection/limits.py)."""
    import json
    from io import StringIO

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")
    os.environ.setdefault("CIAM_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.core.management import call_command

    from accounts.models import User
    from protection.models import SignInProtection
    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    call_command("ciam_migrate", verbosity=0)
    out = StringIO()
    call_command("ciam_demo", "--json", "--tenant", tenant, stdout=out)
    demo: dict[str, object] = json.loads(out.getvalue())
    with in_tenant(Tenant.objects.get(domain_name=tenant)):
        SignInProtection.objects.update_or_create(
            singleton=True, defaults={"requests_per_second_per_address": 1000}
        )
        user = User.objects.filter(email=EMAIL).first()
        if user is None:
            user = User.objects.create_user(email=EMAIL, password=PASSWORD)
            EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
        else:
            user.set_password(PASSWORD)
            user.save()
    return demo


def argon2_cpu_ms() -> float:
    """CPU milliseconds of one verification with the product's first password hasher."""
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password(PASSWORD)
    start = time.process_time()
    for _ in range(20):
        check_password(PASSWORD, encoded)
    return (time.process_time() - start) / 20 * 1000


def sign_in(base: str, web: dict[str, str], tenant: str = TENANT) -> None:
    """One full sign-in as a new browser and its app; raises if any step goes wrong."""
    with _address_lock:
        address = next(_addresses)
    with requests.Session() as browser:
        browser.headers["X-Forwarded-For"] = address
        authorize = f"{base}/{tenant}/oauth2/v2.0/authorize?" + urlencode(
            {
                "client_id": web["client_id"],
                "response_type": "code",
                "scope": "openid profile email offline_access",
                "redirect_uri": web["redirect_uri"],
                "state": "bench-state",
                "nonce": "bench-nonce",
            }
        )
        page = browser.get(authorize, timeout=30)
        assert page.status_code == 200, page.status_code
        token, action = _CSRF.search(page.text), _ACTION.search(page.text)
        assert token, "no CSRF token on the sign-in page"
        assert action, "no sign-in form on the page"
        login_url = urljoin(page.url, html.unescape(action.group(1)))
        form = {"csrfmiddlewaretoken": token.group(1), "login": EMAIL, "password": PASSWORD}
        next_field = NEXT_FIELD.search(page.text)
        if next_field:
            form["next"] = html.unescape(next_field.group(1))
        signed_in = browser.post(login_url, data=form, allow_redirects=False, timeout=30)
        assert signed_in.status_code == 302, (signed_in.status_code, signed_in.text[:300])
        back = signed_in
        for _hop in range(3):
            if back.headers["Location"].startswith(web["redirect_uri"]):
                break
            back = browser.get(
                urljoin(login_url, back.headers["Location"]), allow_redirects=False, timeout=30
            )
            assert back.status_code == 302, back.status_code
        answer = parse_qs(urlsplit(back.headers["Location"]).query)
        assert "code" in answer, f"no code: {back.headers['Location'][:300]}"
        code = answer["code"][0]
    token = requests.post(
        f"{base}/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": web["redirect_uri"],
        },
        auth=(web["client_id"], web["client_secret"]),
        timeout=30,
    )
    assert token.status_code == 200, (token.status_code, token.text[:300])
    body = token.json()
    for name in ("id_token", "access_token", "refresh_token"):
        assert body.get(name), f"no {name}"


def run_load(
    base: str, web: dict[str, str], total: int, concurrency: int, tenant: str = TENANT
) -> tuple[int, list[str], list[float], float]:
    """`total` sign-ins from `concurrency` threads: (completed, errors, latencies, wall)."""
    lock = threading.Lock()
    started = 0
    done = 0
    errors: list[str] = []
    latencies: list[float] = []

    def browser() -> None:
        nonlocal started, done
        while True:
            with lock:
                if started >= total:
                    return
                started += 1
            begin = time.perf_counter()
            try:
                sign_in(base, web, tenant)
            except (AssertionError, requests.RequestException, KeyError) as error:
                with lock:
                    if len(errors) < 3:
                        errors.append(f"{type(error).__name__}: {error}")
                continue
            with lock:
                done += 1
                latencies.append(time.perf_counter() - begin)

    threads = [threading.Thread(target=browser, daemon=True) for _ in range(concurrency)]
    wall_start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done, errors, latencies, time.perf_counter() - wall_start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signins", type=int, default=300, help="per measured round")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    db_url, db_description = database_url()
    os.environ["DATABASE_URL"] = db_url
    demo = prepare()
    web = demo["web"]
    assert isinstance(web, dict)
    from django.conf import settings

    from ciam_portal.run import web_server_argv

    hasher = settings.PASSWORD_HASHERS[0]
    argon2_ms = argon2_cpu_ms()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app_name = "bench-signins"
    env = base_env(
        DATABASE_URL=with_query(db_url, application_name=app_name),
        CIAM_BASE_URL=base,
        CIAM_LOG_LEVEL="WARNING",
        CIAM_TRUSTED_PROXY_COUNT="1",
    )
    argv = web_server_argv("127.0.0.1", port, args.workers)
    print(f"database: {db_description}; cache: {settings.CACHES['default']['BACKEND']}")
    print(f"web server: granian, {args.workers} workers; {args.concurrency} browsers at a time")
    print(f"password hasher: {hasher}: one verification costs {argon2_ms:.1f} ms of CPU here")
    rates: list[float] = []
    with running("signins", argv, env, ROOT) as server, pg_backends(db_url, app_name) as pg:
        server.wait_ready(f"{base}/healthz")
        done, errors, _latencies, _wall = run_load(base, web, args.warmup, args.concurrency)
        if errors:
            print(f"warm-up failed: {errors}\n{server.log_tail()}")
            return 1
        for round_number in range(1, args.rounds + 1):
            wait_idle(server)
            meter = Meter(server.pid, pg)
            meter.start()
            done, errors, latencies, wall = run_load(base, web, args.signins, args.concurrency)
            meter.stop()
            if errors:
                print(f"round {round_number}: {len(errors)}+ failed sign-ins: {errors}")
                print(server.log_tail())
                return 1
            rate = done / meter.web_cpu if meter.web_cpu else 0.0
            rates.append(rate)
            pg_note = (
                f"; PostgreSQL {meter.pg_cpu / done * 1000:.1f} ms CPU per sign-in"
                if meter.pg_cpu is not None and done
                else ""
            )
            print(
                f"round {round_number}: {done} sign-ins in {wall:.1f} s: {rate:.1f} per "
                f"CPU-second of the web node ({meter.web_cpu / done * 1000:.1f} ms CPU each, "
                f"{argon2_ms / (meter.web_cpu / done * 1000) * 100:.0f}% of it argon2id)"
                f"{pg_note}; latency p50 {percentile_ms(latencies, 50):.0f} ms, "
                f"p99 {percentile_ms(latencies, 99):.0f} ms"
            )
    median = statistics.median(rates)
    verdict = "met" if median >= TARGET else "NOT met"
    print(
        f"full sign-ins: median {median:.1f} per CPU-second of the web node "
        f"(target: at least {TARGET:.0f}: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
