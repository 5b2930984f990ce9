"""Profile: where the CPU of one full sign-in goes, step by step (in-process, no HTTP server).

Runs the sign-in of bench/signins.py through Django's test Client (every middleware; allauth's
rate limits on, each sign-in from its own address) and prints, per step, the best CPU
milliseconds over `--rounds` rounds and the SQL statements it sent (the fewest seen);
`--profile STEP` adds a cProfile of that step (authorize, which answers with the sign-in
page; password, whose answer is the redirect straight back to the app; token). With `--mfa`,
bench/mfa_signins.py's sign-in with an authenticator app: the password's answer leads to the
second-factor page (second-factor, the request that shows it, if one is needed) and the code
typed there (code) to the app. The test Client's own work is counted here; bench/signins.py
and bench/mfa_signins.py measure the web node alone.

Usage: .venv/bin/python bench/profile_signins.py [--signins 20] [--rounds 4] [--sql]
       [--profile STEP] [--mfa]
"""

import argparse
import base64
import collections
import cProfile
import html
import os
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tokens import database_url

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("authorize", "password", "second-factor", "code", "token")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signins", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--profile", choices=STEPS)
    parser.add_argument("--mfa", action="store_true", help="with an authenticator app")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = database_url()[0]
    from mfa_signins import MFA_TENANT, counter_to_type, enrol
    from signins import EMAIL, MFA_ACR, NEXT_FIELD, PASSWORD, TENANT, prepare

    tenant = MFA_TENANT if args.mfa else TENANT
    demo = prepare(tenant)
    # Enough customers for each to type one code per period, however fast this runs.
    customers = collections.deque(enrol((args.rounds + 1) * args.signins) if args.mfa else [])
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    web: Any = demo["web"]
    client = Client(HTTP_HOST="127.0.0.1")
    profiler = cProfile.Profile(time.process_time)
    cpu: dict[str, float] = collections.defaultdict(float)
    best: dict[str, float] = {}
    queries: dict[str, list[str]] = {}
    addresses = iter(f"198.18.{n // 250}.{n % 250 + 1}" for n in range(10**6))

    def step(name: str, call: Callable[[], Any]) -> Any:
        with CaptureQueriesContext(connection) as captured:
            if name == args.profile:
                profiler.enable()
            start = time.process_time()
            response = call()
            cpu[name] += time.process_time() - start
            if name == args.profile:
                profiler.disable()
        sent = [query["sql"] for query in captured.captured_queries]
        # The fewest seen: a lookup remembered for 5 s (apps/lookups.py) is read now and then.
        if name not in queries or len(sent) < len(queries[name]):
            queries[name] = sent
        return response

    def sign_in() -> None:
        client.cookies.clear()
        client.defaults["REMOTE_ADDR"] = next(addresses)
        email, secret = customers.popleft() if args.mfa else (EMAIL, "")
        authorize = f"/{tenant}/oauth2/v2.0/authorize?" + urlencode(
            {
                "client_id": web["client_id"],
                "response_type": "code",
                "scope": "openid profile email offline_access",
                "redirect_uri": web["redirect_uri"],
                "state": "s",
                "nonce": "n",
                **({"acr_values": MFA_ACR} if args.mfa else {}),
            }
        )
        page = step("authorize", lambda: client.get(authorize))
        assert page.status_code == 200, page.status_code
        next_url = html.unescape(NEXT_FIELD.search(page.content.decode()).group(1))
        form = {"login": email, "password": PASSWORD, "next": next_url}
        login = f"/{tenant}/account/login/"
        answer = step("password", lambda: client.post(login, form))
        if args.mfa:
            second_factor = f"/{tenant}/account/second-factor/"
            if answer.status_code == 302:
                assert answer["Location"] == second_factor, answer["Location"]
                answer = step("second-factor", lambda: client.get(second_factor))
            assert answer.status_code == 200, answer.status_code
            typed = {"code": format_hotp_value(hotp_value(secret, counter_to_type()))}
            answer = step("code", lambda: client.post(second_factor, typed))
            assert answer.status_code == 302, answer.content[:300]
        redirect = answer["Location"]
        assert redirect.startswith(web["redirect_uri"]), redirect
        code = parse_qs(urlsplit(redirect).query)["code"][0]
        basic = base64.b64encode(f"{web['client_id']}:{web['client_secret']}".encode()).decode()
        body = {"grant_type": "authorization_code", "code": code}
        body["redirect_uri"] = web["redirect_uri"]
        response = step(
            "token",
            lambda: client.post(
                f"/{tenant}/oauth2/v2.0/token", body, HTTP_AUTHORIZATION=f"Basic {basic}"
            ),
        )
        assert response.status_code == 200, response.content[:300]

    for _ in range(5):
        sign_in()
    profiler = cProfile.Profile(time.process_time)
    for _ in range(args.rounds):
        cpu.clear()
        for _ in range(args.signins):
            sign_in()
        for name in STEPS:
            best[name] = min(best.get(name, float("inf")), cpu[name] / args.signins * 1000)
    taken = [name for name in STEPS if name in queries]
    for name in taken:
        print(f"{name:16s} {best[name]:6.1f} ms CPU  {len(queries[name]):3d} SQL statements")
    print(f"{'total':16s} {sum(best[name] for name in taken):6.1f} ms CPU")
    if args.sql:
        for name in taken:
            print(f"== {name}")
            for sql in queries[name]:
                print(f"   {sql[:160]}")
    if args.profile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
