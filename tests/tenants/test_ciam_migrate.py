"""`ciam_migrate` over tenant schemas: in parallel, all or nothing per schema, resumable.

Each test runs the real command in a process of its own (tests/tenants/migrate_settings.py:
the test settings plus a test-only tenant app, tests/tenants/migrate_probe) against the test
database, whose tenants are committed: the session's two and four made here.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tenants.management.commands.ciam_migrate import PAUSE_AFTER_ENV
from tenants.models import SchemaMigrationState, Tenant
from tenants.services import tenant_create
from tests.factories.live_server import ROOT, database_url

PROBE = "migrate_probe"
PROBE_TABLE = "migrate_probe_probe"
EXTRA_TENANTS = ("probe-1", "probe-2", "probe-3", "probe-4")


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def schemas(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Every tenant schema of the test database (six), the four made here dropped at the end."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        for domain_name in EXTRA_TENANTS:
            tenant_create(
                display_name=domain_name, domain_name=domain_name, country="NL", creator=None
            )
        try:
            yield list(Tenant.objects.order_by("pk").values_list("schema_name", flat=True))
        finally:
            _forget_probe()
            for tenant in Tenant.objects.filter(domain_name__in=EXTRA_TENANTS):
                tenant.delete(force_drop=True)


@pytest.fixture
def clean(schemas: list[str], committed_db: None) -> Iterator[list[str]]:
    """Each test starts with no schema knowing the probe app, and leaves none that does."""
    _forget_probe()
    yield schemas
    _forget_probe()


def _forget_probe() -> None:
    connection.set_schema_to_public()
    every = [
        "public",
        settings.TENANT_BASE_SCHEMA,
        *Tenant.objects.values_list("schema_name", flat=True),
    ]
    with connection.cursor() as cursor:
        for schema in every:
            cursor.execute(f'DROP TABLE IF EXISTS "{schema}".{PROBE_TABLE}')
            cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s', [PROBE])  # noqa: S608
    SchemaMigrationState.objects.all().delete()


def ciam_migrate(*args: str, env: dict[str, str] | None = None) -> Run:
    done = subprocess.run(
        [sys.executable, "manage.py", "ciam_migrate", "--processes", "2", *args],
        cwd=ROOT,
        env=_environment(env),
        capture_output=True,
        text=True,
        timeout=180,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def _environment(extra: dict[str, str] | None) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.tenants.migrate_settings",
        "DATABASE_URL": database_url(),
        **(extra or {}),
    }


def probe_migrations(schema: str) -> list[tuple[str, object]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT name, applied FROM "{schema}".django_migrations WHERE app = %s ORDER BY name',  # noqa: S608
            [PROBE],
        )
        return list(cursor.fetchall())


def has_probe_table(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".{PROBE_TABLE}'])
        return cursor.fetchone()[0] is not None


def all_migrations(schema: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY id')  # noqa: S608
        return list(cursor.fetchall())


def test_a_parallel_run_migrates_every_schema_and_shows_its_progress(clean: list[str]) -> None:
    run = ciam_migrate()

    assert run.returncode == 0, run.stderr
    for schema in clean:
        assert [name for name, _ in probe_migrations(schema)] == ["0001_noop", "0002_probe"]
        assert has_probe_table(schema)
    states = set(SchemaMigrationState.objects.values_list("state", flat=True))
    assert len(states) == 1
    assert SchemaMigrationState.objects.count() == len(clean) >= 6
    total = len(clean)
    assert f"tenant schemas [{'#' * 24}] {total}/{total} ({total} migrated, 0 current" in run.stderr
    assert f"Tenant schemas: {total} migrated, 0 already current, 0 skipped" in run.stdout

    again = ciam_migrate()

    assert again.returncode == 0, again.stderr
    assert f"0 migrated, 0 already current, {total} skipped (state recorded)" in again.stdout


def test_a_failing_plan_leaves_its_schema_exactly_as_it_was(clean: list[str]) -> None:
    failing = Tenant.objects.get(domain_name="probe-2").schema_name
    others = len(clean) - 1
    before = all_migrations(failing)

    run = ciam_migrate(env={"CIAM_TEST_PROBE_FAIL_SCHEMA": failing})

    assert run.returncode != 0
    assert f"{failing} (probe-2): migrate_probe.0002_probe: RuntimeError" in run.stderr
    assert "1 tenant schema(s) failed to migrate" in run.stderr
    assert (
        f"{others} migrated, 0 already current, 0 skipped (state recorded), 1 failed" in run.stdout
    )
    # Neither the table 0002 created before failing, nor 0001's row: the whole plan is undone.
    assert all_migrations(failing) == before
    assert not has_probe_table(failing)
    state = SchemaMigrationState.objects.get(tenant__schema_name=failing)
    assert "probe migration fails in" in state.error
    assert state.failed_at is not None
    assert state.state == ""  # the state it had: none recorded yet
    for schema in clean:
        if schema != failing:
            assert len(probe_migrations(schema)) == 2
            assert has_probe_table(schema)

    fixed = ciam_migrate()

    assert fixed.returncode == 0, fixed.stderr
    assert f"1 migrated, 0 already current, {others} skipped (state recorded), 0 failed" in (
        fixed.stdout
    )
    assert has_probe_table(failing)
    assert SchemaMigrationState.objects.get(tenant__schema_name=failing).error == ""


def test_a_killed_run_is_resumed_with_only_the_schemas_it_had_not_done(
    clean: list[str],
) -> None:
    command = subprocess.Popen(
        [sys.executable, "manage.py", "ciam_migrate", "--processes", "2"],
        cwd=ROOT,
        env=_environment({PAUSE_AFTER_ENV: "1"}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: list[int] = []
    try:
        assert command.stderr is not None
        for line in command.stderr:
            if "paused after 1 schemas" in line:
                break
        else:
            pytest.fail("ciam_migrate never paused")
        workers = _children(command.pid)
        assert len(workers) == 2
        command.send_signal(signal.SIGKILL)
        command.wait(timeout=10)
        # Orphaned, each worker ends within a second or so (the schema it was migrating
        # commits first).
        _wait_gone(workers, seconds=15)
    finally:
        command.kill()
        command.wait()
        for pid in workers:
            _kill_if_alive(pid)

    done = {
        state.tenant.schema_name: probe_migrations(state.tenant.schema_name)
        for state in SchemaMigrationState.objects.select_related("tenant")
    }
    # One result reached the parent before it paused; at most two per worker were handed out.
    assert 1 <= len(done) <= 4
    for schema in clean:
        assert len(probe_migrations(schema)) == (2 if schema in done else 0)

    rerun = ciam_migrate()

    assert rerun.returncode == 0, rerun.stderr
    rest = len(clean) - len(done)
    assert f"{rest} migrated, 0 already current, {len(done)} skipped" in rerun.stdout
    # The schemas done before the kill were not touched again.
    for schema, rows in done.items():
        assert probe_migrations(schema) == rows
    for schema in clean:
        assert len(probe_migrations(schema)) == 2


def test_a_plan_with_a_non_atomic_migration_is_refused_unless_allowed(clean: list[str]) -> None:
    env = {"CIAM_TEST_PROBE_MIGRATIONS": "tests.tenants.migrate_probe.migrations_non_atomic"}

    refused = ciam_migrate(env=env)

    assert refused.returncode != 0
    assert "non-atomic migration(s) migrate_probe.0001_non_atomic" in refused.stderr
    assert "--allow-non-atomic" in refused.stderr
    for schema in clean:
        assert probe_migrations(schema) == []

    allowed = ciam_migrate("--allow-non-atomic", env=env)

    assert allowed.returncode == 0, allowed.stderr
    for schema in clean:
        assert [name for name, _ in probe_migrations(schema)] == ["0001_non_atomic"]


def test_a_kernel_migration_is_recorded_in_a_tenant_schema_in_process(clean: list[str]) -> None:
    """A shared app's migration changes nothing in a tenant's schema but its row (the router
    keeps its operations out); here in this process, one schema after another (--processes 1)."""
    schema = clean[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s',  # noqa: S608
            ["tenants", "0022_schema_migration_state"],
        )

    call_command("ciam_migrate", processes=1, verbosity=0)

    connection.set_schema_to_public()
    assert ("tenants", "0022_schema_migration_state") in all_migrations(schema)
    states = SchemaMigrationState.objects.values_list("tenant__schema_name", "state", "error")
    assert {name for name, _, _ in states} == set(clean)
    assert len({state for _, state, _ in states}) == 1
    assert {error for _, _, error in states} == {""}


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def _wait_gone(pids: list[int], *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            pytest.fail(f"workers {pids} outlived their killed parent")
        time.sleep(0.1)


def _kill_if_alive(pid: int) -> None:
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
