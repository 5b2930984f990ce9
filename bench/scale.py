"""Benchmark: 10,000 tenants on one PostgreSQL (issue 16).

Phases (each a subcommand; `all` runs them in order), against DATABASE_URL — give it a database
of its own, e.g. postgres://postgres@127.0.0.1:5432/scale, never the one you work in:

- `seed --tenants N`: migrate, make a model tenant with `ciam_demo` (an app with a secret, an
  API, a user flow, a customer), then add tenants until there are N, each a copy of the model
  tenant's schema with its rows. Seeding takes a bulk path of its own: the model schema's SQL
  (pg_dump, as tenants/schema_template.py takes the base schema's) run for a batch of schemas
  per transaction, with the tenants' rows written by bulk_create, from `--streams` processes
  whose PostgreSQL backends are reniced (`--nice`) so that the machine stays usable. Every
  seeded tenant is ready: its hosted pages answer, its app gets tokens (the same client ID,
  secret and signing keys as the model tenant: copies).
- `create --runs R`: time R single creations through the real service (tenants.services.
  tenant_create, in one long-lived process, as the admin center's web worker would), then purge
  them; median, min and max. Run it on a database with 10 tenants and on one with 10,000.
- `requests`: serve the product with granian (2 workers, as a 2-core node), touch every tenant
  through every web worker (a keep-alive connection held by each), then measure the p50/p99 of
  a tenant page (the authorization request, answered with the sign-in page: the flow, the app,
  the branding, the languages) and of a client-credentials token request, in interleaved
  rounds, each round touching either 10 tenants or every tenant, at random; prints both and
  their ratio, then the peak RSS of each web worker and of its PostgreSQL backends.
- `migrate --processes P`: time `ciam_migrate` applying one no-op migration to every schema
  (bench/scale_settings.py adds the app that holds it), killed halfway once and then resumed.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale \
       .venv/bin/python bench/scale.py seed|create|requests|migrate [options]
"""

import argparse
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # its siblings import each other by name
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")
PYTHON = sys.executable
MODEL_TENANT = "scale-model"


def _django() -> None:
    import django

    django.setup()


def _manage(*argv: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(argv)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def _renice_backend(nice: int) -> None:
    """Lower the priority of this process's PostgreSQL backend (we run as root, beside it)."""
    from django.db import connection

    if nice <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, nice)


def _model_template() -> tuple[str, str]:
    """The model tenant's schema name and the SQL that copies it, rows and all, as
    tenants/schema_template.py writes the base schema's, with `{schema}` for the new name."""
    from django.db import transaction
    from django.test import override_settings

    from tenants.models import Tenant
    from tenants.schema_template import _describe_base_schema

    model = Tenant.objects.get(domain_name=MODEL_TENANT)
    with override_settings(TENANT_BASE_SCHEMA=model.schema_name), transaction.atomic():
        return model.schema_name, _describe_base_schema()


def _seed_stream(first: int, last: int, batch: int, nice: int, template_file: str) -> None:
    """Add the tenants numbered first..last-1 (the ones that do not exist yet)."""
    _django()
    from django.db import connection, transaction

    from tenants.models import Tenant, TenantStatus

    _renice_backend(nice)
    template = Path(template_file).read_text()
    existing = set(
        Tenant.objects.filter(domain_name__startswith="scale-t").values_list(
            "domain_name", flat=True
        )
    )
    names = [f"scale-t{n:05d}" for n in range(first, last) if f"scale-t{n:05d}" not in existing]
    for start in range(0, len(names), batch):
        tenants = []
        for name in names[start : start + batch]:
            tenant_id = uuid.uuid4()
            tenants.append(
                Tenant(
                    tenant_id=tenant_id,
                    schema_name=Tenant.schema_name_for(tenant_id),
                    display_name=f"Scale {name[-5:]}",
                    domain_name=name,
                    country="US",
                    status=TenantStatus.READY,
                )
            )
        with transaction.atomic():
            Tenant.objects.bulk_create(tenants)
            with connection.cursor() as cursor:
                cursor.execute("".join(template.format(schema=t.schema_name) for t in tenants))


def seed(args: argparse.Namespace) -> None:
    _django()
    from tenants.models import Tenant

    started = time.perf_counter()
    _manage("ciam_migrate", "-v", "0")
    if not Tenant.objects.filter(domain_name=MODEL_TENANT).exists():
        _manage("ciam_demo", "--tenant", MODEL_TENANT, "--json")
    model_schema, template = _model_template()
    template_file = ROOT / "var" / "bench" / "scale-template.sql"
    template_file.parent.mkdir(parents=True, exist_ok=True)
    template_file.write_text(template)
    before = Tenant.objects.count()
    wanted = args.tenants - 1  # the model tenant counts
    share = -(-wanted // args.streams)
    streams = []
    for index in range(args.streams):
        first, last = index * share, min(wanted, (index + 1) * share)
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); import bench.scale as s; "
            "s._seed_stream(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), "
            "int(sys.argv[5]), sys.argv[6])"
        )
        argv = [PYTHON, "-c", code, str(ROOT), str(first), str(last), str(args.batch)]
        streams.append(subprocess.Popen([*argv, str(args.nice), str(template_file)], cwd=ROOT))
    try:
        while any(stream.poll() is None for stream in streams):
            time.sleep(30)
            count = Tenant.objects.count()
            elapsed = time.perf_counter() - started
            print(f"  {count:,} tenants after {elapsed / 60:.1f} min", flush=True)
    finally:
        for stream in streams:
            if stream.poll() is None:
                stream.terminate()
    if any(stream.returncode for stream in streams):
        raise SystemExit("a seeding stream failed")
    count = Tenant.objects.count()
    elapsed = time.perf_counter() - started
    print(
        f"seeded {count - before:,} tenants (now {count:,}; model {model_schema}) "
        f"in {elapsed / 60:.1f} min with {args.streams} streams, batches of {args.batch}"
    )


def create(args: argparse.Namespace) -> None:
    """Single creations through the real service, one long-lived process, then purged."""
    _django()
    from tenants import services
    from tenants.models import Tenant
    from tenants.schemas import connection_recycle_if_wide

    count = Tenant.objects.count()
    prefix = f"scale-c{uuid.uuid4().hex[:6]}"
    timings, created = [], []
    try:
        for index in range(args.runs):
            start = time.perf_counter()
            tenant = services.tenant_create(
                display_name=f"Creation {index}",
                domain_name=f"{prefix}-{index}",
                country="US",
                creator=None,
            )
            timings.append(time.perf_counter() - start)
            created.append(tenant)
            connection_recycle_if_wide()  # as at the end of the admin center's request
    finally:
        for tenant in created:
            services.tenant_delete(tenant=tenant, actor=None)
            services.tenant_purge(tenant=Tenant.objects.get(pk=tenant.pk))
    print(
        f"tenant creation at {count:,} tenants: median {statistics.median(timings) * 1000:.0f} ms "
        f"(min {min(timings) * 1000:.0f}, max {max(timings) * 1000:.0f}, n={len(timings)}); "
        "target < 1000 ms",
        flush=True,
    )


def _rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _anon_kib(pid: int) -> int:
    """A PostgreSQL backend's own memory (its caches of relations and catalog rows among it):
    its anonymous pages. Its RSS, and even its "private" pages, also count the shared buffers
    it alone has touched."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class _Peaks:
    """Peak RSS of each web worker and peak anonymous memory of each of their PostgreSQL backends,
    sampled every half second."""

    def __init__(self, server: object, pg: object) -> None:
        self.server, self.pg = server, pg
        self.web: dict[int, int] = {}
        self.backends: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from tokens import process_tree

        while not self._stop.wait(0.5):
            root = self.server.pid  # type: ignore[attr-defined]
            for pid in process_tree(root) - {root}:
                self.web[pid] = max(self.web.get(pid, 0), _rss_kib(pid))
            for pid in self.pg.pids() if self.pg is not None else ():  # type: ignore[attr-defined]
                self.backends[pid] = max(self.backends.get(pid, 0), _anon_kib(pid))

    def __enter__(self) -> "_Peaks":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] * 1000


def _established(port: int) -> dict[int, int]:
    """Established loopback TCP connections to or from `port`, as {peer port: socket inode}
    (/proc/net/tcp), seen from `port`'s side."""
    found: dict[int, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if state == "01" and int(local.split(":")[1], 16) == port:
            found[int(remote.split(":")[1], 16)] = inode
    return found


def _socket_owner(inode: int, pids: set[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        return pid
    return None


def _session_per_worker(http: object, base: str, root: int, workers: int) -> list[object]:
    """One keep-alive HTTP session bound to each web worker: a connection stays with the worker
    that accepted it, found here by which worker holds the server's end of the socket."""
    from tokens import process_tree

    port = int(base.rsplit(":", 1)[1])
    bound: dict[int, object] = {}
    for _attempt in range(50):
        pids = process_tree(root) - {root}
        before = set(_established(port))
        session = http.Session()  # type: ignore[attr-defined]
        session.get(f"{base}/health/live", timeout=10)
        new = set(_established(port)) - before
        owner = _socket_owner(_established(port)[new.pop()], pids) if len(new) == 1 else None
        if owner is not None and owner not in bound:
            bound[owner] = session
            if len(bound) == workers:
                break
        else:
            session.close()
    if len(bound) < workers:
        raise SystemExit(f"found a connection to only {len(bound)} of {workers} web workers")
    return list(bound.values())


def requests_phase(args: argparse.Namespace) -> None:
    import requests as http
    from signins import serving

    _django()
    from tenants.models import Tenant

    demo = json.loads(_manage("ciam_demo", "--tenant", MODEL_TENANT, "--json"))
    names = list(
        Tenant.objects.filter(domain_name__startswith="scale-").values_list(
            "domain_name", flat=True
        )
    )
    rng = random.Random(16)
    few = rng.sample(names, 10)
    web = demo["web"]
    page_query = {
        "client_id": web["client_id"],
        "response_type": "code",
        "scope": "openid profile",
        "redirect_uri": web["redirect_uri"],
        "state": "scale",
        "nonce": "scale",
    }
    token_form = {"grant_type": "client_credentials", "scope": demo["client_credentials_scope"]}
    timings: dict[tuple[str, str], list[float]] = {}
    failures = 0
    with serving(os.environ["DATABASE_URL"], args.workers, "bench-scale") as served:
        base = served.base

        def one(session: "http.Session", kind: str, tenant: str) -> float:
            nonlocal failures
            # Each request as a new visitor's: a jar holding every tenant's cookies would cost
            # the client more on each request than the server spends answering it.
            session.cookies.clear()
            # From an address of its own, as many customers' requests come: one address's
            # request limit is not what this measures.
            session.headers["X-Forwarded-For"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.7"
            start = time.perf_counter()
            if kind == "page":
                answer = session.get(
                    f"{base}/{tenant}/oauth2/v2.0/authorize", params=page_query, timeout=30
                )
                ok = answer.status_code == 200 and b"password" in answer.content
            else:
                answer = session.post(
                    f"{base}/{tenant}/oauth2/v2.0/token",
                    data=token_form,
                    auth=(web["client_id"], web["client_secret"]),
                    timeout=30,
                )
                ok = answer.status_code == 200 and "access_token" in answer.json()
            elapsed = time.perf_counter() - start
            if not ok:
                failures += 1
                if failures <= 3:
                    print(f"  failed {kind} at {tenant}: {answer.status_code} {answer.text[:200]}")
            return elapsed

        root = served.server.pid  # type: ignore[attr-defined]
        sessions = _session_per_worker(http, base, root, args.workers)
        if one(sessions[0], "token", names[-1]) and failures:
            # ciam_demo keeps the model app's secret in var/demo_<tenant>_web_secret: a seed
            # of another database with the same model tenant name replaces it there.
            raise SystemExit(
                "the model tenant's secret does not open a seeded tenant: was another database "
                f"seeded since? ({ROOT / 'var' / f'demo_{MODEL_TENANT}_web_secret'})"
            )
        with _Peaks(served.server, served.pg) as peaks:
            order = names[:]
            rng.shuffle(order)
            order = order[: args.touch or None]
            print(
                f"touching {len(order):,} tenants through each of the {len(sessions)} web workers "
                "(each tenant once per kind and worker)",
                flush=True,
            )
            touched_start = time.perf_counter()

            def touch(session: "http.Session") -> None:
                for tenant in order:
                    one(session, "page", tenant)
                    one(session, "token", tenant)

            # One client per web worker, each on a connection that worker holds: every worker
            # serves every tenant, as each would in a long-running deployment.
            with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
                list(pool.map(touch, sessions))
            backends = sorted(peaks.backends.values())
            print(
                f"  done in {time.perf_counter() - touched_start:.0f} s; peak RSS per web worker "
                f"{', '.join(f'{kib / 1024:.0f}' for kib in peaks.web.values())} MiB; "
                f"{len(backends)} PostgreSQL backends served them (connections recycled), "
                f"anonymous memory median {backends[len(backends) // 2] / 1024:.0f} MiB, "
                f"largest {backends[-1] / 1024:.0f} MiB",
                flush=True,
            )
            pool_all = order if args.touch else names
            turn = 0
            for _round in range(args.rounds):
                for spread, pool_of in (("10", few), ("all", pool_all)):
                    for kind in ("page", "token"):
                        for _ in range(args.requests):
                            turn += 1  # the workers in turn
                            timings.setdefault((kind, spread), []).append(
                                one(sessions[turn % len(sessions)], kind, rng.choice(pool_of))
                            )
        web_peak = max(peaks.web.values(), default=0) / 1024
        pg_peak = max(peaks.backends.values(), default=0) / 1024
    print(
        f"per request, {args.rounds} interleaved rounds of {args.requests}, one client, the "
        "web workers in turn:"
    )
    for kind in ("page", "token"):
        few_t, all_t = timings[(kind, "10")], timings[(kind, "all")]
        p50s = _percentile(few_t, 50), _percentile(all_t, 50)
        p99s = _percentile(few_t, 99), _percentile(all_t, 99)
        print(
            f"  {kind:5}: 10 tenants p50 {p50s[0]:.1f} ms p99 {p99s[0]:.1f} ms; "
            f"{len(pool_all):,} tenants p50 {p50s[1]:.1f} ms p99 {p99s[1]:.1f} ms "
            f"(p50 {(p50s[1] / p50s[0] - 1) * 100:+.0f} %, "
            f"p99 {(p99s[1] / p99s[0] - 1) * 100:+.0f} %)"
        )
    print(
        f"peak RSS of a web worker {web_peak:.0f} MiB; peak anonymous memory of a PostgreSQL "
        f"backend {pg_peak:.0f} MiB (CIAM_DB_SCHEMAS_PER_CONNECTION="
        f"{os.environ.get('CIAM_DB_SCHEMAS_PER_CONNECTION', 'default')}); failures {failures}"
    )


def _noop_forget() -> int:
    """Make every schema lack the no-op migration again (so the phase can run twice)."""
    from django.db import connection

    from tenants.models import SchemaMigrationState, Tenant

    schemas = [*Tenant.objects.values_list("schema_name", flat=True), "public"]
    from django.conf import settings

    schemas.append(settings.TENANT_BASE_SCHEMA)
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(
                f'DELETE FROM "{schema}".django_migrations WHERE app = %s',  # noqa: S608
                ["noop_migration"],
            )
    SchemaMigrationState.objects.update(state="")
    return len(schemas)


def _migrate_command(settings_module: str) -> subprocess.Popen[bytes]:
    argv = [PYTHON, str(ROOT / "manage.py"), "ciam_migrate", "--processes", "2", "-v", "1"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module}
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _finished(process: subprocess.Popen[bytes]) -> str:
    output = process.communicate()[0].decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"ciam_migrate failed ({process.returncode}):\n{output[-3000:]}")
    return output


def migrate(args: argparse.Namespace) -> None:
    """ciam_migrate applying a no-op migration to every schema, killed halfway, then resumed."""
    _django()
    from django.utils import timezone

    from tenants.models import SchemaMigrationState, Tenant

    total = Tenant.objects.count()
    print(f"{total:,} tenant schemas", flush=True)
    started = time.perf_counter()
    current = _finished(_migrate_command("ciam_portal.settings"))
    print(
        f"ciam_migrate with nothing to apply but the state to record: "
        f"{time.perf_counter() - started:.0f} s; {current.strip().splitlines()[-1]}",
        flush=True,
    )
    print(f"no-op migration forgotten in {_noop_forget():,} schemas", flush=True)
    since = timezone.now()
    started = time.perf_counter()
    first = _migrate_command("bench.scale_settings")
    half = total // 2
    while first.poll() is None:
        done = SchemaMigrationState.objects.filter(migrated_at__gte=since).count()
        if done >= half:
            os.killpg(first.pid, signal.SIGKILL)
            break
        time.sleep(0.5)
    first.wait()
    killed_after = time.perf_counter() - started
    done = SchemaMigrationState.objects.filter(migrated_at__gte=since).count()
    print(f"killed (SIGKILL) after {killed_after:.0f} s with {done:,} schemas done", flush=True)
    resumed = time.perf_counter()
    output = _finished(_migrate_command("bench.scale_settings"))
    resume_seconds = time.perf_counter() - resumed
    print(f"resumed: {resume_seconds:.0f} s; {output.strip().splitlines()[-1]}")
    print(
        f"ciam_migrate of a no-op migration across {total:,} schemas with 2 processes: "
        f"{(killed_after + resume_seconds) / 60:.1f} min in all (target < 10 min)"
    )


def main() -> None:
    # SIGTERM (timeout, kill) as Ctrl-C: the servers a phase started are stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("--tenants", type=int, default=10_000)
    seeding.add_argument("--streams", type=int, default=2)
    seeding.add_argument("--batch", type=int, default=3)
    seeding.add_argument("--nice", type=int, default=10)
    creating = commands.add_parser("create")
    creating.add_argument("--runs", type=int, default=15)
    serving = commands.add_parser("requests")
    serving.add_argument("--workers", type=int, default=2)
    serving.add_argument("--rounds", type=int, default=10)
    serving.add_argument("--requests", type=int, default=100)
    serving.add_argument("--touch", type=int, default=0, help="tenants to touch first (0: all)")
    commands.add_parser("migrate")
    args = parser.parse_args()
    phases = {"seed": seed, "create": create, "requests": requests_phase, "migrate": migrate}
    phases[args.command](args)


if __name__ == "__main__":
    main()
