"""The container's entrypoint (`python -m ciam_portal.serve`), run for real on the test database:
`web` serves with several worker processes whose metrics one scrape sums, writes JSON log lines
naming each request, and on SIGTERM finishes the request in flight, refuses new connections
and exits; `worker` on SIGTERM finishes its task and exits; `migrate` migrates.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import requests
from django.db import connections
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tenants import services
from tenants.models import AuditEntry, Tenant
from tenants.tasks import tenants_purge_due
from tests.ciam_portal.test_run import free_port, port_open
from tests.conftest import TENANT_A
from tests.factories.live_server import database_url

ROOT = Path(__file__).resolve().parents[2]
# How long the server may take to leave once its last request is answered.
EXIT_SECONDS = 10


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    log: Path


def serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ciam_portal.settings.test",
        "DATABASE_URL": database_url(),
        "CIAM_EMAIL_DIR": str(tmp_path / "mail"),
        "CIAM_DATA_DIR": str(tmp_path / "data"),
        **extra,
    }


@pytest.fixture
def served(django_db_setup: None, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"
    env = serve_env(
        tmp_path,
        CIAM_BASE_URL=base_url,
        CIAM_HOST="127.0.0.1",
        PORT=str(port),
        CIAM_WEB_WORKERS="2",
        CIAM_WEB_THREADS="2",
        CIAM_WEB_SHUTDOWN_SECONDS="20",
        CIAM_LOG_FORMAT="json",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ciam_portal.serve", "web"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for the clean-up below
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        # Both worker processes started: each has answered (and counted, in a file of its own).
        for _ in range(300):
            if len(list((tmp_path / "metrics").glob("counter_*.db"))) == 2:
                break
            requests.get(f"{base_url}/healthz", timeout=5)
        else:
            pytest.fail("one worker process took every connection")
        yield Served(process=process, base_url=base_url, port=port, log=log)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def health_requests(served: Served) -> float:
    answer = requests.get(f"{served.base_url}/metrics", timeout=5)
    assert answer.status_code == 200
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "ciam_http_requests_total" and sample.labels == {
                "family": "health",
                "status": "2xx",
            }:
                return sample.value
    return 0.0


def stopped(served: Served) -> int:
    """SIGTERM, then the exit status, within EXIT_SECONDS."""
    served.process.send_signal(signal.SIGTERM)
    try:
        return served.process.wait(timeout=EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {EXIT_SECONDS} s after SIGTERM")


def test_web_sums_its_workers_metrics_and_names_each_request_in_json_lines(
    served: Served,
) -> None:
    before = health_requests(served)
    for number in range(20):
        answer = requests.get(
            f"{served.base_url}/healthz", headers={"X-Request-ID": f"probe-{number}"}, timeout=5
        )
        assert answer.headers["X-Request-ID"] == f"probe-{number}"
    # Both worker processes count (the fixture saw to it); whichever answers a scrape reads
    # every worker's counts.
    for _ in range(4):
        assert health_requests(served) - before == 20

    missing = requests.get(
        f"{served.base_url}/no-such-tenant/", headers={"X-Request-ID": "find-me"}, timeout=5
    )
    assert missing.status_code == 404
    assert stopped(served) == 0
    lines = [json.loads(line) for line in served.log.read_text().splitlines() if line[:1] == "{"]
    not_found = [line for line in lines if line.get("message", "").startswith("Not Found")]
    assert not_found, served.log.read_text()[-3000:]
    assert not_found[0]["correlation_id"] == "find-me"
    assert not_found[0]["level"] == "WARNING"
    assert "Traceback" not in served.log.read_text()


@pytest.fixture
def tenants_locked(committed_db: None) -> Iterator[threading.Event]:
    """The tenants table locked by another connection until the event is set: a request that
    resolves a tenant waits on it, a slow request in flight that no product code fakes."""
    release = threading.Event()
    locked = threading.Event()

    def hold() -> None:
        with psycopg.connect(database_url()) as connection, connection.transaction():
            connection.execute("LOCK TABLE tenants_tenant IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        yield release
    finally:
        release.set()
        holder.join(timeout=10)


def waiting_on_the_lock() -> int:
    with psycopg.connect(database_url()) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE '%tenants_tenant%'"
        ).fetchone()
    return int(row[0]) if row else 0


def test_sigterm_lets_the_request_in_flight_finish_refuses_new_ones_and_exits(
    served: Served, tenants_locked: threading.Event
) -> None:
    answers: list[requests.Response] = []
    in_flight = threading.Thread(
        target=lambda: answers.append(
            requests.get(
                f"{served.base_url}/{TENANT_A}/v2.0/.well-known/openid-configuration", timeout=60
            )
        )
    )
    in_flight.start()
    deadline = time.monotonic() + 10
    while waiting_on_the_lock() == 0:
        assert time.monotonic() < deadline, "the request never reached the database"
        time.sleep(0.1)

    served.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 5
    while port_open(served.port):
        assert time.monotonic() < deadline, "still accepting connections 5 s after SIGTERM"
        time.sleep(0.1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{served.base_url}/healthz", timeout=2)
    # Still there: its request is not answered yet.
    time.sleep(1)
    assert served.process.poll() is None
    assert not answers

    tenants_locked.set()
    in_flight.join(timeout=30)
    assert [answer.status_code for answer in answers] == [200]
    assert answers[0].json()["issuer"].endswith(f"/{TENANT_A}/v2.0")
    try:
        assert served.process.wait(timeout=EXIT_SECONDS) == 0
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {EXIT_SECONDS} s after its last request")


def test_migrate_brings_the_database_up_to_date(django_db_setup: None, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ciam_portal.serve", "migrate"],
        cwd=ROOT,
        env=serve_env(tmp_path),
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ciam_portal.serve", "web-server"],
        cwd=ROOT,
        env=serve_env(tmp_path),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert b"web|worker|beat|migrate" in done.stderr


@pytest.mark.redis
def test_sigterm_lets_a_worker_finish_its_task_and_exit(
    redis_broker: str, committed_db: None, tmp_path: Path
) -> None:
    """Warm shutdown: a task running when the worker is told to stop (held on the tenants
    table's lock) still completes, and the worker then exits 0."""
    tenant = services.tenant_create(
        display_name="Stopping worker",
        domain_name=f"stopping-{int(time.time())}",
        country="US",
        creator=None,
    )
    log = tmp_path / "worker.log"
    release = threading.Event()
    try:
        services.tenant_delete(tenant=tenant, actor=None)
        Tenant.objects.filter(pk=tenant.pk).update(
            purge_after=timezone.now() - timedelta(seconds=1)
        )
        connections.close_all()
        with log.open("wb") as output:
            worker = subprocess.Popen(
                [sys.executable, "-m", "ciam_portal.serve", "worker"],
                cwd=ROOT,
                env=serve_env(tmp_path, REDIS_URL=redis_broker, CIAM_WORKER_CONCURRENCY="1"),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 60
            while " ready." not in log.read_text():
                assert worker.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            locked = threading.Event()

            def hold() -> None:
                with psycopg.connect(database_url()) as connection, connection.transaction():
                    connection.execute("LOCK TABLE tenants_tenant IN ACCESS EXCLUSIVE MODE")
                    locked.set()
                    release.wait(timeout=60)

            holder = threading.Thread(target=hold, daemon=True)
            holder.start()
            assert locked.wait(timeout=10)
            tenants_purge_due.delay()
            deadline = time.monotonic() + 30
            while waiting_on_the_lock() == 0:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.1)

            worker.send_signal(signal.SIGTERM)
            time.sleep(1)
            assert worker.poll() is None, "the worker left its task"
            release.set()
            holder.join(timeout=10)
            assert worker.wait(timeout=30) == 0, log.read_text()[-3000:]
        finally:
            release.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        assert not Tenant.objects.filter(pk=tenant.pk).exists(), log.read_text()[-3000:]
    finally:
        for leftover in Tenant.objects.filter(pk=tenant.pk):
            leftover.delete(force_drop=True)
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
        connections.close_all()
