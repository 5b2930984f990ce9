"""New tenants' schemas are made from a template of the base schema (tenants/schema_template.py):
the same tables, columns, indexes, constraints and migration rows as the base, and a template
taken again when the base schema's migrations change."""

import re

import pytest
from django.conf import settings
from django.db import DataError, connection

from tenants import services
from tenants.models import SchemaTemplate, Tenant
from tenants.schema_template import (
    base_schema_state,
    schema_template_forget,
    schema_template_refresh,
)


def _structure(schema: str) -> dict[str, list[tuple[str, ...]]]:
    """Everything that makes a schema's shape, with the schema's own name taken out."""
    queries = {
        "columns": """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text,
                   coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
            WHERE n.nspname = %s AND c.relkind = 'r'""",
        "indexes": """
            SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s""",
        "constraints": """
            SELECT c.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s""",
        "sequences": """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND c.relkind = 'S'""",
    }
    shape = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [schema])
            shape[name] = sorted(
                tuple(str(value).replace(f"{schema}.", "SCHEMA.") for value in row)
                for row in cursor.fetchall()
            )
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
        shape["migrations"] = sorted(cursor.fetchall())
    return shape


def _spelling(definition: str) -> str:
    """A definition without its casts and parentheses: PostgreSQL prints `x IN ('a', 'b')` the
    way it parsed it, once as a migration wrote it, once as pg_dump printed it back; the same
    condition, spelled with other casts."""
    return re.sub(r"::(text\[\]|text|character varying)|[() ]", "", definition)


def _normalised(shape: dict[str, list[tuple[str, ...]]]) -> dict[str, list[tuple[str, ...]]]:
    return {
        **shape,
        "indexes": [(name, _spelling(text)) for name, text in shape["indexes"]],
        "constraints": [(*row[:3], _spelling(row[3])) for row in shape["constraints"]],
    }


def test_a_new_tenant_schema_has_the_base_schema_s_shape(tenant_a: Tenant) -> None:
    base = _normalised(_structure(settings.TENANT_BASE_SCHEMA))
    tenant = _normalised(_structure(tenant_a.schema_name))
    assert len(base["columns"]) > 400
    assert len(base["indexes"]) > 100
    for part in base:
        assert tenant[part] == base[part], part


def test_a_template_taken_at_another_migration_state_is_taken_again(db: None) -> None:
    schema_template_refresh()
    SchemaTemplate.objects.update(state="a state the base schema is not at", sql="SELECT 1/0;")
    schema_template_forget()  # as a process that has not read it yet
    created = services.tenant_create(
        display_name="Fresh", domain_name="from-a-fresh-template", country="FR", creator=None
    )
    template = SchemaTemplate.objects.get(base_schema=settings.TENANT_BASE_SCHEMA)
    assert template.state == base_schema_state()
    assert "{schema}" in template.sql
    # The base schema is named only where its rows are read from.
    for line in template.sql.splitlines():
        if settings.TENANT_BASE_SCHEMA in line:
            assert f"SELECT * FROM {settings.TENANT_BASE_SCHEMA}." in line
    assert _normalised(_structure(created.schema_name)) == _normalised(
        _structure(settings.TENANT_BASE_SCHEMA)
    )


def test_a_creation_that_fails_leaves_no_schema(db: None) -> None:
    SchemaTemplate.objects.update(sql="CREATE SCHEMA {schema}; SELECT 1/0;")
    state = base_schema_state()
    SchemaTemplate.objects.update(state=state)
    schema_template_forget()
    try:
        with pytest.raises(DataError, match="division by zero"):
            services.tenant_create(
                display_name="Broken", domain_name="broken-template", country="FR", creator=None
            )
    finally:
        schema_template_refresh()
    assert not Tenant.objects.filter(domain_name="broken-template").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_%%'")
        schemas = cursor.fetchone()[0]
    assert schemas == Tenant.objects.count()
