"""Benchmark: full sign-ins per CPU-second of the web node with an authenticator app (TOTP) as
second factor, and without a second factor, side by side in one run.

The sign-in is bench/signins.py's, on the same server (granian as deployed, one worker per
core, loopback, allauth's rate limits on, each sign-in from its own address), in a tenant of its
own (`signin-mfa-bench`) that offers authenticator apps:

- without MFA: the authorization request (answered with the sign-in page), the password
  (answered with the redirect to the app and its code), the code exchanged for tokens; the ID
  token's `acr` is `urn:ciam:sfa`;
- with MFA: the app asks for two factors (`acr_values=urn:ciam:mfa`); customers enrolled with
  an authenticator app and recovery codes (through allauth.mfa's `TOTP.activate` and
  `RecoveryCodes.activate`, as the enrolment page does, in this process before the server
  starts); the password's answer is the second-factor page (were it a redirect to the page,
  the script would follow it), where the code the app would show now (RFC 6238, computed from
  the shared secret) is typed; its answer is the redirect to the app with its code, exchanged
  at the token endpoint; the ID token's `acr` must be `urn:ciam:mfa`.

allauth accepts each code once per customer (a used code is remembered for its 30-second
period), so the MFA sign-ins take turns among `--customers` customers, and a customer comes
round again only in a later period; a code is never typed in the last half-second of its
period (the server might read the time past it).

Each round measures a batch of each mode, one after the other, the order alternating from round
to round (A B, B A, …), so both see the same machine. Figures: sign-ins per CPU-second of the
web server's process tree (utime + stime, /proc) in each mode, the ratio (what MFA costs), HTTP
requests per sign-in in each mode. Per-step CPU and SQL, in-process: bench/profile_signins.py
--mfa.

Usage: .venv/bin/python bench/mfa_signins.py [--signins 150] [--warmup 20] [--concurrency 4]
       [--workers N] [--rounds 4] [--customers 600]
Targets (issue 12): without MFA at least 20 sign-ins per CPU-second; MFA adds one request and
costs at most 25 % more CPU per sign-in.
"""

import argparse
import collections
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable

from signins import (
    EMAIL,
    MFA_ACR,
    PASSWORD,
    TARGET,
    Measured,
    argon2_cpu_ms,
    measured,
    prepare,
    run_load,
    serving,
    sign_in,
)
from tokens import database_url

MFA_TENANT = "signin-mfa-bench"
MFA_CUSTOMER = "bench-mfa-{:05d}@example.com"
MAX_EXTRA_CPU = 0.25  # MFA may cost at most 25 % more CPU per sign-in
EXTRA_REQUESTS = 1  # and one request more
PERIOD = 30  # seconds: allauth.mfa's TOTP period (MFA_TOTP_PERIOD), its tolerance none
LAST_SAFE = 0.5  # seconds before a period ends: no code typed then


def enrol(count: int) -> list[tuple[str, str]]:
    """`count` customers of the benchmark's tenant, each with an authenticator app (a new
    secret each run) and recovery codes: their emails and secrets."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import User
    from protection.methods import authentication_methods_policy_update
    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    emails = [MFA_CUSTOMER.format(n) for n in range(count)]
    encoded = make_password(PASSWORD)  # one argon2id hash for all: setup, not the measure
    enrolled: list[tuple[str, str]] = []
    with in_tenant(Tenant.objects.get(domain_name=MFA_TENANT)), transaction.atomic():
        authentication_methods_policy_update(
            email_otp_enabled=True, totp_enabled=True, passkeys_enabled=False
        )
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        for email in emails:
            if email not in existing:
                user = User.objects.create_user(email=email)  # its password set below
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        users = User.objects.filter(email__in=emails).order_by("email")
        User.objects.filter(pk__in=users).update(password=encoded)
        Authenticator.objects.filter(user__in=users).delete()
        for user in users:
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
            RecoveryCodes.activate(user)
            enrolled.append((user.email, secret))
    return enrolled


def counter_to_type() -> int:
    """The period whose code to type now: not one about to end."""
    left = PERIOD - time.time() % PERIOD
    if left < LAST_SAFE:
        time.sleep(left + 0.01)
    return int(time.time()) // PERIOD


class Authenticators:
    """The enrolled customers' authenticator apps, in turns: a customer is handed out only in
    a period later than the one whose code it last typed, so no code is typed twice."""

    def __init__(self, enrolled: list[tuple[str, str]]) -> None:
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        self._shown: Callable[[str, int], str] = lambda secret, counter: format_hotp_value(
            hotp_value(secret, counter)
        )
        self._queue = collections.deque((email, secret, -1) for email, secret in enrolled)
        self._lock = threading.Lock()
        self.waited = 0.0

    def sign_in(self, base: str, web: dict[str, str]) -> int:
        """One MFA sign-in by the customer whose turn it is (its requests)."""
        email, secret, last = self._take()
        used = last

        def code() -> str:
            nonlocal used
            used = counter_to_type()
            return self._shown(secret, used)  # what the customer's app shows now

        try:
            return sign_in(
                base,
                web,
                tenant=MFA_TENANT,
                email=email,
                asking={"acr_values": MFA_ACR},
                second_factor=code,
            )
        finally:
            with self._lock:
                self._queue.append((email, secret, used))

    def _take(self) -> tuple[str, str, int]:
        while True:
            with self._lock:
                if self._queue and self._queue[0][2] < int(time.time()) // PERIOD:
                    return self._queue.popleft()
            # Every customer has typed this period's code: wait for the next one.
            pause = PERIOD - time.time() % PERIOD + 0.01
            with self._lock:
                self.waited += pause
            time.sleep(pause)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signins", type=int, default=150, help="per mode and round")
    parser.add_argument("--warmup", type=int, default=20, help="per mode")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--customers", type=int, default=600, help="enrolled with TOTP")
    args = parser.parse_args()

    db_url, db_description = database_url()
    os.environ["DATABASE_URL"] = db_url
    demo = prepare(MFA_TENANT)
    web = demo["web"]
    assert isinstance(web, dict)
    authenticators = Authenticators(enrol(args.customers))
    from django.conf import settings

    argon2_ms = argon2_cpu_ms()
    print(f"database: {db_description}; cache: {settings.CACHES['default']['BACKEND']}")
    print(f"web server: granian, {args.workers} workers; {args.concurrency} browsers at a time")
    print(f"one argon2id verification costs {argon2_ms:.1f} ms of CPU here")
    print(f"{args.customers} customers enrolled with an authenticator app, in turns")
    results: dict[str, list[Measured]] = {"without MFA": [], "with TOTP": []}
    with serving(db_url, args.workers, "bench-mfa-signins") as served:
        modes: dict[str, Callable[[], int]] = {
            "without MFA": lambda: sign_in(served.base, web, tenant=MFA_TENANT, email=EMAIL),
            "with TOTP": lambda: authenticators.sign_in(served.base, web),
        }
        for name, one in modes.items():
            warm = run_load(one, args.warmup, args.concurrency)
            if warm.errors:
                print(f"warm-up {name} failed: {warm.errors}\n{served.server.log_tail()}")
                return 1
        for round_number in range(1, args.rounds + 1):
            order = list(modes) if round_number % 2 else list(reversed(modes))
            for name in order:
                result = measured(served, modes[name], args.signins, args.concurrency)
                if result.load.errors:
                    print(f"round {round_number}, {name}: failed: {result.load.errors}")
                    print(served.server.log_tail())
                    return 1
                results[name].append(result)
                print(f"round {round_number}, {name:11s}: {result.summary(argon2_ms)}", flush=True)
    if authenticators.waited:
        print(f"(MFA sign-ins waited {authenticators.waited:.0f} s in all for a new period)")
    return report(results)


def report(results: dict[str, list[Measured]]) -> int:
    """The medians side by side, and the targets."""
    plain, mfa = results["without MFA"], results["with TOTP"]
    plain_rate = statistics.median(m.rate for m in plain)
    mfa_rate = statistics.median(m.rate for m in mfa)
    plain_requests = sum(m.load.requests for m in plain) / sum(m.load.done for m in plain)
    mfa_requests = sum(m.load.requests for m in mfa) / sum(m.load.done for m in mfa)
    # CPU per sign-in is 1 / rate: MFA's extra CPU, as a share of a sign-in without it.
    extra_cpu = plain_rate / mfa_rate - 1
    extra_requests = mfa_requests - plain_requests
    print(f"{'':12s} {'sign-ins/CPU-s':>14s} {'ms CPU each':>11s} {'requests each':>13s}")
    for name, rate, requests_each in (
        ("without MFA", plain_rate, plain_requests),
        ("with TOTP", mfa_rate, mfa_requests),
    ):
        print(f"{name:12s} {rate:14.1f} {1000 / rate:11.1f} {requests_each:13.1f}")
    print(
        f"ratio: {mfa_rate / plain_rate:.2f} (with TOTP / without); MFA costs "
        f"{extra_cpu * 100:+.0f} % CPU per sign-in and {extra_requests:+.1f} requests"
    )
    verdicts = [
        (f"without MFA at least {TARGET:.0f} per CPU-second", plain_rate >= TARGET),
        (f"MFA at most {MAX_EXTRA_CPU * 100:.0f} % more CPU", extra_cpu <= MAX_EXTRA_CPU),
        (f"MFA adds {EXTRA_REQUESTS} request", extra_requests <= EXTRA_REQUESTS),
    ]
    for target, met in verdicts:
        print(f"target: {target}: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
