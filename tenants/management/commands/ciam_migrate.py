"""Migrate everything a deploy needs: the public schema, the base schema new tenants are
cloned from, and every tenant's schema. Run it on every deploy, before the web nodes start."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from tenants.schemas import use_public_schema


class Command(BaseCommand):
    help = "Migrate the public schema, the tenant base schema and every tenant schema."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        base = settings.TENANT_BASE_SCHEMA
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{base}"')
        # The base schema is no tenant row, so a plain `migrate_schemas` would never reach it,
        # and new tenants cloned from a stale base would lack tables their migrations claim.
        call_command(
            "migrate_schemas",
            tenant=True,
            schema_name=base,
            interactive=False,
            verbosity=verbosity,
        )
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        use_public_schema()
