"""Benchmark: client-credentials tokens per CPU-second, latency and memory, against two baselines.

In one run on this machine, under the same concurrent client-credentials load, it serves and
measures, one after the other:

1. this product as deployed (README): granian (`--interface wsgi --workers N --blocking-threads 1
   --runtime-threads 1 --runtime-mode st --no-ws`, N = one per core), the headline "ours"; and
   `gunicorn ciam_portal.wsgi --workers N` (sync workers; gthread on request) as a reference; on
   PostgreSQL: DATABASE_URL, or else the embedded default in its own data folder
   var/bench/data/ (never the developer's var/ database), after `manage.py ciam_migrate` and
   `ciam_demo --json`; the demo web app asks for the demo API's `.default` scope.
   `--ref COMMIT` benchmarks a commit instead of the working tree;
2. django-oauth-toolkit with its default settings (opaque tokens, PBKDF2-hashed client secret)
   in the minimal project bench/dot_default/, on its own database `bench_dot` on the same
   PostgreSQL server, served by gunicorn sync workers;
3. node's `oidc-provider` (installed into var/bench/oidc-provider/ on first use) issuing RS256
   JWT access tokens, one node process, all state in memory.

Method, for each server: one real token request must answer 200 with a bearer access_token; then
the load generator warms the server up, the benchmark waits until the server's processes are
idle again (gunicorn sync workers finish requests queued on connections the warm-up closed) and,
up to 2 minutes (`--quiet-wait`), until the machine is nearly idle (other work on it shares the
cores), and measures one load phase. The load generator is wrk when installed (/usr/bin/wrk or
on PATH; Debian package `wrk`): `wrk -t1 -c8 -d10s --timeout 30s --latency -s
bench/wrk_token.lua URL` after a 3 s warm-up, every connection keep-alive, every request the
same POST (form body, HTTP Basic client authentication); the Lua script counts responses that
are not a 200 with an access_token as failures (with wrk's socket errors); wrk's timeouts
(requests unanswered after 30 s, DOT's are slow) are reported, not counted as failures, since
the responses that do come are counted. A single wrk thread costs far less CPU than the server
it drives, where the fallback, `--load python` (threads of this process, each a keep-alive
`requests` session sending a fixed number of requests), took much of the 2 cores it shared with
the servers. DOT default completes only some tens of requests in 10 s: the requests in flight
when wrk stops have used CPU that counts but completed no token, a few percent against it.

Figures: tokens per CPU-second (successful responses divided by utime+stime, from
/proc/<pid>/stat, of the server's whole process tree during the measured phase: the granian or
gunicorn master and its workers, or the node process; a second figure, +PG, adds the PostgreSQL
backends serving it, found by application_name), p50 and p99 latency (wrk's, of all responses;
python: of successful ones), and peak memory (sum of RSS over the server's process tree, sampled
every 100 ms). Also the CPU seconds of the load generator (wrk's and this process's) and of
everything else on the machine, which shares its cores with the server.

Every server is stopped at the end, on error and on SIGTERM too; the embedded PostgreSQL stops
when this process exits. Logs (and wrk's output) in var/bench/logs/. Where the CPU goes inside
ours: bench/profile_tokens.py.

Usage: .venv/bin/python bench/tokens.py [--load wrk|python] [--concurrency 8] [--duration 10]
       [--warmup-seconds 3] [--servers ours-granian,ours-sync,ours-gthread,dot,oidc-provider]
       [--workers N] [--quiet-wait 120] [--ref COMMIT] [--fresh-db]
       python load: [--requests 2000] [--warmup 200] [--dot-requests 48] [--dot-warmup 8]
Targets (ours = granian): >= 1000 tokens per CPU-second; p99 < 50 ms with 8 concurrent
connections; < 300 MB for all web processes.
"""

import argparse
import base64
import contextlib
import io
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = ROOT / "var" / "bench"
LOGS = WORK / "logs"
PYTHON = sys.executable
OIDC_PROVIDER_SPEC = "oidc-provider@9"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.1
PG_DISCOVERY_SECONDS = 1.0
REQUEST_TIMEOUT = 60.0
WRK_DEFAULT = "/usr/bin/wrk"
WRK_SCRIPT = BENCH / "wrk_token.lua"
WRK_TIMEOUT_SECONDS = 30
IDLE_TICKS = 2  # CPU ticks per 0.5 s below which a server counts as idle
TARGET_TOKENS_PER_CPU_S = 1000
TARGET_P99_MS = 50
TARGET_RSS_MB = 300
HEADLINE = "ours (granian)"


# --- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process started in its own session, so that it and its children (gunicorn's
    workers) are stopped together by the process group of the pid we started."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.log_path = LOGS / f"{name}.log"
        LOGS.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_ready(self, url: str, timeout: float = 60.0) -> None:
        """Until the server answers any HTTP response at `url` (bounded by `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                requests.get(url, timeout=2)
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        # Workers left behind by a master that died first are in the same group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self._log.close()


@contextlib.contextmanager
def running(name: str, argv: list[str], env: dict[str, str], cwd: Path) -> Iterator[Server]:
    server = Server(name, argv, env, cwd)
    try:
        yield server
    finally:
        server.stop()


# --- /proc accounting -------------------------------------------------------------------------


def proc_stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, utime + stime in ticks, RSS in pages) of a live process, from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24 (proc(5)).
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21])


def process_tree(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = proc_stat(int(entry.name))
            if stat is not None:
                children.setdefault(stat[0], []).append(int(entry.name))
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in tree:
            tree.add(pid)
            todo.extend(children.get(pid, []))
    return tree


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine used since boot (/proc/stat, every core)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


class PgBackends:
    """PostgreSQL backends whose application_name is `name`, if the server runs on this host."""

    def __init__(self, conninfo: str, name: str) -> None:
        import psycopg

        self.name = name
        self._conn = psycopg.connect(conninfo, autocommit=True, application_name="bench-meter")

    def pids(self) -> set[int]:
        rows = self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [self.name]
        ).fetchall()
        local = set()
        for (pid,) in rows:
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/comm").read_text().strip().startswith("postgres"):
                    local.add(int(pid))
        return local

    def close(self) -> None:
        self._conn.close()


class Meter:
    """Samples a server's process tree (and its PostgreSQL backends) every 100 ms."""

    def __init__(self, root: int, pg: PgBackends | None) -> None:
        self.root = root
        self.pg = pg
        self._stop = threading.Event()
        self._tree: set[int] = set()
        self._pg_pids: set[int] = set()
        self._base: dict[int, int] = {}
        self._last: dict[int, int] = {}
        self.peak_rss_bytes = 0
        self._busy_start = 0.0
        self.machine_cpu = 0.0
        self.rss_samples: list[int] = []
        self._thread = threading.Thread(target=self._run, name="meter", daemon=True)

    def _discover(self) -> None:
        self._tree |= process_tree(self.root)
        if self.pg is not None:
            self._pg_pids |= self.pg.pids()

    def _sample(self) -> None:
        rss = 0
        for pid in self._tree | self._pg_pids:
            stat = proc_stat(pid)
            if stat is None:
                continue  # exited: its last sampled CPU time still counts
            self._last[pid] = stat[1]
            if pid in self._tree:
                rss += stat[2] * PAGE_SIZE
        self.rss_samples.append(rss)
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)

    def start(self) -> None:
        self._discover()
        self._sample()
        self._base = dict(self._last)  # pids seen later started during the run
        self._busy_start = machine_busy_seconds()
        self._thread.start()

    def _run(self) -> None:
        next_discovery = time.monotonic() + PG_DISCOVERY_SECONDS
        while not self._stop.wait(SAMPLE_SECONDS):
            if time.monotonic() >= next_discovery:
                self._discover()
                next_discovery = time.monotonic() + PG_DISCOVERY_SECONDS
            self._sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._discover()
        self._sample()
        self.machine_cpu = machine_busy_seconds() - self._busy_start

    def cpu_seconds(self, pids: set[int]) -> float:
        ticks = sum(self._last.get(pid, 0) - self._base.get(pid, 0) for pid in pids)
        return ticks / CLK_TCK

    @property
    def web_cpu(self) -> float:
        return self.cpu_seconds(self._tree)

    @property
    def pg_cpu(self) -> float | None:
        return None if self.pg is None else self.cpu_seconds(self._pg_pids - self._tree)

    @property
    def web_processes(self) -> int:
        return len(self._tree)

    @property
    def pg_processes(self) -> int:
        return len(self._pg_pids)


# --- load -------------------------------------------------------------------------------------


@dataclass
class Target:
    token_url: str
    auth: tuple[str, str]
    form: dict[str, str]


@dataclass
class LoadResult:
    ok: int = 0
    failed: int = 0
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    wall: float = 0.0
    client_cpu: float = 0.0
    errors: list[str] = field(default_factory=list)
    timeouts: int = 0  # wrk: ticks of requests unanswered after --timeout (not failures)


def percentile_ms(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies)
    if not ordered:
        return math.nan
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index] * 1000


def valid_token_response(response: requests.Response) -> bool:
    if response.status_code != 200:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    token = body.get("access_token") if isinstance(body, dict) else None
    return isinstance(token, str) and bool(token) and body.get("token_type", "").lower() == "bearer"


def check_sample(name: str, server: Server, target: Target) -> None:
    """One real token request before the load: a 200 with a bearer access_token, or stop."""
    try:
        response = requests.post(
            target.token_url, data=target.form, auth=target.auth, timeout=REQUEST_TIMEOUT
        )
    except requests.RequestException as exc:
        raise RuntimeError(f"{name}: sample token request failed: {exc}") from exc
    if not valid_token_response(response):
        raise RuntimeError(
            f"{name}: sample token request: HTTP {response.status_code}: "
            f"{response.text[:300]}\n{server.log_tail()}"
        )


def drive(target: Target, total: int, concurrency: int, max_seconds: float) -> LoadResult:
    """`--load python`: `total` token requests from `concurrency` keep-alive `requests`
    sessions (threads of this process), stopping at `max_seconds`."""
    result = LoadResult()
    latencies: list[float] = []
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        nonlocal issued
        with requests.Session() as session:
            session.auth = target.auth
            while True:
                with lock:
                    if issued >= total or time.monotonic() >= deadline:
                        return
                    issued += 1
                start = time.perf_counter()
                try:
                    response = session.post(
                        target.token_url, data=target.form, timeout=REQUEST_TIMEOUT
                    )
                    good = valid_token_response(response)
                    error = "" if good else f"HTTP {response.status_code}: {response.text[:200]}"
                except requests.RequestException as exc:
                    good, error = False, f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - start
                with lock:
                    if good:
                        result.ok += 1
                        latencies.append(elapsed)
                    else:
                        result.failed += 1
                        if len(result.errors) < 3:
                            result.errors.append(error)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max_seconds + REQUEST_TIMEOUT + 5)
    result.wall = time.perf_counter() - wall_start
    result.client_cpu = time.process_time() - cpu_start
    result.p50_ms = percentile_ms(latencies, 50)
    result.p99_ms = percentile_ms(latencies, 99)
    return result


def wrk_path() -> str | None:
    return shutil.which("wrk") or (WRK_DEFAULT if os.access(WRK_DEFAULT, os.X_OK) else None)


def drive_wrk(wrk: str, target: Target, seconds: int, connections: int, log: Path) -> LoadResult:
    """`--load wrk`: one wrk thread keeping `connections` keep-alive connections busy with
    token requests for `seconds` (bench/wrk_token.lua); its output is appended to `log`."""
    user, secret = target.auth
    basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
    env = dict(
        os.environ,
        BENCH_BODY=urllib.parse.urlencode(target.form),
        BENCH_AUTHORIZATION=f"Basic {basic}",
    )
    argv = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        f"{WRK_TIMEOUT_SECONDS}s",
        "--latency",
        "-s",
        str(WRK_SCRIPT),
        target.token_url,
    ]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    done = subprocess.run(
        argv,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + WRK_TIMEOUT_SECONDS + 60,
        check=False,
    )
    wall = time.perf_counter() - wall_start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("a") as out:
        out.write(f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}\n")
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH {")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    stats = json.loads(line.removeprefix("BENCH "))
    # wrk's own summary must agree with the script's counts.
    total = re.search(r"^\s*(\d+) requests in ", done.stdout, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if total is None or int(total[1]) != stats["requests"]:
        raise RuntimeError(f"wrk: the script's counts disagree with wrk's:\n{done.stdout}")
    if non_2xx is not None and int(non_2xx[1]) > stats["bad"]:
        raise RuntimeError(f"wrk: more non-2xx responses than bad ones:\n{done.stdout}")
    socket_errors = stats["connect"] + stats["read"] + stats["write"]
    result = LoadResult(
        ok=stats["requests"] - stats["bad"],
        failed=stats["bad"] + socket_errors,
        p50_ms=stats["p50_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        wall=stats["duration_us"] / 1e6 or wall,
        # wrk, and this process (the meter's sampling) while wrk ran.
        client_cpu=(after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime)
        + (time.process_time() - cpu_start),
        timeouts=stats["timeout"],
    )
    if stats["bad"]:
        first = next((x for x in done.stdout.splitlines() if x.startswith("BENCH-FIRST-BAD")), "")
        result.errors.append(f"{stats['bad']} bad responses, first: {first[16:]}")
    if socket_errors:
        result.errors.append(
            f"socket errors: connect {stats['connect']}, read {stats['read']}, "
            f"write {stats['write']}"
        )
    return result


def wait_idle(server: Server, timeout: float = 60.0) -> None:
    """Until the server's process tree stops using CPU: after a warm-up, gunicorn's sync workers
    still serve the requests queued on connections wrk has closed (seconds of them for DOT)."""
    interval = 0.5

    def ticks() -> int:
        return sum((proc_stat(pid) or (0, 0, 0))[1] for pid in process_tree(server.pid))

    deadline = time.monotonic() + timeout
    last = ticks()
    while time.monotonic() < deadline:
        time.sleep(interval)
        now = ticks()
        if now - last <= IDLE_TICKS:
            return
        last = now
    print(f"  {server.name}: still busy {timeout:.0f} s after the warm-up", flush=True)


def wait_quiet(name: str, max_seconds: float) -> None:
    """Until the whole machine has been nearly idle (< 10% of its cores busy) for 3 s in a row,
    at most `max_seconds`: other work on the machine shares the cores and skews the figures."""
    if max_seconds <= 0:
        return
    cores = os.cpu_count() or 1
    start = time.monotonic()
    quiet, last = 0, machine_busy_seconds()
    while time.monotonic() - start < max_seconds:
        time.sleep(1.0)
        now = machine_busy_seconds()
        quiet, last = (quiet + 1 if now - last < 0.1 * cores else 0), now
        if quiet >= 3:
            waited = time.monotonic() - start - 3
            if waited > 1:
                print(f"  {name}: waited {waited:.0f} s for the machine to be quiet", flush=True)
            return
    print(f"  {name}: the machine is still busy after {max_seconds:.0f} s: measuring", flush=True)


@dataclass
class Measurement:
    name: str
    setup: str
    load: LoadResult
    web_cpu: float
    pg_cpu: float | None
    peak_rss_mb: float
    processes: int
    pg_processes: int
    machine_cpu: float

    @property
    def other_cpu(self) -> float:
        """CPU seconds that neither the server, its backends nor the load generator used."""
        return max(0.0, self.machine_cpu - self.web_cpu - (self.pg_cpu or 0) - self.load.client_cpu)

    @property
    def per_cpu(self) -> float:
        return self.load.ok / self.web_cpu if self.web_cpu else 0.0

    @property
    def per_cpu_with_pg(self) -> float | None:
        if self.pg_cpu is None:
            return None
        total = self.web_cpu + self.pg_cpu
        return self.load.ok / total if total else 0.0


def measure(
    name: str,
    setup: str,
    server: Server,
    target: Target,
    pg: PgBackends | None,
    args: argparse.Namespace,
    requests_count: int,
    warmup: int,
) -> Measurement:
    check_sample(name, server, target)
    wrk_log = LOGS / f"{server.name}.wrk.txt"
    wrk_log.write_text("")
    if args.load == "wrk":
        print(f"  {name}: wrk warm-up {args.warmup_seconds} s ...", flush=True)
        warm = drive_wrk(args.wrk, target, args.warmup_seconds, args.concurrency, wrk_log)
    else:
        print(f"  {name}: warm-up {warmup} requests ...", flush=True)
        warm = drive(target, warmup, args.concurrency, args.max_seconds)
    if warm.failed or not warm.ok or (args.load == "python" and warm.ok < warmup):
        raise RuntimeError(
            f"{name}: warm-up failed ({warm.ok} ok, {warm.failed} failed): {warm.errors}\n"
            f"{server.log_tail()}"
        )
    wait_idle(server)
    wait_quiet(name, args.quiet_wait)
    meter = Meter(server.pid, pg)
    if args.load == "wrk":
        print(f"  {name}: wrk {args.duration} s, {args.concurrency} connections ...", flush=True)
    else:
        print(f"  {name}: {requests_count} requests, {args.concurrency} clients ...", flush=True)
    meter.start()
    try:
        if args.load == "wrk":
            load = drive_wrk(args.wrk, target, args.duration, args.concurrency, wrk_log)
        else:
            load = drive(target, requests_count, args.concurrency, args.max_seconds)
    finally:
        meter.stop()
    if load.errors:
        print(f"  {name}: failures: {load.errors}", flush=True)
    return Measurement(
        name=name,
        setup=setup,
        load=load,
        web_cpu=meter.web_cpu,
        pg_cpu=meter.pg_cpu,
        peak_rss_mb=meter.peak_rss_bytes / 1e6,
        processes=meter.web_processes,
        pg_processes=meter.pg_processes,
        machine_cpu=meter.machine_cpu,
    )


# --- the database -----------------------------------------------------------------------------


def with_query(url: str, **params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def replace_database(url: str, name: str) -> str:
    """The same server's URL for another database: postgresql://user:pw@host:port/<name>?..."""
    head, sep, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}{sep}{query}"


def database_url(fresh: bool = False) -> tuple[str, str]:
    """The product's database URL and a description of it that shows no credentials.

    Without DATABASE_URL, the embedded default runs in its own data folder, var/bench/data/, so
    the benchmark neither migrates nor fills the developer's database in var/ (nor shares its
    server with the test suite); `fresh` starts that folder anew.
    """
    url = os.environ.get("DATABASE_URL")
    if url:
        host = url.partition("://")[2].rpartition("@")[2].split("/", 1)[0] or "local socket"
        return url, f"DATABASE_URL (server {host})"
    data_dir = WORK / "data"
    if fresh and data_dir.exists():
        pid_file = data_dir / "pgdata" / "postmaster.pid"
        if pid_file.exists() and Path(f"/proc/{pid_file.read_text().split()[0]}").exists():
            raise SystemExit(f"--fresh-db: a PostgreSQL server still runs on {data_dir}")
        shutil.rmtree(data_dir)
    os.environ["CIAM_DATA_DIR"] = str(data_dir)
    sys.path.insert(0, str(ROOT))
    from ciam_portal.embedded_database import embedded_database_url

    # This process holds the only handle on the server: it stops when this process exits.
    url = embedded_database_url()
    return url, f"embedded PostgreSQL ({data_dir.relative_to(ROOT)}/pgdata)"


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.partition("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(replace_database(url, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


# --- the three servers ------------------------------------------------------------------------


# Set by the benchmark for each server; the caller's other settings (keys, data folder) pass on.
_OVERRIDDEN = {
    "DATABASE_URL",
    "CIAM_BASE_URL",
    "CIAM_LOG_LEVEL",
    "CIAM_DEBUG",
    "CIAM_HOST",
    "CIAM_WEB_WORKERS",
    "PORT",
    "DJANGO_SETTINGS_MODULE",
}


def base_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _OVERRIDDEN}
    env.update(extra)
    return env


def gunicorn_argv(app: str, port: int, workers: int, worker_class: str, threads: int) -> list[str]:
    argv = [
        PYTHON,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",
    ]
    if worker_class == "gthread":
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    return argv


def granian_argv(app: str, port: int, workers: int) -> list[str]:
    """The README's web server: granian (Rust HTTP, WSGI), one blocking thread per worker."""
    return [
        str(Path(PYTHON).parent / "granian"),
        "--interface",
        "wsgi",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        "1",
        "--runtime-threads",
        "1",
        "--runtime-mode",
        "st",
        "--no-ws",
        "--log-level",
        "warning",
    ]


def run_json(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run a setup command that prints one JSON object; show its error output if it fails."""
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


def product_source(ref: str | None) -> tuple[Path, str]:
    """The product's folder: the working tree, or a snapshot of a commit (`--ref`)."""
    if ref is None:
        return ROOT, "working tree"
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    folder = WORK / "src" / sha[:12]
    if not (folder / "manage.py").exists():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", sha], cwd=ROOT, check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            tar.extractall(folder, filter="data")
    return folder, f"commit {sha[:12]} ({ref}), snapshot in {folder.relative_to(ROOT)}"


def ours_prepare(source: Path, db_url: str) -> dict[str, Any]:
    env = base_env(DATABASE_URL=db_url, CIAM_LOG_LEVEL="WARNING")
    manage = [PYTHON, str(source / "manage.py")]
    migrate = [*manage, "ciam_migrate", "-v", "0"]
    subprocess.run(migrate, cwd=source, env=env, check=True, timeout=600)
    return run_json([*manage, "ciam_demo", "--json"], source, env)


OURS_CLEANUP = """
import os
from datetime import datetime
from apps.models import AccessToken
from tenants.models import Tenant
from tenants.schemas import in_tenant
with in_tenant(Tenant.objects.get(domain_name=os.environ["BENCH_TENANT"])):
    AccessToken.objects.filter(
        application__client_id=os.environ["BENCH_CLIENT_ID"],
        user__isnull=True,
        created__gte=datetime.fromisoformat(os.environ["BENCH_SINCE"]),
    ).delete()
"""


def ours_cleanup(source: Path, db_url: str, demo: dict[str, Any], since: str) -> None:
    """Delete the access tokens this run issued, so repeated runs see the same table sizes."""
    env = base_env(
        DATABASE_URL=db_url,
        CIAM_LOG_LEVEL="WARNING",
        BENCH_TENANT=demo["tenant"],
        BENCH_CLIENT_ID=demo["web"]["client_id"],
        BENCH_SINCE=since,
    )
    done = subprocess.run(
        [PYTHON, str(source / "manage.py"), "shell", "-v", "0", "-c", OURS_CLEANUP],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        print(f"  (could not delete this run's tokens: {done.stderr[-500:]})", flush=True)


def run_ours(
    source: Path, db_url: str, demo: dict[str, Any], worker_class: str, args: argparse.Namespace
) -> Measurement:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app_name = f"bench-ours-{worker_class}"
    env = base_env(
        DATABASE_URL=with_query(db_url, application_name=app_name),
        CIAM_BASE_URL=base,
        CIAM_LOG_LEVEL="WARNING",
    )
    if worker_class == "granian":
        argv = granian_argv("ciam_portal.wsgi:application", port, args.workers)
        setup = " ".join(["granian", *argv[1:]]).replace(f" --port {port}", "")
    else:
        argv = gunicorn_argv("ciam_portal.wsgi", port, args.workers, worker_class, args.threads)
        setup = f"gunicorn {worker_class} --workers {args.workers}"
    if worker_class == "gthread":
        setup += f" --threads {args.threads}"
    target = Target(
        token_url=f"{base}/{demo['tenant']}/oauth2/v2.0/token",
        auth=(demo["web"]["client_id"], demo["web"]["client_secret"]),
        form={"grant_type": "client_credentials", "scope": demo["client_credentials_scope"]},
    )
    with (
        running(f"ours-{worker_class}", argv, env, source) as server,
        pg_backends(db_url, app_name) as pg,
    ):
        server.wait_ready(f"{base}/healthz")
        return measure(
            f"ours ({worker_class})", setup, server, target, pg, args, args.requests, args.warmup
        )


def run_dot_default(db_url: str, args: argparse.Namespace) -> Measurement:
    dot_url = replace_database(db_url, "bench_dot")
    ensure_database(dot_url)
    project = BENCH / "dot_default"
    env = base_env(BENCH_DOT_DATABASE_URL=dot_url, PYTHONPATH=str(project))
    client = run_json([PYTHON, "-m", "dotbench.provision"], project, env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env["BENCH_DOT_DATABASE_URL"] = with_query(dot_url, application_name="bench-dot")
    argv = gunicorn_argv("dotbench.wsgi", port, args.workers, "sync", args.threads)
    target = Target(
        token_url=f"{base}{client['token_path']}",
        auth=(client["client_id"], client["client_secret"]),
        form={"grant_type": "client_credentials", "scope": client["scope"]},
    )
    setup = f"gunicorn sync --workers {args.workers}; secret {client['secret_hash']}"
    with (
        running("dot-default", argv, env, project) as server,
        pg_backends(db_url, "bench-dot") as pg,
    ):
        server.wait_ready(f"{base}/o/token/")
        return measure(
            "DOT default", setup, server, target, pg, args, args.dot_requests, args.dot_warmup
        )


def oidc_provider_install() -> tuple[Path, str]:
    folder = WORK / "oidc-provider"
    package = folder / "node_modules" / "oidc-provider" / "package.json"
    if not package.exists():
        print(f"  installing {OIDC_PROVIDER_SPEC} into {folder.relative_to(ROOT)} ...", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(folder),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                OIDC_PROVIDER_SPEC,
            ],
            check=True,
            timeout=600,
        )
    shutil.copy(BENCH / "oidc_provider" / "server.mjs", folder / "server.mjs")
    return folder, str(json.loads(package.read_text())["version"])


def run_oidc_provider(args: argparse.Namespace) -> tuple[Measurement, str]:
    folder, version = oidc_provider_install()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client_id, secret = "bench-client", os.urandom(24).hex()
    resource, scope = "api://bench-api", "Files.Read.All"
    env = base_env(
        PORT=str(port),
        CLIENT_ID=client_id,
        CLIENT_SECRET=secret,
        RESOURCE=resource,
        SCOPE=scope,
        NODE_ENV="production",
    )
    target = Target(
        token_url=f"{base}/token",
        auth=(client_id, secret),
        form={"grant_type": "client_credentials", "resource": resource, "scope": scope},
    )
    node = shutil.which("node") or "node"
    with running("oidc-provider", [node, "server.mjs"], env, folder) as server:
        server.wait_ready(f"{base}/.well-known/openid-configuration")
        measurement = measure(
            "oidc-provider",
            f"node {version}, 1 process, in memory",
            server,
            target,
            None,
            args,
            args.requests,
            args.warmup,
        )
    return measurement, version


@contextlib.contextmanager
def pg_backends(db_url: str, name: str) -> Iterator[PgBackends | None]:
    try:
        pg = PgBackends(replace_database(db_url, "postgres"), name)
    except Exception as exc:  # a server we cannot query: count the web processes only
        print(f"  (PostgreSQL backends not counted: {exc})", flush=True)
        yield None
        return
    try:
        yield pg
    finally:
        pg.close()


# --- report -----------------------------------------------------------------------------------


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def headline_of(results: list[Measurement]) -> Measurement | None:
    """ "ours" in the target lines and ratios: granian as deployed, else the first of ours."""
    ours = [m for m in results if m.name.startswith("ours")]
    return next((m for m in ours if m.name == HEADLINE), ours[0] if ours else None)


def report(results: list[Measurement], args: argparse.Namespace) -> None:
    header = (
        f"{'server':<16} {'ok':>6} {'fail':>4} {'tok/CPU-s':>9} {'+PG':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'RSS MB':>6} {'procs':>5} {'tok/s':>6} {'wall s':>6} "
        f"{'CPU-s':>6} {'PG':>5} {'loadgen':>7} {'other':>6}"
    )
    print()
    print(header)
    print("-" * len(header))
    for m in results:
        load = m.load
        print(
            f"{m.name:<16} {load.ok:>6} {load.failed:>4} {m.per_cpu:>9.1f} "
            f"{fmt(m.per_cpu_with_pg, '.1f'):>7} {load.p50_ms:>7.1f} "
            f"{load.p99_ms:>7.1f} {m.peak_rss_mb:>6.0f} {m.processes:>5} "
            f"{load.ok / load.wall if load.wall else 0:>6.0f} {load.wall:>6.1f} "
            f"{m.web_cpu:>6.2f} {fmt(m.pg_cpu, '.2f'):>5} {load.client_cpu:>7.2f} "
            f"{m.other_cpu:>6.2f}"
        )
    print()
    for m in results:
        print(f"  {m.name}: {m.setup}")
    if args.load == "wrk":
        method = [
            f"load: wrk -t1 -c{args.concurrency} -d{args.duration}s --timeout "
            f"{WRK_TIMEOUT_SECONDS}s --latency -s bench/wrk_token.lua, after a "
            f"{args.warmup_seconds} s warm-up",
            "  and once the server is idle again. ok: 200 responses with an access_token; fail:",
            "  other responses and socket errors. p50/p99: wrk's latency of all its responses.",
            "  loadgen: the CPU of wrk and of this process (the meter) during the run.",
        ]
    else:
        method = [
            f"load: {args.concurrency} client threads of this process (keep-alive requests",
            "  sessions); p50/p99: latency of successful responses. loadgen: this process's CPU.",
        ]
    print(
        "\n".join(
            [
                "",
                *method,
                "tok/CPU-s: successful tokens / CPU seconds (utime+stime, /proc/<pid>/stat)",
                "  of the server's process tree during the run (granian or gunicorn master +",
                "  workers, or the one node process); +PG: the same with the PostgreSQL backends",
                "  that served it added (found by application_name). RSS MB: peak of the summed",
                "  RSS of that tree, sampled every 100 ms (forked workers' shared pages count once",
                "  per process). CPU-s, PG, loadgen, other: CPU seconds during the run of the",
                "  server, its PostgreSQL backends, the load generator, and everything else on the",
                f"  machine; all of them share its {os.cpu_count()} cores.",
            ]
        )
    )
    cores = os.cpu_count() or 1
    busy = [m for m in results if m.load.wall and m.other_cpu > 0.1 * cores * m.load.wall]
    for m in busy:
        print(
            f"NOTE: during '{m.name}' other processes used {m.other_cpu:.1f} of the machine's "
            f"{cores * m.load.wall:.1f} CPU-s: its latency and tokens/s are skewed by them."
        )
    for m in results:
        if m.load.timeouts:
            print(
                f"NOTE: '{m.name}': wrk counted {m.load.timeouts} timeouts (a request still "
                f"unanswered after {WRK_TIMEOUT_SECONDS} s, counted every 2 s while it waits); "
                "not failures: the responses that came are counted."
            )
    headline = headline_of(results)
    if headline is None:
        return
    by_name = {m.name: m for m in results}
    print()
    print(f'"ours" below: {headline.name}')
    for other in ("DOT default", "oidc-provider"):
        base = by_name.get(other)
        if base is None or not base.per_cpu:
            continue
        m = headline
        line = f"ours / {other}: tokens per CPU-second x{m.per_cpu / base.per_cpu:.3g}"
        if m.per_cpu_with_pg is not None and base.per_cpu_with_pg:
            line += f" (with PG x{m.per_cpu_with_pg / base.per_cpu_with_pg:.3g})"
        line += (
            f", p99 x{m.load.p99_ms / base.load.p99_ms:.3g}"
            f", memory x{m.peak_rss_mb / base.peak_rss_mb:.3g}"
        )
        print(line)
    for m in results:
        if m.name.startswith("ours") and m is not headline and headline.per_cpu:
            print(
                f"{m.name} (reference) / ours: tokens per CPU-second "
                f"x{m.per_cpu / headline.per_cpu:.3g}, "
                f"p99 x{m.load.p99_ms / headline.load.p99_ms:.3g}"
            )
    print()
    m = headline
    clients = "connections" if args.load == "wrk" else "clients"
    checks = [
        (
            f"tokens per CPU-second {m.per_cpu:.0f}",
            f">= {TARGET_TOKENS_PER_CPU_S}",
            m.per_cpu >= TARGET_TOKENS_PER_CPU_S,
        ),
        (
            f"p99 {m.load.p99_ms:.1f} ms with {args.concurrency} concurrent {clients}",
            f"< {TARGET_P99_MS} ms",
            m.load.p99_ms < TARGET_P99_MS,
        ),
        (
            f"web processes {m.peak_rss_mb:.0f} MB",
            f"< {TARGET_RSS_MB} MB",
            m.peak_rss_mb < TARGET_RSS_MB,
        ),
        (f"failures {m.load.failed}", "0", m.load.failed == 0),
    ]
    for what, target, met in checks:
        print(f"[ours: {m.name}] {what}: target {target}: {'met' if met else 'NOT met'}")


# --- main -------------------------------------------------------------------------------------


def tool_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "?"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--load",
        choices=["wrk", "python"],
        help="load generator: wrk (the default when installed) or this process's threads",
    )
    parser.add_argument(
        "--concurrency", type=int, default=8, help="wrk connections, or python clients"
    )
    parser.add_argument("--duration", type=int, default=10, help="measured seconds (wrk)")
    parser.add_argument("--warmup-seconds", type=int, default=3, help="warm-up seconds (wrk)")
    parser.add_argument(
        "--requests", type=int, default=2000, help="python: measured requests (all but DOT)"
    )
    parser.add_argument("--warmup", type=int, default=200, help="python: warm-up requests")
    parser.add_argument("--dot-requests", type=int, default=48, help="python: DOT, measured")
    parser.add_argument("--dot-warmup", type=int, default=8, help="python: DOT, warm-up")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="granian / gunicorn worker processes (default: one per core)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--servers",
        default="ours-granian,ours-sync,dot,oidc-provider",
        help="comma-separated subset of ours-granian,ours-sync,ours-gthread,dot,oidc-provider",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=300.0, help="python: time bound of each load phase"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="seconds to wait at most, before each measured phase, for the machine to be quiet",
    )
    parser.add_argument(
        "--ref", help="benchmark this commit (a snapshot under var/bench/src/), not the work tree"
    )
    parser.add_argument(
        "--fresh-db",
        action="store_true",
        help="start the benchmark's embedded PostgreSQL (var/bench/data/) from scratch",
    )
    args = parser.parse_args()
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = set(servers) - {"ours-granian", "ours-sync", "ours-gthread", "dot", "oidc-provider"}
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    args.wrk = wrk_path()
    if args.load is None:
        args.load = "wrk" if args.wrk else "python"
        if not args.wrk:
            print(
                "wrk not found (not on PATH, no /usr/bin/wrk; Debian: apt-get install wrk): "
                "falling back to --load python, whose threads share the cores with the servers",
                flush=True,
            )
    elif args.load == "wrk" and not args.wrk:
        parser.error("--load wrk: wrk not found (not on PATH, no /usr/bin/wrk)")

    # Stop our servers on SIGTERM as on Ctrl-C: the finally blocks run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    source, source_description = product_source(args.ref)
    if args.ref and os.environ.get("DATABASE_URL") and not os.environ.get("CIAM_DATA_DIR"):
        os.environ["CIAM_DATA_DIR"] = str(ROOT / "var")  # the same keys as the working tree
    if args.fresh_db and os.environ.get("DATABASE_URL"):
        parser.error("--fresh-db is for the embedded default, not DATABASE_URL")
    db_url, db_description = database_url(fresh=args.fresh_db)
    import django
    import oauth2_provider

    print(
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, Django {django.__version__}, "
        f"django-oauth-toolkit {oauth2_provider.__version__}, "
        f"{tool_version([str(Path(PYTHON).parent / 'granian'), '--version'])}, "
        f"{tool_version([PYTHON, '-m', 'gunicorn', '--version'])}, "
        f"node {tool_version(['node', '--version'])}"
    )
    print(f"product: {source_description}")
    print(f"database: {db_description}, PostgreSQL {postgres_version(db_url)}")
    if args.load == "wrk":
        wrk_version = " ".join(tool_version([args.wrk, "--version"]).split()[:2])
        print(
            f"load: {wrk_version} ({args.wrk}), 1 thread, {args.concurrency} keep-alive "
            f"connections; {args.warmup_seconds} s warm-up, then {args.duration} s measured"
        )
    else:
        print(
            f"load: {args.concurrency} client threads (keep-alive requests sessions); "
            f"{args.requests} requests (DOT default {args.dot_requests}) after "
            f"{args.warmup} warm-up ({args.dot_warmup})"
        )
    results: list[Measurement] = []
    if any(name.startswith("ours") for name in servers):
        print("ours: ciam_migrate, ciam_demo ...", flush=True)
        demo = ours_prepare(source, db_url)
        since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 1))
        try:
            for worker_class in ("granian", "sync", "gthread"):
                if f"ours-{worker_class}" in servers:
                    results.append(run_ours(source, db_url, demo, worker_class, args))
        finally:
            ours_cleanup(source, db_url, demo, since)
    if "dot" in servers:
        print("DOT default: migrate, provision ...", flush=True)
        results.append(run_dot_default(db_url, args))
    if "oidc-provider" in servers:
        print("oidc-provider ...", flush=True)
        measurement, _version = run_oidc_provider(args)
        results.append(measurement)
    report(results, args)
    return 1 if any(m.load.failed for m in results) else 0


if __name__ == "__main__":
    sys.exit(main())
