"""A real server (granian, as deployed) on the test database, for tests over real HTTP.

What such tests need must be committed (see the `committed_db` fixture): the server is another
process with its own connections.

Two servers can be had: `live_server_url` runs with the environment the tests run with (Redis
as cache and broker when REDIS_URL is set); `embedded_default_server_url` runs without
REDIS_URL, as `make run` does by default, so that its workers share nothing but PostgreSQL.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.db import connection

from ciam_portal.run import web_server_argv

ROOT = Path(__file__).resolve().parents[2]
# `make run` serves with two worker processes by default (CIAM_WEB_WORKERS).
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    """The test database as a URL, for another process (a server, a script) to reach it."""
    db = connection.settings_dict
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host") or ""
    if host.startswith("/"):
        return f"postgresql://{db['USER']}@/{db['NAME']}?host={host}"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{host or '127.0.0.1'}:{port}/{db['NAME']}"


def _serve(
    mail_dir: Path,
    *,
    without: tuple[str, ...] = (),
    extra: dict[str, str] | None = None,
    ready_path: str = "/health/ready",
) -> Iterator[str]:
    """Start granian with WORKERS processes on the test database, wait until it answers
    `ready_path` (readiness; `/health/live` for a server whose database is meant to be down),
    yield its base URL, stop it. Variables named in `without` are left out of its environment,
    those in `extra` added."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **{name: value for name, value in os.environ.items() if name not in without},
        "DJANGO_SETTINGS_MODULE": "ciam_portal.settings.test",
        "DATABASE_URL": database_url(),
        "CIAM_BASE_URL": base_url,
        "CIAM_EMAIL_DIR": str(mail_dir),
        **(extra or {}),
    }
    log_path = ROOT / "var" / f"live-server-{port}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115
    process = subprocess.Popen(
        web_server_argv("127.0.0.1", port, workers=WORKERS),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: its workers are stopped with it
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base_url}{ready_path}", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            _stop_group(process)
            log.close()
            raise RuntimeError(log_path.read_text()[-3000:])
        time.sleep(0.2)
    try:
        yield base_url
    finally:
        _stop_group(process)
        log.close()
        # The log is kept only when the server failed to start (above) — it said why.
        log_path.unlink(missing_ok=True)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop granian, then whatever of its group outlived it: a worker its main process did not
    wait for was left running, orphaned, holding its port and its database connection."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def live_mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the live server writes its email, one file per message (Django's file backend)."""
    return tmp_path_factory.mktemp("live-mail")


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: None, live_mail_dir: Path) -> Iterator[str]:
    yield from _serve(live_mail_dir)


@pytest.fixture(scope="session")
def embedded_default_server_url(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server configured as `make run` is by default: no REDIS_URL, so the only store its
    worker processes share is the database."""
    yield from _serve(tmp_path_factory.mktemp("embedded-mail"), without=("REDIS_URL",))


@pytest.fixture(scope="session")
def bulk_import_server_url(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server that hashes passwords as production does (argon2id first: the imported hashes
    its sign-ins upgrade end as argon2id) and imports in batches of 500 with a pause of 150 ms
    after each, so that a browser sees a 10,000-row import's bar at several places."""
    yield from _serve(
        tmp_path_factory.mktemp("bulk-mail"),
        extra={
            "CIAM_TEST_PRODUCTION_HASHERS": "true",
            "CIAM_BULK_IMPORT_BATCH_ROWS": "500",
            "CIAM_BULK_IMPORT_PAUSE_MS": "150",
        },
    )
