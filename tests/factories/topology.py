"""A deployment on loopback: nginx in front of two web nodes, with a Celery worker and beat.

As README ("Deploying on several machines") deploys the product: two granian nodes
(`ciam_portal.run.web_server_argv`) with the same environment, sharing one PostgreSQL and one
Redis (cache and broker), behind a load balancer that appends the client's address to
X-Forwarded-For (the nodes trust one proxy, CIAM_TRUSTED_PROXY_COUNT=1); one Celery worker and
one beat. nginx runs with its own configuration, logs and temporary files in a folder of its
own, never the system's.

The nginx configuration (`nginx_conf`) is the one README shows, plus what the tests read: a
response header naming the node that answered (X-Upstream) and an access log with each
request's node(s), status and time.

Used by tests/deployment/test_two_nodes.py (the `two_nodes_topology` fixture,
tests/factories/two_nodes.py), bench/two_nodes.py
and bench/soak.py. Every process is started in its own session and stopped, with its children,
when the topology stops, whatever happened.
"""

import contextlib
import functools
import ipaddress
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import requests
from requests.adapters import HTTPAdapter

from ciam_portal.run import web_server_argv

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# What the access log holds, tab-separated: when the request ended (s), its method and path,
# nginx's status, the node(s) tried (comma-separated when nginx went on to the next one) and
# their statuses, and the whole request's time (s).
_LOG_FORMAT = (
    "$msec\\t$request_method\\t$uri\\t$status\\t$upstream_addr\\t$upstream_status\\t$request_time"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_conf(*, listen: int, nodes: list[int], folder: Path) -> str:
    """The load balancer's configuration: round-robin over the nodes, next node on a failed
    connection, a timeout, or a 502/503, never for a request a node may already have acted on.

    - `proxy_next_upstream error timeout http_502 http_503`: a node that is stopping refuses
      connections (error), and a request waiting for it is answered by the other node.
      A POST (the password, the code exchange) is passed on to the next node only if no node
      received it: nginx never repeats a non-idempotent request unless told `non_idempotent`,
      which is left out on purpose: a code exchanged twice revokes the tokens of the first
      exchange (RFC 6749 §4.1.2).
    - short connect timeout (1 s: loopback, or a LAN), `max_fails=1 fail_timeout=5s`: a node
      that refused one connection gets none for 5 s, then one to try again.
    - X-Forwarded-For gets the client's address appended (`$proxy_add_x_forwarded_for`): the
      nodes read the entry their one trusted proxy added (CIAM_TRUSTED_PROXY_COUNT=1), never
      one the client wrote. X-Forwarded-Proto says the scheme nginx was reached with
      (CIAM_BEHIND_TLS_PROXY=1 trusts it when nginx terminates TLS; here it is plain HTTP).
    - no keep-alive to the nodes: a connection nginx kept to a node that then stopped fails
      only once the request is written, and a POST is not repeated (above).
    """
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in nodes
    )
    temp = "\n".join(
        f"    {kind}_temp_path {folder / (kind + '_temp')};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # The worker processes run as this process's user: as root, nginx would switch them to
    # `nobody`, who cannot enter a test's private temporary folder.
    user = pwd.getpwuid(os.geteuid()).pw_name
    return f"""\
user {user};
worker_processes 1;
daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
{temp}
    log_format nodes "{_LOG_FORMAT}";
    access_log {folder / "access.log"} nodes;
    upstream ciam {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{listen};
        client_max_body_size 10m;
        location / {{
            proxy_pass http://ciam;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 1s;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_next_upstream_timeout 10s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Served:
    """One request as nginx's access log has it."""

    at: float
    method: str
    path: str
    status: int
    nodes: tuple[str, ...]  # host:port of each node tried, in order
    seconds: float

    @property
    def node(self) -> str:
        """The node that answered (the last one tried)."""
        return self.nodes[-1] if self.nodes else ""


class Process:
    """A child process in its own session, its output in a log file; stopped with its group."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log_path = log
        self._log = log.open("w")
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def terminate(self) -> None:
        """SIGTERM to the process itself, as an orchestrator stops a service's main process."""
        if self.running():
            self.popen.send_signal(signal.SIGTERM)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM, then SIGKILL to the whole group after `grace` seconds; children included."""
        self.terminate()
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)
        # Children a master left behind are in its group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self._log.close()


@dataclass
class Topology:
    """The running deployment: `base_url` is nginx's; `nodes` the two web nodes' processes."""

    folder: Path
    base_url: str
    node_ports: list[int]
    nodes: list[Process]
    worker: Process
    beat: Process
    nginx: Process

    def node_address(self, index: int) -> str:
        return f"127.0.0.1:{self.node_ports[index]}"

    def node_url(self, index: int) -> str:
        """A node's own URL, past nginx (for what must reach one node in particular)."""
        return f"http://{self.node_address(index)}"

    def node_stop(self, index: int) -> float:
        """SIGTERM one node's granian master, as an orchestrator does; the time it was sent."""
        at = time.time()
        self.nodes[index].terminate()
        return at

    def served(self) -> list[Served]:
        """Every request nginx has logged so far."""
        lines = (self.folder / "access.log").read_text().splitlines()
        return [_served(line) for line in lines if line.count("\t") == 6]

    def processes(self) -> dict[str, int]:
        """Name → pid of each long-running process (granian masters; Celery worker, beat)."""
        named = {f"node{n + 1}": node.pid for n, node in enumerate(self.nodes)}
        return {**named, "celery-worker": self.worker.pid, "celery-beat": self.beat.pid}


def _served(line: str) -> Served:
    at, method, path, status, upstreams, _statuses, seconds = line.split("\t")
    # "a, b" when nginx went on to the next node; "a : b" across internal redirects.
    nodes = tuple(
        part.strip() for part in upstreams.replace(" : ", ", ").split(",") if part.strip()
    )
    return Served(
        at=float(at),
        method=method,
        path=path,
        status=int(status),
        nodes=tuple(node for node in nodes if node != "-"),
        seconds=float(seconds),
    )


def _wait_until(check: Callable[[], bool], what: Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if not what.running() or time.monotonic() > deadline:
            raise RuntimeError(f"{what.name} did not start:\n{what.log_tail()}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _worker_answers(env: dict[str, str], hostname: str) -> bool:
    pinged = subprocess.run(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ciam_portal",
            "inspect",
            "ping",
            "-d",
            hostname,
            "--timeout",
            "2",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return pinged.returncode == 0 and "pong" in pinged.stdout


@contextlib.contextmanager
def two_nodes(env: dict[str, str], folder: Path, *, workers: int = 1) -> Iterator[Topology]:
    """Start the deployment with `env` (DATABASE_URL, REDIS_URL, DJANGO_SETTINGS_MODULE, …),
    each node with `workers` granian workers; wait until every part answers; stop it all on
    leaving. CIAM_BASE_URL is nginx's address, CIAM_TRUSTED_PROXY_COUNT 1, on every process."""
    if not env.get("REDIS_URL"):
        raise ValueError("two nodes share their cache and broker through Redis: set REDIS_URL")
    folder.mkdir(parents=True, exist_ok=True)
    listen, ports = free_port(), [free_port(), free_port()]
    base_url = f"http://127.0.0.1:{listen}"
    env = {**env, "CIAM_BASE_URL": base_url, "CIAM_TRUSTED_PROXY_COUNT": "1"}
    started: list[Process] = []

    def start(name: str, argv: list[str]) -> Process:
        process = Process(name, argv, env, folder / f"{name}.log")
        started.append(process)
        return process

    try:
        nodes = [
            start(f"node{n + 1}", web_server_argv("127.0.0.1", port, workers))
            for n, port in enumerate(ports)
        ]
        celery = [sys.executable, "-m", "celery", "-A", "ciam_portal"]
        hostname = f"topology-{listen}@localhost"
        worker = start(
            "celery-worker",
            [
                *celery,
                "worker",
                "--pool",
                "solo",
                "--hostname",
                hostname,
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        beat = start(
            "celery-beat",
            [
                *celery,
                "beat",
                "--schedule",
                str(folder / "beat-schedule"),
                "--pidfile",
                str(folder / "beat.pid"),
                "--loglevel",
                "WARNING",
            ],
        )
        (folder / "nginx.conf").write_text(nginx_conf(listen=listen, nodes=ports, folder=folder))
        nginx = start(
            "nginx",
            [
                NGINX,
                "-c",
                str(folder / "nginx.conf"),
                "-p",
                str(folder),
                "-e",
                str(folder / "error.log"),
            ],
        )
        for node, port in zip(nodes, ports, strict=True):
            _wait_until(functools.partial(_answers, f"http://127.0.0.1:{port}/healthz"), node, 60)
        _wait_until(lambda: _answers(f"{base_url}/healthz"), nginx, 10)
        _wait_until(lambda: _worker_answers(env, hostname), worker, 60)
        if not beat.running():
            raise RuntimeError(f"celery beat exited:\n{beat.log_tail()}")
        yield Topology(
            folder=folder,
            base_url=base_url,
            node_ports=ports,
            nodes=nodes,
            worker=worker,
            beat=beat,
            nginx=nginx,
        )
    finally:
        for process in reversed(started):
            process.stop()


class _FromAddress(HTTPAdapter):
    """Connections from one loopback address (any of 127.0.0.0/8 is this host's on Linux), so
    that nginx sees, and appends to X-Forwarded-For, a client address of the test's choosing."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser_from(address: str = "127.0.0.1") -> requests.Session:
    """A new browser whose connections come from `address` (a 127.x.y.z)."""
    browser = requests.Session()
    browser.mount("http://", _FromAddress(address))
    return browser


class ClientAddresses:
    """Distinct loopback addresses for the browsers of a load, one per sign-in, from 127.1.0.1
    on (wrapping within 127.0.0.0/8): allauth allows 30 sign-ins a minute from one address,
    which one address through nginx would exhaust at once. Thread-safe."""

    def __init__(self) -> None:
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            number = next(self._numbers) % (1 << 23)
        return str(ipaddress.IPv4Address("127.1.0.1") + number)


def topology_unavailable() -> str | None:
    """Why the topology cannot run here (no nginx, no REDIS_URL, Redis not answering), or None."""
    if not Path(NGINX).exists():
        return f"nginx is not installed ({NGINX}; Debian: apt-get install nginx-light)"
    url = os.environ.get("REDIS_URL")
    if not url:
        return "REDIS_URL is not set: two nodes share their cache and broker through Redis"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return f"Redis is not reachable at {url}"
    return None
