"""New tenant schemas made from a template of the base schema: one statement batch, not a clone.

A tenant's schema is a copy of the migrated base schema (settings.TENANT_BASE_SCHEMA): its
tables, indexes, constraints, identity sequences and the rows its migrations wrote
(`django_migrations` among them). django-tenants copies it with a PL/pgSQL function that reads
the catalog table by table through `information_schema`, then runs a (fake) `migrate_schemas`
on the new schema: about a second per tenant with a handful of tenants, and slower as the
catalog grows, since its catalog queries scan every tenant's relations. `pg_dump` of the base
schema is no better at 10,000 tenants: it loads the whole catalog (a minute and 1.3 GB at 4,000).

Here the copy is written once, as SQL, from PostgreSQL's own descriptions of the base schema's
objects (`format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`), read by the
OIDs of the base schema's tables so that every catalog lookup is an index scan however many
tenants there are, and kept in the public schema (SchemaTemplate) with the base schema's
migration state it was taken at. Making a tenant's schema is then that SQL with the schema's
name in place of the base's, sent in one batch inside the creation's transaction: tables, the
base schema's rows copied in, the identity sequences moved past them, then constraints and
indexes. Nothing in it reads the catalog by namespace, so its cost does not grow with the
number of tenants (bench/scale.py).

The template is taken again whenever the base schema's migration state differs from the one it
was taken at (`ciam_migrate` does it after migrating the base schema; a creation that finds it
stale does it itself), so a tenant is never made from an out-of-date copy.
tests/tenants/test_schema_template.py compares a new tenant's schema with the base schema.
"""

import hashlib
import re
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from tenants.models import SchemaTemplate

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


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


_TABLES = """
    SELECT c.oid, c.relname FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s)
      AND c.relkind = 'r' ORDER BY c.relname"""
_COLUMNS = """
    SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
           CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation
    WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attrelid, a.attnum"""
# Primary keys and unique constraints before the foreign keys that need them.
_CONSTRAINTS = """
    SELECT con.conrelid, con.conname, pg_get_constraintdef(con.oid)
    FROM pg_constraint con WHERE con.conrelid = ANY(%s) AND con.contype IN ('p', 'u', 'c', 'f', 'x')
    ORDER BY CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2 WHEN 'c' THEN 3
             ELSE 4 END, con.conrelid, con.conname"""
_INDEXES = """
    SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
    WHERE i.indrelid = ANY(%s) AND NOT EXISTS (
        SELECT 1 FROM pg_constraint con WHERE con.conrelid = i.indrelid
          AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
    ORDER BY i.indrelid, i.indexrelid"""


# Where the batch reads the base schema's rows: the one name of the base schema that must stay.
_BASE_SENTINEL = "@@base@@"


def _quoted(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _describe_base_schema() -> str:
    """The SQL that makes the base schema with its rows, its schema's name as `{schema}`.

    Read with an empty search path, so PostgreSQL qualifies every name of the base schema in
    what it prints (`<base>.<name>`); the base schema's name is then replaced wherever it
    stands as a whole identifier. Braces are doubled so that `str.format` leaves them."""
    base = _base_schema()
    if not _SCHEMA_NAME.match(base):
        raise ValueError(f"Not a schema name: {base!r}")
    statements: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        search_path = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('search_path', '', true)")
        try:
            text = _described(cursor, base, statements)
        finally:
            cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])
    return text


def _described(cursor: Any, base: str, statements: list[str]) -> str:
    """The batch, read through `cursor` (its search path empty)."""
    cursor.execute(_TABLES, [base])
    tables = dict(cursor.fetchall())
    oids = list(tables)
    columns: dict[int, list[str]] = {oid: [] for oid in oids}
    identities: dict[int, list[str]] = {oid: [] for oid in oids}
    cursor.execute(_COLUMNS, [oids])
    for oid, name, kind, not_null, default, identity, generated, collation in cursor:
        column = f"{_quoted(name)} {kind}"
        if collation:
            column += f" COLLATE {_quoted(collation)}"
        if identity:
            always = "ALWAYS" if identity == "a" else "BY DEFAULT"
            column += f" GENERATED {always} AS IDENTITY"
            identities[oid].append(name)
        elif generated == "s":
            column += f" GENERATED ALWAYS AS ({default}) STORED"
        elif default is not None:
            column += f" DEFAULT {default}"
        if not_null:
            column += " NOT NULL"
        columns[oid].append(column)
    with_rows = []
    for oid, table in tables.items():
        qualified = f"{base}.{_quoted(table)}"
        statements.append(f"CREATE TABLE {qualified} ({', '.join(columns[oid])});")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {qualified})")  # noqa: S608
        if cursor.fetchone()[0]:
            with_rows.append((oid, table))
    for oid, table in with_rows:
        # The base schema's rows (django_migrations, what data migrations wrote), read at
        # creation time: the template is only used while the base is at its state.
        target = f"{base}.{_quoted(table)}"
        statements.append(
            f"INSERT INTO {target} OVERRIDING SYSTEM VALUE "  # noqa: S608 (catalog names)
            f"SELECT * FROM {_BASE_SENTINEL}.{_quoted(table)};"
        )
        for name in identities[oid]:
            statements.append(
                f"SELECT setval(pg_get_serial_sequence('{target}', '{name}'), "  # noqa: S608
                f"(SELECT max({_quoted(name)}) FROM {target}));"
            )
    cursor.execute(_CONSTRAINTS, [oids])
    for oid, name, definition in cursor:
        qualified = f"{base}.{_quoted(tables[oid])}"
        statements.append(f"ALTER TABLE {qualified} ADD CONSTRAINT {_quoted(name)} {definition};")
    cursor.execute(_INDEXES, [oids])
    statements.extend(f"{definition};" for (definition,) in cursor)
    text = "\n".join(statements).replace("{", "{{").replace("}", "}}")
    text = re.sub(rf'(?<![\w"]){re.escape(base)}(?=\.)', "{schema}", text)
    return "CREATE SCHEMA {schema};\n" + text.replace(_BASE_SENTINEL, base) + "\n"


def schema_template_refresh() -> SchemaTemplate:
    """Take the template again from the base schema (after migrating it); return it."""
    state = base_schema_state()
    with transaction.atomic():  # the search path set for the reading ends with it
        sql = _describe_base_schema()
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
