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
   refresh tokens; the ID token's `acr` says one factor.

The same sign-in, with an authenticator app's code typed on the page the password's answer
leads to, is bench/mfa_signins.py's second mode; each sign-in counts its HTTP requests.

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
import base64
import contextlib
import html
import ipaddress
import itertools
import json
import os
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
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
TENANT = "signin-bench"
EMAIL = "bench-customer@example.com"
PASSWORD = "Bench-Customer-Passw0rd!"
TARGET = 20.0
MFA_ACR = "urn:ciam:mfa"  # apps/oidc/acr.py: two factors, and one
SFA_ACR = "urn:ciam:sfa"
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL)
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ACTION = re.compile(r'action="([^"]+)"')
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


def form_of(page: requests.Response, field: str) -> tuple[str, dict[str, str]]:
    """The form of a page that has `field`, as a browser submits it: the URL it posts to (its
    action, else the page's own URL) and its CSRF token and hidden `next`, as fields."""
    form = next((f for f in _FORM.finditer(page.text) if f'name="{field}"' in f.group(2)), None)
    assert form, f"no form with {field} on the page at {page.url}"
    action = _ACTION.search(form.group(1))
    url = urljoin(page.url, html.unescape(action.group(1))) if action else page.url
    token = _CSRF.search(form.group(2))
    assert token, f"no CSRF token in the form at {page.url}"
    fields = {"csrfmiddlewaretoken": token.group(1)}
    next_field = NEXT_FIELD.search(form.group(2))
    if next_field:
        fields["next"] = html.unescape(next_field.group(1))
    return url, fields


def sign_in(
    base: str,
    web: dict[str, str],
    *,
    tenant: str = TENANT,
    email: str = EMAIL,
    asking: dict[str, str] | None = None,
    second_factor: Callable[[], str] | None = None,
    new_browser: Callable[[], requests.Session] = requests.Session,
) -> int:
    """One full sign-in as a new browser and its app; the HTTP requests it took. Raises if any
    step goes wrong.

    `asking` adds parameters to the authorization request (`acr_values`); `second_factor`
    gives the code to type where the password's answer is a page (the second-factor step)
    rather than the way back to the app; `new_browser` makes the browser (bench/two_nodes.py's
    connect from their own loopback address, which nginx appends to X-Forwarded-For).
    """
    with _address_lock:
        address = next(_addresses)
    requests_made = 0
    with new_browser() as browser:
        browser.headers["X-Forwarded-For"] = address
        authorize = f"{base}/{tenant}/oauth2/v2.0/authorize?" + urlencode(
            {
                "client_id": web["client_id"],
                "response_type": "code",
                "scope": "openid profile email offline_access",
                "redirect_uri": web["redirect_uri"],
                "state": "bench-state",
                "nonce": "bench-nonce",
                **(asking or {}),
            }
        )
        page = browser.get(authorize, timeout=30)
        requests_made += 1 + len(page.history)
        assert page.status_code == 200, page.status_code
        login_url, form = form_of(page, "password")
        form.update({"login": email, "password": PASSWORD})
        back = browser.post(login_url, data=form, allow_redirects=False, timeout=30)
        requests_made += 1
        typed = False
        for _hop in range(4):
            if back.status_code == 302:
                location = back.headers["Location"]
                if location.startswith(web["redirect_uri"]):
                    break
                back = browser.get(urljoin(back.url, location), allow_redirects=False, timeout=30)
            else:
                # A page on the way: the second-factor step, answered with a code once.
                assert back.status_code == 200, (back.status_code, back.text[:300])
                assert second_factor is not None, f"a page at {back.url}"
                assert not typed, f"the code was refused: {back.text[:300]}"
                step_url, step_form = form_of(back, "code")
                step_form["code"] = second_factor()
                back = browser.post(step_url, data=step_form, allow_redirects=False, timeout=30)
                typed = True
            requests_made += 1
        assert back.status_code == 302, (back.status_code, back.text[:300])
        assert second_factor is None or typed, "no second-factor step"
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
    requests_made += 1
    assert token.status_code == 200, (token.status_code, token.text[:300])
    body = token.json()
    for name in ("id_token", "access_token", "refresh_token"):
        assert body.get(name), f"no {name}"
    acr = id_token_claims(body["id_token"]).get("acr")
    expected = MFA_ACR if second_factor is not None else SFA_ACR
    assert acr == expected, f"acr {acr!r}, not {expected}"
    return requests_made


def id_token_claims(id_token: str) -> dict[str, Any]:
    """The ID token's claims, read (not verified: the app's part, not the server's)."""
    payload = id_token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


@dataclass
class Load:
    """What a batch of sign-ins came to."""

    done: int
    errors: list[str]
    latencies: list[float]
    wall: float
    requests: int


def run_load(one: Callable[[], int], total: int, concurrency: int) -> Load:
    """`total` sign-ins (`one` makes one and says how many requests it took) from
    `concurrency` threads."""
    lock = threading.Lock()
    started = 0
    result = Load(done=0, errors=[], latencies=[], wall=0.0, requests=0)

    def browser() -> None:
        nonlocal started
        while True:
            with lock:
                if started >= total:
                    return
                started += 1
            begin = time.perf_counter()
            try:
                made = one()
            except (AssertionError, requests.RequestException, KeyError) as error:
                with lock:
                    if len(result.errors) < 3:
                        result.errors.append(f"{type(error).__name__}: {error}")
                continue
            with lock:
                result.done += 1
                result.requests += made
                result.latencies.append(time.perf_counter() - begin)

    threads = [threading.Thread(target=browser, daemon=True) for _ in range(concurrency)]
    wall_start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - wall_start
    return result


@dataclass
class Served:
    """The web node under measurement: its process tree, its PostgreSQL backends, its URL."""

    server: Server
    pg: PgBackends | None
    base: str


@contextlib.contextmanager
def serving(db_url: str, workers: int, name: str) -> Iterator[Served]:
    """The product served as a deployment serves it (granian, `web_server_argv`), on a free
    loopback port, behind one trusted proxy; stopped on leaving."""
    from ciam_portal.run import web_server_argv

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = base_env(
        DATABASE_URL=with_query(db_url, application_name=name),
        CIAM_BASE_URL=base,
        CIAM_LOG_LEVEL="WARNING",
        CIAM_TRUSTED_PROXY_COUNT="1",
    )
    argv = web_server_argv("127.0.0.1", port, workers)
    with running(name, argv, env, ROOT) as server, pg_backends(db_url, name) as pg:
        server.wait_ready(f"{base}/healthz")
        yield Served(server=server, pg=pg, base=base)


@dataclass
class Measured:
    load: Load
    web_cpu: float
    pg_cpu: float | None

    @property
    def rate(self) -> float:
        """Sign-ins per CPU-second of the web node."""
        return self.load.done / self.web_cpu if self.web_cpu else 0.0

    def summary(self, argon2_ms: float) -> str:
        done = self.load.done
        cpu_ms = self.web_cpu / done * 1000
        pg_note = (
            f"; PostgreSQL {self.pg_cpu / done * 1000:.1f} ms CPU per sign-in"
            if (self.pg_cpu is not None)
            else ""
        )
        return (
            f"{done} sign-ins in {self.load.wall:.1f} s: {self.rate:.1f} per CPU-second of the "
            f"web node ({cpu_ms:.1f} ms CPU each, {argon2_ms / cpu_ms * 100:.0f}% of it "
            f"argon2id){pg_note}; {self.load.requests / done:.1f} requests each; latency p50 "
            f"{percentile_ms(self.load.latencies, 50):.0f} ms, "
            f"p99 {percentile_ms(self.load.latencies, 99):.0f} ms"
        )


def measured(served: Served, one: Callable[[], int], total: int, concurrency: int) -> Measured:
    """A batch of sign-ins once the node is idle, with the CPU it cost."""
    wait_idle(served.server)
    meter = Meter(served.server.pid, served.pg)
    meter.start()
    load = run_load(one, total, concurrency)
    meter.stop()
    return Measured(load=load, web_cpu=meter.web_cpu, pg_cpu=meter.pg_cpu)


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

    hasher = settings.PASSWORD_HASHERS[0]
    argon2_ms = argon2_cpu_ms()
    print(f"database: {db_description}; cache: {settings.CACHES['default']['BACKEND']}")
    print(f"web server: granian, {args.workers} workers; {args.concurrency} browsers at a time")
    print(f"password hasher: {hasher}: one verification costs {argon2_ms:.1f} ms of CPU here")
    rates: list[float] = []
    with serving(db_url, args.workers, "bench-signins") as served:
        warm = run_load(lambda: sign_in(served.base, web), args.warmup, args.concurrency)
        if warm.errors:
            print(f"warm-up failed: {warm.errors}\n{served.server.log_tail()}")
            return 1
        for round_number in range(1, args.rounds + 1):
            result = measured(
                served, lambda: sign_in(served.base, web), args.signins, args.concurrency
            )
            if result.load.errors:
                print(f"round {round_number}: failed sign-ins: {result.load.errors}")
                print(served.server.log_tail())
                return 1
            rates.append(result.rate)
            print(f"round {round_number}: {result.summary(argon2_ms)}")
    median = statistics.median(rates)
    verdict = "met" if median >= TARGET else "NOT met"
    print(
        f"full sign-ins: median {median:.1f} per CPU-second of the web node "
        f"(target: at least {TARGET:.0f}: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
