"""Migrate everything a deploy needs: the public schema, the base schema new tenants are
cloned from, and every tenant's schema. Run it on every deploy, before the web nodes start.

Tenant schemas are migrated in parallel worker processes, each schema's whole plan in one
transaction with the row that records the state it reached (tenants/schema_migrations.py): a
schema is never left half-migrated, and a rerun after a kill skips the schemas already done.
"""

import os
import sys
import time
from collections import Counter
from typing import Any, TextIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from tenants.migration_workers import schemas_migrate
from tenants.schema_migrations import (
    Outcome,
    SchemaMigrator,
    SchemaResult,
    SchemaTask,
    schema_tasks_pending,
)
from tenants.schema_template import schema_template_refresh
from tenants.schemas import use_public_schema

# A test hook: stop handing out schemas after this many results and wait to be killed, so a
# test can SIGKILL the command halfway through and see the rerun finish only the rest.
PAUSE_AFTER_ENV = "CIAM_MIGRATE_TEST_PAUSE_AFTER"
_PAUSE_SECONDS = 120


class Command(BaseCommand):
    help = (
        "Migrate the public schema, the tenant base schema and every tenant schema "
        "(in parallel; each schema all or nothing; resumable)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="Worker processes migrating tenant schemas (default: the CPU count).",
        )
        parser.add_argument(
            "--stop-at-first-failure",
            action="store_true",
            help="Begin no further tenant schema once one has failed.",
        )
        parser.add_argument(
            "--allow-non-atomic",
            action="store_true",
            help=(
                "Run a plan holding a migration marked atomic = False, one transaction per "
                "migration: a failure can then leave a tenant schema part-way through it."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity: int = options["verbosity"]
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1.")
        self._migrate_public_and_base(verbosity)
        migrator = SchemaMigrator(allow_non_atomic=options["allow_non_atomic"])
        tasks, skipped = schema_tasks_pending(state=migrator.state)
        progress = Progress(sys.stderr, total=len(tasks), enabled=verbosity >= 1)
        results = self._migrate_tenants(
            tasks,
            migrator=migrator,
            processes=options["processes"],
            stop_at_first_failure=options["stop_at_first_failure"],
            progress=progress,
        )
        use_public_schema()
        progress.finish()
        self._report(results, skipped=skipped, total=len(tasks), verbosity=verbosity)

    def _migrate_public_and_base(self, verbosity: int) -> None:
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
        use_public_schema()
        # New tenants are made from a template of the base schema: take it again now.
        schema_template_refresh()

    def _migrate_tenants(
        self,
        tasks: list[SchemaTask],
        *,
        migrator: SchemaMigrator,
        processes: int,
        stop_at_first_failure: bool,
        progress: "Progress",
    ) -> list[SchemaResult]:
        results: list[SchemaResult] = []
        stopping: list[SchemaResult] = []
        pause_after = int(os.environ.get(PAUSE_AFTER_ENV, "0"))
        for result in schemas_migrate(
            tasks, migrator=migrator, processes=processes, stop=lambda: bool(stopping)
        ):
            results.append(result)
            progress.advance(result)
            # A refusal (a non-atomic plan) would be the same in every schema: stop at once.
            if result.outcome is Outcome.REFUSED or (
                stop_at_first_failure and result.outcome is Outcome.FAILED
            ):
                stopping.append(result)
            if pause_after and len(results) == pause_after:
                progress.say(f"paused after {pause_after} schemas ({PAUSE_AFTER_ENV})")
                time.sleep(_PAUSE_SECONDS)
        return results

    def _report(
        self, results: list[SchemaResult], *, skipped: int, total: int, verbosity: int
    ) -> None:
        counts = Counter(r.outcome for r in results)
        if verbosity >= 1:
            self.stdout.write(
                f"Tenant schemas: {counts[Outcome.MIGRATED]} migrated, "
                f"{counts[Outcome.CURRENT]} already current, {skipped} skipped (state recorded), "
                f"{counts[Outcome.FAILED]} failed, {total - len(results)} not begun."
            )
        refused = [r for r in results if r.outcome is Outcome.REFUSED]
        if refused:
            raise CommandError(
                f"Refused: {refused[0].error} cannot run in one transaction per schema. "
                "Rerun with --allow-non-atomic to run them one transaction per migration."
            )
        failed = [r for r in results if r.outcome is Outcome.FAILED]
        for result in failed:
            task = result.task
            self.stderr.write(f"  {task.schema_name} ({task.domain_name}): {result.error}")
        if failed:
            raise CommandError(
                f"{len(failed)} tenant schema(s) failed to migrate and were left as they were; "
                "the others are migrated. Rerun after the fix: only the rest is migrated."
            )
        if len(results) < total:
            raise CommandError(f"{total - len(results)} tenant schema(s) were not begun.")


class Progress:
    """A progress bar on stderr: counts, rate, time left. On a terminal it redraws one line;
    otherwise (a deploy log) it writes a plain line every few seconds, and one at the end."""

    _LINE_SECONDS = 5.0

    def __init__(self, stream: TextIO, *, total: int, enabled: bool) -> None:
        self._stream = stream
        self._total = total
        self._enabled = enabled
        self._tty = stream.isatty()
        self._counts: Counter[Outcome] = Counter()
        self._started = time.monotonic()
        self._last_line = self._started

    def advance(self, result: SchemaResult) -> None:
        self._counts[result.outcome] += 1
        now = time.monotonic()
        if self._tty:
            self._draw("\r")
        elif now - self._last_line >= self._LINE_SECONDS:
            self._draw("")
            self._last_line = now

    def say(self, message: str) -> None:
        if self._enabled:
            self._stream.write(("\n" if self._tty else "") + f"ciam_migrate: {message}\n")
            self._stream.flush()

    def finish(self) -> None:
        self._draw("\r" if self._tty else "")
        if self._enabled and self._tty:
            self._stream.write("\n")

    def _draw(self, start: str) -> None:
        if not self._enabled:
            return
        done = sum(self._counts.values())
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = done / elapsed
        left = (self._total - done) / rate if rate else 0.0
        width = 24
        filled = width * done // self._total if self._total else width
        bar = "#" * filled + "." * (width - filled)
        line = (
            f"tenant schemas [{bar}] {done}/{self._total} "
            f"({self._counts[Outcome.MIGRATED]} migrated, {self._counts[Outcome.CURRENT]} current, "
            f"{self._counts[Outcome.FAILED]} failed) {rate:.0f}/s, "
            f"ETA {_duration(left)}, elapsed {_duration(elapsed)}"
        )
        self._stream.write(start + line + ("" if self._tty else "\n"))
        self._stream.flush()


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
