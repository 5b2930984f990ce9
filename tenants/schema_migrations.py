"""Migrating tenant schemas one at a time, each all or nothing, the migration graph loaded once.

django-tenants' `migrate_schemas` runs Django's whole `migrate` command in every schema: the
graph read from disk again, the system checks, an introspection of every table on the search
path (thousands of schemas' worth in `pg_class`), one transaction per migration. At 10,000
tenants that is hours, and a failure halfway through a plan leaves a schema half-migrated.

A `SchemaMigrator` loads the graph once per process. Per schema it reads that schema's
`django_migrations`, plans from the graph in memory, and runs the whole plan in ONE transaction
(PostgreSQL's DDL is transactional) together with the row that says which state the schema
reached (`SchemaMigrationState`): either every pending migration applies and the row says so,
or nothing changes but the row's error.
"""

import hashlib
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps as installed_apps
from django.db import DatabaseError, connection, router, transaction
from django.db.migrations import Migration
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.db.models.signals import post_migrate, pre_migrate
from django.dispatch import Signal
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from tenants.models import SchemaMigrationState, Tenant
from tenants.schemas import use_schema_for_migrations

MigrationKey = tuple[str, str]

# The first key of the advisory locks taken on a schema while it is migrated ("ciam").
_LOCKS = 0x6369616D

# Rendered project states a process keeps (a few MB each): schemas differ in what they have
# applied only between deploys, so a handful of plans, each with its runnable migrations.
_STATES_REMEMBERED = 16


class Outcome(StrEnum):
    CURRENT = "current"  # nothing to apply; the state row now says so
    MIGRATED = "migrated"
    FAILED = "failed"  # rolled back; the row records the error
    REFUSED = "refused"  # a non-atomic migration in the plan; nothing touched


@dataclass(frozen=True)
class SchemaTask:
    tenant_id: int
    schema_name: str
    domain_name: str


@dataclass(frozen=True)
class SchemaResult:
    task: SchemaTask
    outcome: Outcome
    applied: tuple[str, ...] = ()
    error: str = ""


class MigrationFailed(Exception):
    """A migration of a schema's plan raised; the message names the migration."""


class PartlySquashed(Exception):
    """The schema applied some, not all, of the migrations a squashed one replaces: the graph
    read once for every schema does not hold for it (Django would rebuild it for that schema)."""


def graph_state(leaves: Iterable[MigrationKey]) -> str:
    """The state a fully migrated schema is in: a hash of the graph's leaf nodes. A deploy that
    adds, removes or renames a migration changes a leaf, and so the state every schema must
    reach."""
    text = "\n".join(f"{app}.{name}" for app, name in sorted(leaves))
    return hashlib.sha256(text.encode()).hexdigest()


def schema_tasks_pending(*, state: str) -> tuple[list[SchemaTask], int]:
    """Every tenant's schema whose recorded state is not `state`, and how many are.

    Every status is included. A suspended tenant keeps its schema until its purge, and the
    code that reads it then (the purge, the admin center's view of it) is the new code. A
    `provisioning` row is only ever visible to us after `tenant_create` committed it `ready`,
    or if a creation failed in a way that kept its row: its schema was cloned from the base
    schema, so migrating it is as safe as any.
    """
    tenants = Tenant.objects.exclude(schema_name=get_public_schema_name())
    pending = tenants.exclude(migration_state__state=state).order_by("pk")
    tasks = [
        SchemaTask(tenant_id=pk, schema_name=schema_name, domain_name=domain_name)
        for pk, schema_name, domain_name in pending.values_list("pk", "schema_name", "domain_name")
    ]
    return tasks, tenants.count() - len(tasks)


class SchemaMigrator:
    """Brings one tenant schema at a time to the graph's leaf nodes.

    Build it once per process (it reads the migration files); `migrate` then costs one query
    for a schema already migrated, and for one behind, its migrations plus the signals Django's
    `migrate` sends (pre_migrate, post_migrate: content types and permissions).
    """

    def __init__(self, *, allow_non_atomic: bool = False) -> None:
        self._loader = MigrationLoader(None, ignore_no_migrations=True)
        self._allow_non_atomic = allow_non_atomic
        graph = self._loader.graph
        self.targets: list[MigrationKey] = graph.leaf_nodes()
        self.state = graph_state(self.targets)
        self._full_plan = _forwards_plan(graph, self.targets)
        self._nodes = frozenset(graph.nodes)
        self._starts: dict[frozenset[MigrationKey], list[ProjectState | None]] = {}
        self._prepared: set[MigrationKey] = set()

    def migrate(self, task: SchemaTask) -> SchemaResult:
        """Apply the schema's whole plan in one transaction, with its state row; on any error,
        roll all of it back and record the error instead.

        A plan holding a migration marked `atomic = False` cannot be one transaction: it is
        refused (nothing touched) unless the migrator allows it, when each migration runs in its
        own transaction as Django runs them, and a failure can leave the schema part-way.
        """
        use_schema_for_migrations(task.schema_name)
        try:
            with transaction.atomic():
                applied = self._applied(task.schema_name)
                plan = self._plan(applied)
                non_atomic = [_name(m) for m in plan if not m.atomic]
                if not non_atomic:
                    self._apply(task.schema_name, applied, plan)
                    self._record_state(task)
                    return _result(task, plan)
            if not self._allow_non_atomic:
                reason = f"non-atomic migration(s) {', '.join(non_atomic)}"
                return SchemaResult(task=task, outcome=Outcome.REFUSED, error=reason)
            self._apply(task.schema_name, applied, plan)
            with transaction.atomic():
                self._record_state(task)
            return _result(task, plan)
        except Exception as error:
            # Whatever a migration, a signal's receiver or the database raised, the schema's
            # transaction is rolled back: record why, and go on with the other schemas.
            return self._failed(task, error)

    def _applied(self, schema_name: str) -> frozenset[MigrationKey]:
        """What the schema's own `django_migrations` says (named by schema: public is on the
        search path too, and its table must never answer for a tenant).

        Read under a lock on the schema held to the end of its transaction: a second
        `ciam_migrate` running at the same time waits, then reads what the first committed,
        instead of applying the same plan twice (a data migration has no DDL to collide on).
        """
        table = f"{connection.ops.quote_name(schema_name)}.django_migrations"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCKS, schema_name])
            cursor.execute(f"SELECT app, name FROM {table}")  # noqa: S608 (quoted names)
            applied = {(app, name) for app, name in cursor.fetchall()}
        for key, squashed in self._loader.replacements.items():
            done = [replaced in applied for replaced in squashed.replaces]
            if all(done):
                applied.add(key)
            elif any(done):
                raise PartlySquashed(f"{key[0]}.{key[1]} is partly applied")
        return frozenset(applied & self._nodes)

    def _plan(self, applied: frozenset[MigrationKey]) -> list[Migration]:
        """Django's plan towards the leaf nodes: every unapplied ancestor, dependencies first."""
        nodes = self._loader.graph.nodes
        return [nodes[key] for key in self._full_plan if key not in applied]

    def _apply(
        self, schema_name: str, applied: frozenset[MigrationKey], plan: Sequence[Migration]
    ) -> None:
        """Run the plan's migrations in order and record each.

        A migration of an app the router keeps out of tenant schemas (a shared app's, such as
        the kernel's audit actions) changes nothing in this schema but its row; its operations
        only move the project state on. The states each runnable migration starts from are the
        same for every schema with the same applied migrations: they are rendered for the
        first such schema and cloned for the others (Django renders them again for every
        schema, about a tenth of a second each).
        """
        if not plan:
            return
        runnable = [router.allow_migrate(connection.alias, m.app_label) is not False for m in plan]
        if not any(runnable):
            for migration in plan:
                self._record_applied(schema_name, migration)
            return
        starts = self._starts.get(applied)
        if starts is None:
            starts, state = self._walk(schema_name, applied, plan, runnable)
            self._remember(applied, starts)
        else:
            for migration, start in zip(plan, starts, strict=True):
                if start is None:
                    self._record_applied(schema_name, migration)
                else:
                    state = self._run(schema_name, migration, start.clone())
        state.clear_delayed_apps_cache()
        ran = [migration for migration, yes in zip(plan, runnable, strict=True) if yes]
        _send_to_planned_apps(post_migrate, ran, state)

    def _walk(
        self,
        schema_name: str,
        applied: frozenset[MigrationKey],
        plan: Sequence[Migration],
        runnable: Sequence[bool],
    ) -> tuple[list[ProjectState | None], ProjectState]:
        """Run the whole plan as Django's executor does, keeping the state each runnable
        migration started from; return those and the final state."""
        state = self._state_before(applied)
        self._prepare([m for m, yes in zip(plan, runnable, strict=True) if yes], state)
        starts: list[ProjectState | None] = []
        for migration, yes in zip(plan, runnable, strict=True):
            starts.append(state.clone() if yes else None)
            state = self._run(schema_name, migration, state)
        return starts, state

    def _remember(
        self, applied: frozenset[MigrationKey], starts: list[ProjectState | None]
    ) -> None:
        kept = sum(start is not None for start in starts)
        if kept > _STATES_REMEMBERED:
            return
        held = sum(start is not None for run in self._starts.values() for start in run)
        if held + kept > _STATES_REMEMBERED:
            self._starts.clear()
        self._starts[applied] = starts

    def _run(self, schema_name: str, migration: Migration, state: ProjectState) -> ProjectState:
        # Outside the schema's transaction (a non-atomic plan, allowed), an atomic migration
        # and its row still go together, as in Django's executor.
        alone = migration.atomic and not connection.in_atomic_block
        try:
            with transaction.atomic() if alone else nullcontext():
                with connection.schema_editor(atomic=migration.atomic) as editor:
                    state = migration.apply(state, editor)
                self._record_applied(schema_name, migration)
        except Exception as error:
            # A migration may raise anything: name it in the error the caller records.
            raise MigrationFailed(f"{_name(migration)}: {type(error).__name__}: {error}") from error
        return state

    def _state_before(self, applied: frozenset[MigrationKey]) -> ProjectState:
        """The project state a plan starts from, every model rendered (as Django's executor
        renders it before applying anything)."""
        state = ProjectState(real_apps=self._loader.unmigrated_apps)
        nodes = self._loader.graph.nodes
        for key in self._full_plan:
            if key in applied:
                nodes[key].mutate_state(state, preserve=False)
        state.apps  # noqa: B018 (render every model now)
        return state

    def _prepare(self, plan: Sequence[Migration], state: ProjectState) -> None:
        """Send pre_migrate once per migration in this process: its receiver (content types)
        inserts operations into the migration objects, which this process reuses."""
        fresh = [m for m in plan if (m.app_label, m.name) not in self._prepared]
        if not fresh:
            return
        _send_to_planned_apps(pre_migrate, fresh, state)
        self._prepared.update((m.app_label, m.name) for m in fresh)

    def _record_applied(self, schema_name: str, migration: Migration) -> None:
        """As Django's recorder, without its table introspection: a squashed migration records
        the ones it replaces."""
        keys = list(migration.replaces) or [(migration.app_label, migration.name)]
        table = f"{connection.ops.quote_name(schema_name)}.django_migrations"
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (app, name, applied) VALUES (%s, %s, %s)",  # noqa: S608
                [(app, name, timezone.now()) for app, name in keys],
            )

    def _record_state(self, task: SchemaTask) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_state_table()}"  # noqa: S608
                " (tenant_id, state, migrated_at, error, failed_at)"
                " VALUES (%s, %s, %s, '', NULL) ON CONFLICT (tenant_id) DO UPDATE"
                " SET state = EXCLUDED.state, migrated_at = EXCLUDED.migrated_at,"
                " error = '', failed_at = NULL",
                [task.tenant_id, self.state, timezone.now()],
            )

    def _failed(self, task: SchemaTask, error: Exception) -> SchemaResult:
        """Record the error beside the state the schema still has (its own transaction: the
        plan's was rolled back)."""
        message = (
            str(error) if isinstance(error, MigrationFailed) else f"{type(error).__name__}: {error}"
        )
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {_state_table()}"  # noqa: S608
                    " (tenant_id, state, migrated_at, error, failed_at)"
                    " VALUES (%s, '', NULL, %s, %s) ON CONFLICT (tenant_id) DO UPDATE"
                    " SET error = EXCLUDED.error, failed_at = EXCLUDED.failed_at",
                    [task.tenant_id, message, timezone.now()],
                )
        except DatabaseError as recording_error:
            # The connection itself may be what failed: say so, and let the next schema
            # start on a fresh one.
            message = f"{message} (not recorded: {recording_error})"
            connection.close()
        return SchemaResult(task=task, outcome=Outcome.FAILED, error=message)


def _send_to_planned_apps(signal: Signal, plan: Sequence[Migration], state: ProjectState) -> None:
    """Send pre_migrate or post_migrate as Django's `migrate` does, but only to the apps whose
    migrations are in the plan (Django sends them to every app, on every run).

    Their receivers (content types, permissions) work app by app on that app's models, which
    only its own migrations change: the apps left out have nothing to add. Sending to every app
    cost some seventy queries per schema, most of a small plan's time across 10,000 schemas.
    """
    labels = {migration.app_label for migration in plan}
    pairs = [(migration, False) for migration in plan]
    for app_config in installed_apps.get_app_configs():
        if app_config.models_module is None or app_config.label not in labels:
            continue
        signal.send(
            sender=app_config,
            app_config=app_config,
            verbosity=0,
            interactive=False,
            using=connection.alias,
            apps=state.apps,
            plan=pairs,
        )


def _state_table() -> str:
    """The state table by its public name: the search path holds the tenant's schema first."""
    quote = connection.ops.quote_name
    return f"{quote(get_public_schema_name())}.{quote(SchemaMigrationState._meta.db_table)}"


def _forwards_plan(graph: MigrationGraph, targets: Sequence[MigrationKey]) -> list[MigrationKey]:
    """Every node towards the targets from an empty schema, dependencies first: Django's
    `migration_plan(targets, clean_start=True)`, which a schema's plan filters."""
    plan: list[MigrationKey] = []
    seen: set[MigrationKey] = set()
    for target in targets:
        for key in graph.forwards_plan(target):
            if key not in seen:
                seen.add(key)
                plan.append(key)
    return plan


def _name(migration: Migration) -> str:
    return f"{migration.app_label}.{migration.name}"


def _result(task: SchemaTask, plan: Sequence[Migration]) -> SchemaResult:
    if not plan:
        return SchemaResult(task=task, outcome=Outcome.CURRENT)
    applied = tuple(_name(m) for m in plan)
    return SchemaResult(task=task, outcome=Outcome.MIGRATED, applied=applied)
