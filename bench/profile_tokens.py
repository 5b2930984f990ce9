"""Profile: where the CPU time of one client-credentials token goes (in-process, no HTTP server).

Posts to the demo tenant's token endpoint with Django's test Client, on DATABASE_URL or the
benchmark's embedded PostgreSQL in var/bench/data/ (as bench/tokens.py), and prints: CPU per
token, the SQL statements of one token with their round-trip times, the same with
TENANT_LIMIT_SET_CALLS on, a cProfile breakdown by layer and by step, and the cost of signing
alone. Deletes the tokens it issued.
Usage: .venv/bin/python bench/profile_tokens.py [--requests N] [--ref COMMIT]
"""

import argparse
import base64
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def django_setup(ref: str | None) -> str:
    """Set Django up on the working tree, or on a snapshot of commit `ref` (as bench/tokens.py)."""
    from tokens import product_source

    source, description = product_source(ref)
    sys.path.insert(0, str(source))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")
    os.environ.setdefault("CIAM_LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL"):
        # The benchmark's own embedded PostgreSQL and data folder (see bench/tokens.py).
        os.environ["CIAM_DATA_DIR"] = str(ROOT / "var" / "bench" / "data")
    elif ref and not os.environ.get("CIAM_DATA_DIR"):
        os.environ["CIAM_DATA_DIR"] = str(ROOT / "var")
    import django

    django.setup()
    return description


# Self time by layer: the first matching path fragment wins.
# Self time by layer: the first matching path fragment wins. Builtins and the standard library
# (getattr, copy, re, ...) are charged to whoever called them, except json.
LAYERS = [
    ("PostgreSQL driver (psycopg)", ("/psycopg/",)),
    ("Django ORM (query building, models)", ("/django/db/",)),
    ("oauthlib", ("/oauthlib/",)),
    ("django-oauth-toolkit", ("/oauth2_provider/",)),
    ("JWT + RSA (jwcrypto, cryptography)", ("/jwcrypto/", "'cryptography.", "/cryptography/")),
    ("Django request/response, middleware", ("/django/", "/whitenoise/", "/allauth/")),
    ("product code (apps, tenants, ciam_portal)", ("/apps/", "/tenants/", "/ciam_portal/")),
    ("json encode/decode", ("/json/", "_json.")),
]
UNATTRIBUTED = "standard library and builtins, uncharged"


def token_request(client: Any, url: str, auth: str, scope: str) -> None:
    response = client.post(
        url,
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["access_token"]


def cpu_ms_per_call(call: Callable[[], None], count: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        call()
    return (
        (time.process_time() - cpu) / count * 1000,
        (time.perf_counter() - wall) / count * 1000,
    )


def normalized(sql: str) -> str:
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    if sql.startswith("SELECT"):
        table = re.search(r'FROM "(\w+)"', sql)
        joined = "".join(f" + {name}" for name in re.findall(r'JOIN "(\w+)"', sql))
        return f"SELECT {table.group(1) if table else '?'}{joined}"
    if sql.startswith("INSERT"):
        table = re.search(r'INTO "(\w+)"', sql)
        return f"INSERT {table.group(1) if table else '?'}"
    if sql.startswith("SET search_path"):
        return "SET search_path = <tenant schema>"
    return sql[:60]


def statements_per_token(call: Callable[[], None], count: int) -> tuple[int, float]:
    """Print each statement of one token with its mean round trip; return (count, total ms)."""
    timings: dict[str, list[float]] = defaultdict(list)
    order: list[str] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = normalized(sql)
            if key not in timings:
                order.append(key)
            timings[key].append(time.perf_counter() - start)

    from django.db import connection

    with connection.execute_wrapper(timed):
        for _ in range(count):
            call()
    total_statements = sum(len(v) for v in timings.values()) / count
    total_ms = sum(sum(v) for v in timings.values()) / count * 1000
    for key in order:
        values = timings[key]
        print(f"    {len(values) / count:4.1f} x {sum(values) / len(values) * 1000:6.3f} ms  {key}")
    print(f"    {total_statements:4.1f} statements, {total_ms:.2f} ms of round trips per token")
    return int(total_statements), total_ms


class StepTimers:
    """Inclusive CPU time (time.process_time) of chosen functions, by wrapping them in place.

    Cheap enough (two clock reads per call, about 10 calls per token) not to distort what it
    measures, unlike a profiler that times every call.
    """

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = owner.__dict__[name]
        seconds, calls = self.seconds, self.calls

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[label] += time.process_time() - start
                calls[label] += 1

        setattr(owner, name, timed)
        self._undo.append((owner, name, original))

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


def steps(call: Callable[[], None], count: int) -> None:
    """Print the inclusive CPU time of each step of one token, measured with StepTimers."""
    from django.core.handlers.base import BaseHandler
    from django.db.models.sql import compiler
    from django_tenants.postgresql_backend.base import DatabaseWrapper
    from jwcrypto import jwt
    from oauth2_provider import oauth2_backends
    from oauth2_provider.oauth2_validators import OAuth2Validator
    from oauth2_provider.views import base as dot_views
    from oauthlib.oauth2.rfc6749.grant_types import client_credentials
    from oauthlib.oauth2.rfc6749.tokens import BearerToken
    from psycopg import Cursor

    from apps import selectors
    from apps.oidc import tokens
    from apps.oidc.validator import CiamValidator
    from tenants import routing

    timers = StepTimers()
    rows = [
        (BaseHandler, "get_response", "Django handler: middleware + view"),
        (routing.TenantPathMiddleware, "_serve_tenant", "  tenant's middleware chain + view"),
        (dot_views.TokenView, "post", "    DOT TokenView.post"),
        (oauth2_backends.OAuthLibCore, "create_token_response", "      oauthlib token flow"),
        (
            client_credentials.ClientCredentialsGrant,
            "validate_token_request",
            "        validate_token_request",
        ),
        (CiamValidator, "authenticate_client", "          authenticate_client"),
        (CiamValidator, "validate_scopes", "          validate_scopes"),
        (BearerToken, "create_token", "        create_token (access_token_generator)"),
        (tokens, "access_token_claims", "          access_token_claims"),
        (selectors, "token_settings", "            token_settings (get_or_create)"),
        (jwt.JWT, "make_signed_token", "          jwcrypto make_signed_token"),
        (OAuth2Validator, "save_bearer_token", "        save_bearer_token (INSERT)"),
        (compiler.SQLCompiler, "execute_sql", "all ORM SELECTs (build SQL, run, rows)"),
        (compiler.SQLInsertCompiler, "execute_sql", "all ORM INSERTs"),
        (DatabaseWrapper, "_handle_search_path", "all SET search_path"),
        (Cursor, "execute", "all psycopg Cursor.execute"),
    ]
    for owner, name, label in rows:
        timers.wrap(owner, name, label)
    try:
        cpu = time.process_time()
        for _ in range(count):
            call()
        whole = time.process_time() - cpu
    finally:
        timers.restore()
    print(f"  by step: inclusive CPU ms per token (direct timers, {count} tokens)")
    print(f"    {'one token, whole (test Client included)':<48} {whole / count * 1000:6.2f} ms")
    for _owner, _name, label in rows:
        seconds, calls = timers.seconds[label], timers.calls[label]
        print(
            f"    {label:<48} {seconds / count * 1000:6.2f} ms  {seconds / whole * 100:5.1f} %"
            f"  ({calls / count:.1f} calls)"
        )
    post = timers.seconds["    DOT TokenView.post"]
    flow = timers.seconds["      oauthlib token flow"]
    print(
        f"    {'    DOT after the flow: json.loads + SELECT token':<48} "
        f"{(post - flow) / count * 1000:6.2f} ms  {(post - flow) / whole * 100:5.1f} %"
    )


def layer_of(filename: str, function: str) -> str | None:
    where = f"{filename} {function}"
    for layer, fragments in LAYERS:
        if any(fragment in where for fragment in fragments):
            return layer
    return None


def layer_shares(raw: dict[Any, Any]) -> Counter[str]:
    """Self time by layer; a builtin's or stdlib function's goes to its callers' layers."""
    memo: dict[Any, dict[str, float]] = {}

    def owners(key: Any, depth: int) -> dict[str, float]:
        direct = layer_of(key[0], key[2])
        if direct is not None:
            return {direct: 1.0}
        if depth == 0 or key not in raw:
            return {UNATTRIBUTED: 1.0}
        if key in memo:
            return memo[key]
        memo[key] = {UNATTRIBUTED: 1.0}  # while resolving a recursion
        callers = raw[key][4]
        total = sum(value[2] for value in callers.values())
        mix: Counter[str] = Counter()
        for caller, value in callers.items():
            weight = value[2] / total if total else 1 / len(callers)
            for layer, share in owners(caller, depth - 1).items():
                mix[layer] += weight * share
        memo[key] = dict(mix) or {UNATTRIBUTED: 1.0}
        return memo[key]

    layers: Counter[str] = Counter()
    for key, (_cc, _nc, tt, _ct, _callers) in raw.items():
        for layer, share in owners(key, 6).items():
            layers[layer] += tt * share
    return layers


def profile(call: Callable[[], None], count: int, cpu_ms: float) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU time: waits on PostgreSQL excluded
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values())
    scale = cpu_ms / (total / count * 1000)
    print(
        f"\n  cProfile over {count} tokens (profiled {total / count * 1000:.1f} ms/token; shares "
        f"scaled to the unprofiled {cpu_ms:.2f} ms CPU/token)"
    )
    layers = layer_shares(raw)
    print("  by layer (self time; builtins and stdlib charged to their callers):")
    for layer, seconds in layers.most_common():
        print(
            f"    {layer:<42} {seconds / total * 100:5.1f} %  "
            f"~{seconds / count * 1000 * scale:5.2f} ms"
        )
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    print("  top functions by self time:")
    for line in lines[start : start + 16]:
        print(f"    {line.replace(str(Path(sys.prefix)), '.venv')[:150]}")


def signing_alone(count: int) -> None:
    from jwcrypto import jwt

    from apps.signing import active_signing_jwk

    key = active_signing_jwk()
    claims = json.dumps({"iss": "x" * 40, "sub": "y" * 36, "aud": "z" * 36, "roles": ["a"]})
    header = json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": key.thumbprint()})

    def jwcrypto_sign() -> None:
        token = jwt.JWT(header=header, claims=claims)
        token.make_signed_token(key)
        token.serialize()

    def thumbprint() -> None:
        key.thumbprint()

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    private = key.get_op_key("sign")

    def raw_sign() -> None:
        private.sign(b"x" * 700, padding.PKCS1v15(), hashes.SHA256())

    for label, call in (
        ("RSA-2048 PKCS#1 v1.5 sign alone (cryptography)", raw_sign),
        ("jwcrypto JWT build + sign + serialize", jwcrypto_sign),
        ("JWK.thumbprint() (done per token for the kid)", thumbprint),
    ):
        print(f"    {label:<48} {cpu_ms_per_call(call, count)[0]:6.3f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="tokens per measurement")
    parser.add_argument("--ref", help="profile this commit (as bench/tokens.py --ref)")
    args = parser.parse_args()
    print(f"product: {django_setup(args.ref)}")
    from django.core.management import call_command
    from django.test import Client, override_settings

    from apps.models import AccessToken
    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    call_command("ciam_migrate", verbosity=0)
    out = io.StringIO()
    call_command("ciam_demo", "--json", stdout=out)
    demo = json.loads(out.getvalue())
    since = datetime.now(UTC)
    credentials = f"{demo['web']['client_id']}:{demo['web']['client_secret']}"
    auth = "Basic " + base64.b64encode(credentials.encode()).decode()
    client = Client(HTTP_HOST="127.0.0.1")
    url = f"/{demo['tenant']}/oauth2/v2.0/token"

    def call() -> None:
        token_request(client, url, auth, demo["client_credentials_scope"])

    try:
        for _ in range(100):
            call()
        # Plain and TENANT_LIMIT_SET_CALLS in alternating rounds, so that load from other
        # processes on the machine touches both alike; medians of the rounds.
        plain, limited, walls = [], [], []
        rounds = 5
        for _ in range(rounds):
            cpu_ms, wall_ms = cpu_ms_per_call(call, args.requests // rounds)
            plain.append(cpu_ms)
            walls.append(wall_ms)
            with override_settings(TENANT_LIMIT_SET_CALLS=True):
                limited.append(cpu_ms_per_call(call, args.requests // rounds)[0])
        cpu_ms, wall_ms = statistics.median(plain), statistics.median(walls)
        print(
            f"one client-credentials token, in-process: {cpu_ms:.2f} ms CPU "
            f"({wall_ms:.2f} ms wall; PostgreSQL's own CPU not included), "
            f"{1000 / cpu_ms:.0f} tokens per CPU-second of this process "
            f"(median of {rounds} rounds: {', '.join(f'{v:.2f}' for v in plain)})"
        )
        print("  SQL per token (mean round trip, wall):")
        statements_per_token(call, 50)
        limited_ms = statistics.median(limited)
        print(
            f"  with TENANT_LIMIT_SET_CALLS = True: {limited_ms:.2f} ms CPU/token, "
            f"{cpu_ms - limited_ms:.2f} ms less (rounds: "
            f"{', '.join(f'{v:.2f}' for v in limited)}); SQL per token:"
        )
        with override_settings(TENANT_LIMIT_SET_CALLS=True):
            statements_per_token(call, 50)
        steps(call, args.requests)
        profile(call, args.requests, cpu_ms)
        print("  signing alone:")
        with in_tenant(Tenant.objects.get(domain_name=demo["tenant"])):
            signing_alone(args.requests)
    finally:
        with in_tenant(Tenant.objects.get(domain_name=demo["tenant"])):
            AccessToken.objects.filter(
                application__client_id=demo["web"]["client_id"],
                user__isnull=True,
                created__gte=since,
            ).delete()


if __name__ == "__main__":
    main()
