"""The tenant schema stays a unit Citus's schema-based sharding can distribute (docs/citus.md).

Checked on the real migrated catalogs: the base schema new tenants are cloned from
(settings.TENANT_BASE_SCHEMA) and a tenant made by the fixtures through `tenant_create`. The rules
are Citus's own (12.0+, `EnsureTenantTable` in commands/schema_based_sharding.c, which
`citus_schema_distribute` and CREATE TABLE in a distributed schema both run):

- a distributed schema's table may reference a table of the same schema, or a *reference table*
  in a regular schema; a foreign key to a coordinator-local table ("foreign keys from
  distributed schemas can only point to the same distributed schema or reference tables in
  regular schemas") or to another distributed schema is refused, and so is any foreign key
  from another schema into a distributed one;
- its tables cannot inherit or be inherited, and a partition lives in its parent's schema;
  foreign tables cannot be created in it;
- every table of the schema moves with it (`citus_schema_move`): a sequence owned elsewhere, or a
  view or function that reads another schema, would be left behind or read across nodes.
"""

from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tenants.models import Tenant
from tenants.schemas import in_tenant

# Public tables a tenant table may reference, each with why: under Citus they would become
# reference tables (create_reference_table), copied to every node. None today: contenttypes and
# auth live in every tenant schema too (TENANT_APPS), so no tenant table points at public.
REFERENCE_TABLES: dict[str, str] = {}

_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


@pytest.fixture(params=["base", "tenant"], ids=["base schema", "tenant schema"])
def schema(request: pytest.FixtureRequest, tenant_a: Tenant) -> str:
    """Both schemas Citus would distribute: the template every tenant is cloned from, and a
    tenant cloned from it by the real creation path."""
    return settings.TENANT_BASE_SCHEMA if request.param == "base" else tenant_a.schema_name


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _foreign_keys(schema: str) -> list[tuple[str, str, str, str, str]]:
    """(constraint, referencing schema.table, referenced schema, referenced table) of every
    foreign key with one end in `schema`."""
    return [
        (str(name), str(src_schema), str(src_table), str(dst_schema), str(dst_table))
        for name, src_schema, src_table, dst_schema, dst_table in _rows(
            """
            SELECT con.conname, src_ns.nspname, src.relname, dst_ns.nspname, dst.relname
            FROM pg_constraint con
            JOIN pg_class src ON src.oid = con.conrelid
            JOIN pg_namespace src_ns ON src_ns.oid = src.relnamespace
            JOIN pg_class dst ON dst.oid = con.confrelid
            JOIN pg_namespace dst_ns ON dst_ns.oid = dst.relnamespace
            WHERE con.contype = 'f' AND (src_ns.nspname = %s OR dst_ns.nspname = %s)
            ORDER BY 1
            """,
            [schema, schema],
        )
    ]


def _offending_foreign_keys(schema: str) -> list[str]:
    """The foreign keys Citus would refuse once `schema` is distributed."""
    return [
        f"{name}: {src_schema}.{src_table} -> {dst_schema}.{dst_table}"
        for name, src_schema, src_table, dst_schema, dst_table in _foreign_keys(schema)
        if (src_schema, dst_schema) != (schema, schema)
        and not (src_schema == schema and dst_schema == "public" and dst_table in REFERENCE_TABLES)
    ]


def test_foreign_keys_stay_in_the_schema_or_point_at_reference_tables(schema: str) -> None:
    inside = [key for key in _foreign_keys(schema) if key[1] == key[3] == schema]
    assert len(inside) > 20, "the catalog query finds the schema's own foreign keys"
    offending = _offending_foreign_keys(schema)
    assert offending == [], (
        "Citus refuses these foreign keys of a distributed schema (to a coordinator-local or "
        "another distributed schema's table, or into the schema from outside); make the "
        "referenced public table a reference table (REFERENCE_TABLES, docs/citus.md) or drop "
        "the key: " + "; ".join(offending)
    )


def test_a_foreign_key_to_a_public_table_is_reported(tenant_a: Tenant) -> None:
    """The check is no blank: a customer pointing at the tenants table (rolled back after)."""
    with in_tenant(tenant_a), connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE accounts_user ADD COLUMN home_id bigint "
            "REFERENCES public.tenants_tenant (id)"
        )
    [offending] = _offending_foreign_keys(tenant_a.schema_name)
    assert offending.endswith(f"{tenant_a.schema_name}.accounts_user -> public.tenants_tenant")


def test_the_reference_tables_allowed_exist_in_public(db: None) -> None:
    """The allow-list names real public tables, so that it cannot rot into a blank cheque."""
    public = {
        row[0] for row in _rows("SELECT tablename FROM pg_tables WHERE schemaname = %s", ["public"])
    }
    assert set(REFERENCE_TABLES) <= public
    assert all(why.strip() for why in REFERENCE_TABLES.values())


def test_no_table_inherits_across_schemas_or_is_foreign(schema: str) -> None:
    across = _rows(
        """
        SELECT child_ns.nspname || '.' || child.relname, parent_ns.nspname || '.' || parent.relname,
               child.relispartition
        FROM pg_inherits inh
        JOIN pg_class child ON child.oid = inh.inhrelid
        JOIN pg_namespace child_ns ON child_ns.oid = child.relnamespace
        JOIN pg_class parent ON parent.oid = inh.inhparent
        JOIN pg_namespace parent_ns ON parent_ns.oid = parent.relnamespace
        WHERE (child_ns.nspname = %s OR parent_ns.nspname = %s)
          AND (child_ns.nspname <> parent_ns.nspname OR NOT child.relispartition)
        """,
        [schema, schema],
    )
    assert across == [], (
        f"a partition lives in its parent's schema, and nothing else inherits: {across}"
    )
    foreign = _rows(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind = 'f'
        """,
        [schema],
    )
    assert foreign == [], f"Citus refuses foreign tables in a distributed schema: {foreign}"


def _views_reading_elsewhere(schema: str) -> list[tuple[object, ...]]:
    return _rows(
        """
        SELECT DISTINCT view.relname, read_ns.nspname || '.' || read.relname
        FROM pg_class view
        JOIN pg_namespace view_ns ON view_ns.oid = view.relnamespace
        JOIN pg_rewrite rule ON rule.ev_class = view.oid
        JOIN pg_depend dep ON dep.classid = 'pg_rewrite'::regclass AND dep.objid = rule.oid
             AND dep.refclassid = 'pg_class'::regclass
        JOIN pg_class read ON read.oid = dep.refobjid
        JOIN pg_namespace read_ns ON read_ns.oid = read.relnamespace
        WHERE view_ns.nspname = %s AND view.relkind IN ('v', 'm')
          AND read_ns.nspname <> view_ns.nspname AND read_ns.nspname <> ALL(%s)
        """,
        [schema, list(_SYSTEM_SCHEMAS)],
    )


def test_views_read_only_their_own_schema(schema: str) -> None:
    reads = _views_reading_elsewhere(schema)
    assert reads == [], f"a view in a tenant schema reads another schema: {reads}"


def test_a_view_reading_public_is_reported(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a), connection.cursor() as cursor:
        cursor.execute(
            "CREATE VIEW customers_and_tenants AS SELECT u.id, t.domain_name "
            "FROM accounts_user u, public.tenants_tenant t"
        )
    assert _views_reading_elsewhere(tenant_a.schema_name) == [
        ("customers_and_tenants", "public.tenants_tenant")
    ]


def test_functions_and_triggers_name_no_other_schema(schema: str) -> None:
    """A function's body is text to the catalog (no dependency is recorded for PL/pgSQL), so
    it is searched for every other schema's name; a trigger's function lives in the schema."""
    others = [
        str(row[0])
        for row in _rows(
            "SELECT nspname FROM pg_namespace WHERE nspname <> %s AND nspname <> ALL(%s) "
            "AND nspname NOT LIKE 'pg\\_%%'",
            [schema, list(_SYSTEM_SCHEMAS)],
        )
    ]
    assert "public" in others
    functions = _rows(
        """
        SELECT p.proname, p.prosrc, coalesce(array_to_string(p.proconfig, ','), '')
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s
        """,
        [schema],
    )
    naming = [
        f"{name} names {other}"
        for name, body, config in functions
        for other in others
        if other.lower() in f"{body} {config}".lower()
    ]
    assert naming == [], f"a function in a tenant schema refers to another schema: {naming}"
    triggers = _rows(
        """
        SELECT t.tgname, c.relname, fn_ns.nspname || '.' || fn.proname
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_proc fn ON fn.oid = t.tgfoid
        JOIN pg_namespace fn_ns ON fn_ns.oid = fn.pronamespace
        WHERE n.nspname = %s AND NOT t.tgisinternal AND fn_ns.nspname <> n.nspname
        """,
        [schema],
    )
    assert triggers == [], f"a trigger of a tenant table runs another schema's function: {triggers}"


def test_sequences_are_owned_within_the_schema(schema: str) -> None:
    """Each sequence belongs to a column of a table in the schema (an identity column's, or an
    OWNED BY), and no column default draws from another schema's sequence: the counters move
    with the schema and new tenants start their own."""
    sequences = _rows(
        """
        SELECT s.relname,
               EXISTS (
                   SELECT 1 FROM pg_depend d JOIN pg_class owner ON owner.oid = d.refobjid
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                     AND owner.relnamespace = s.relnamespace AND owner.relkind IN ('r', 'p')
               )
        FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
        WHERE n.nspname = %s AND s.relkind = 'S'
        """,
        [schema],
    )
    assert len(sequences) > 20, "the catalog query found the schema's sequences"
    unowned = [name for name, owned in sequences if not owned]
    assert unowned == [], f"sequences not owned by a table of the schema: {unowned}"
    drawn_elsewhere = _rows(
        """
        SELECT c.relname || '.' || a.attname, seq_ns.nspname || '.' || seq.relname
        FROM pg_attrdef ad
        JOIN pg_class c ON c.oid = ad.adrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
        JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
             AND d.refclassid = 'pg_class'::regclass
        JOIN pg_class seq ON seq.oid = d.refobjid AND seq.relkind = 'S'
        JOIN pg_namespace seq_ns ON seq_ns.oid = seq.relnamespace
        WHERE n.nspname = %s AND seq.relnamespace <> c.relnamespace
        """,
        [schema],
    )
    assert drawn_elsewhere == [], f"defaults drawing from another schema: {drawn_elsewhere}"


def test_every_table_has_a_primary_key(schema: str) -> None:
    """`citus_schema_move` and the rebalancer copy a schema with logical replication while
    writes go on; a table without a replica identity (its primary key) would have its updates
    and deletes refused during the move."""
    keyless = _rows(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
        """,
        [schema],
    )
    assert keyless == [], f"tables without a primary key: {keyless}"
