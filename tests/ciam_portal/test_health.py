"""Liveness and readiness (ciam_portal/health.py) as a load balancer or an orchestrator asks
them, of a real server: readiness names what is down (the database, Redis) and says so within
its bound; liveness answers whatever is down. With the database unreachable, every other
answer is a 503 to retry (tenants/errors.py)."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.test import Client

from ciam_portal.wsgi import application
from tenants.models import Tenant
from tests.conftest import TENANT_A, in_ci
from tests.factories import live_server

# The port of this suite's own Redis, which the tests stop (never the shared one).
OWN_REDIS_PORT = 6392
NOTHING_KEPT = ("--save", "", "--appendonly", "no")
# A probe's answer comes within the checks' bound (2 s) and some slack for a loaded machine.
PROBE_SECONDS = 5.0
serve = contextmanager(live_server._serve)


def _dead_port() -> int:
    """A loopback port nothing listens on (connections to it are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def probe(url: str, method: str = "GET") -> requests.Response:
    started = time.monotonic()
    answer = requests.request(method, url, timeout=PROBE_SECONDS + 5)
    assert time.monotonic() - started < PROBE_SECONDS, url
    return answer


def _redis_server() -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        if in_ci():
            pytest.fail("redis-server is not installed, and CI must run this test.")
        pytest.skip("redis-server is not installed: readiness with Redis stopped did NOT run.")
    process = subprocess.Popen(
        [binary, "--port", str(OWN_REDIS_PORT), "--bind", "127.0.0.1", *NOTHING_KEPT],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=OWN_REDIS_PORT, socket_timeout=1).ping()
            return process
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def own_redis() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Redis of this test's own on OWN_REDIS_PORT; the test may stop and start it again (the
    list holds the running one); whatever runs at the end is stopped."""
    processes = [_redis_server()]
    try:
        yield processes
    finally:
        for process in processes:
            _stop(process)


def test_ready_names_redis_when_it_stops_and_live_stays_up(
    django_db_setup: None, own_redis: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    redis_url = f"redis://127.0.0.1:{OWN_REDIS_PORT}/0"
    with serve(tmp_path, extra={"REDIS_URL": redis_url}) as base:
        ready = probe(f"{base}/health/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": {"database": "up", "redis": "up"}}
        assert ready.headers["Cache-Control"] == "no-store"

        _stop(own_redis.pop())
        down = probe(f"{base}/health/ready")
        assert down.status_code == 503
        assert down.json() == {
            "status": "unavailable",
            "checks": {"database": "up", "redis": "down"},
            "down": ["redis"],
        }
        assert probe(f"{base}/healthz").status_code == 503  # readiness under its old name
        live = probe(f"{base}/health/live")
        assert (live.status_code, live.json()) == (200, {"status": "live"})

        own_redis.append(_redis_server())
        assert probe(f"{base}/health/ready").status_code == 200


def test_ready_names_the_database_when_it_is_unreachable_and_everything_else_says_retry(
    django_db_setup: None, tmp_path: Path
) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{_dead_port()}/gone"
    extra = {"DATABASE_URL": nowhere}
    with serve(tmp_path, without=("REDIS_URL",), extra=extra, ready_path="/health/live") as base:
        live = probe(f"{base}/health/live")
        assert (live.status_code, live.json()) == (200, {"status": "live"})
        head = probe(f"{base}/health/live", "HEAD")
        assert (head.status_code, head.content) == (200, b"")
        for path in ("/health/ready", "/healthz"):
            down = probe(base + path)
            assert down.status_code == 503
            assert down.json() == {
                "status": "unavailable",
                "checks": {"database": "down"},
                "down": ["database"],
            }

        page = probe(f"{base}/{TENANT_A}/account/login/")
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "5"
        assert "Temporarily unavailable" in page.text
        token = f"{base}/{TENANT_A}/oauth2/v2.0/token"
        for grant in ("client_credentials", "authorization_code"):  # fast path, Django
            form = {"grant_type": grant, "client_id": "x", "client_secret": "y"}
            answer = requests.post(token, data=form, timeout=10)
            assert answer.status_code == 503, grant
            assert answer.headers["Retry-After"] == "5"
            assert answer.json()["error"] == "temporarily_unavailable"
        problem = probe(f"{base}/{TENANT_A}/api/v1/users")
        assert problem.status_code == 503
        assert problem.headers["Content-Type"] == "application/problem+json"
        assert problem.headers["Retry-After"] == "5"


def _get(path: str, host: str = "ciam.example") -> tuple[str, dict[str, str], bytes, bool]:
    """GET `path` of the WSGI entry point, as a probe does; also whether Django's request
    handling took it (its handler announces every request with `request_started`)."""
    captured: dict[str, Any] = {}
    django_saw: list[object] = []

    def start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> None:
        captured["status"], captured["headers"] = status, dict(headers)

    def seen(sender: object, **kwargs: object) -> None:
        django_saw.append(sender)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": host,
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
    }
    request_started.connect(seen)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        request_started.disconnect(seen)
    return captured["status"], captured["headers"], body, WSGIHandler in django_saw


def test_liveness_is_answered_before_django_and_asks_no_database() -> None:
    """No tenant, session, middleware or Host check (a probe names the node's own address), and
    no database: this test may not reach it (pytest-django refuses any query here)."""
    status, headers, body, from_django = _get("/health/live", host="10.0.0.7:8000")
    assert (status, body, from_django) == ("200 OK", b'{"status": "live"}', False)
    assert headers["Cache-Control"] == "no-store"


def test_readiness_through_django_too(tenant_a: Tenant) -> None:
    """The test client and a tenant's `healthz` reach the same checks through Django."""
    for path in ("/health/ready", "/healthz", f"/{tenant_a.domain_name}/healthz"):
        answer = Client().get(path)
        assert answer.status_code == 200, path
        assert answer.json()["status"] == "ready"
        assert answer.json()["checks"]["database"] == "up"
    assert Client().get("/health/live").json() == {"status": "live"}
    assert Client().post("/health/live").status_code == 405
