"""Running a SchemaMigrator over many tenant schemas in worker processes.

Schemas are independent: each worker process holds one database connection and one migrator
(the migration graph, loaded once, inherited through fork) and migrates the schemas it is
handed. The parent hands out only a few at a time, so that stopping it (the first failure,
SIGKILL) stops the work within a few schemas: what a worker committed is recorded, what it
had not begun stays pending for the next run.
"""

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.context import ForkProcess
from multiprocessing.queues import Queue

from django.db import connections

from tenants.schema_migrations import SchemaMigrator, SchemaResult, SchemaTask
from tenants.schemas import connection_recycle_if_wide

# How many schemas each worker may have queued beyond the one it migrates.
_QUEUED_PER_WORKER = 2
# How often an idle worker checks that its parent still lives, and the parent its workers.
_POLL_SECONDS = 1.0


class WorkerDied(RuntimeError):
    """A worker process ended without answering (killed, out of memory, a bug)."""


def schemas_migrate(
    tasks: Sequence[SchemaTask],
    *,
    migrator: SchemaMigrator,
    processes: int,
    stop: Callable[[], bool],
) -> Iterator[SchemaResult]:
    """Migrate each schema, yielding its result as it comes; once `stop()` says so, begin no
    further schema (those begun still finish). With one process, or one schema, no worker is
    started: the migrator runs here."""
    workers = min(processes, len(tasks))
    if workers <= 1:
        yield from _migrate_here(tasks, migrator=migrator, stop=stop)
    else:
        yield from _migrate_in_workers(tasks, migrator=migrator, workers=workers, stop=stop)


def _migrate_here(
    tasks: Sequence[SchemaTask], *, migrator: SchemaMigrator, stop: Callable[[], bool]
) -> Iterator[SchemaResult]:
    for task in tasks:
        if stop():
            return
        yield migrator.migrate(task)
        connection_recycle_if_wide()


def _migrate_in_workers(
    tasks: Sequence[SchemaTask],
    *,
    migrator: SchemaMigrator,
    workers: int,
    stop: Callable[[], bool],
) -> Iterator[SchemaResult]:
    # Fork, not spawn: the children inherit the loaded graph and the settings as they are (a
    # test database's name included). No connection may cross the fork.
    context = multiprocessing.get_context("fork")
    todo: Queue[SchemaTask | None] = context.Queue()
    done: Queue[SchemaResult] = context.Queue()
    connections.close_all()
    parent = os.getpid()
    processes = [
        context.Process(target=_worker, args=(migrator, todo, done, parent), daemon=True)
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    pending = iter(tasks)
    in_flight = 0
    try:
        while True:
            while in_flight < workers * _QUEUED_PER_WORKER and not stop():
                task = next(pending, None)
                if task is None:
                    break
                todo.put(task)
                in_flight += 1
            if in_flight == 0:
                return
            result = _next_result(done, processes)
            in_flight -= 1
            yield result
    finally:
        for _ in processes:
            todo.put(None)
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()


def _next_result(done: "Queue[SchemaResult]", processes: Sequence[ForkProcess]) -> SchemaResult:
    while True:
        try:
            return done.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            dead = [p for p in processes if not p.is_alive()]
            if dead:
                code = dead[0].exitcode
                raise WorkerDied(f"a migration worker ended with exit code {code}") from None


def _worker(
    migrator: SchemaMigrator,
    todo: "Queue[SchemaTask | None]",
    done: "Queue[SchemaResult]",
    parent: int,
) -> None:
    """Migrate what the parent hands out until it says stop or is gone (a killed parent leaves
    no worker behind beyond the schema it was migrating)."""
    done.cancel_join_thread()
    try:
        while True:
            try:
                task = todo.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if os.getppid() != parent:
                    return
                continue
            if task is None:
                return
            done.put(migrator.migrate(task))
            # A backend's cache of the relations it opened grows with every schema.
            connection_recycle_if_wide()
    finally:
        connections.close_all()
