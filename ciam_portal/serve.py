"""The container's entrypoint: `python -m ciam_portal.serve web|worker|beat|migrate`.

- `web`: granian with the web node's arguments (ciam_portal.run.web_server_argv) on CIAM_HOST
  (default 0.0.0.0) and PORT (8000), CIAM_WEB_WORKERS processes (default: one per core) of
  CIAM_WEB_THREADS threads (default 1). The node's metrics directory (PROMETHEUS_MULTIPROC_DIR,
  default a fresh folder under the system's temporary one) is emptied first, so a scrape sums
  this node's worker processes and none of an earlier start's.
- `worker`, `beat`: Celery's worker and scheduler, with the app of ciam_portal/celery.py.
- `migrate`: `manage.py ciam_migrate` (the public schema, the base schema, every tenant), a
  one-shot step that the web nodes start after.

The server replaces this process (exec), so the container's stop signal reaches it directly:
granian on SIGTERM stops accepting connections, lets the requests in flight finish (at most
CIAM_WEB_SHUTDOWN_SECONDS, default 25, less than a container runtime's usual 30 s grace) and
exits; a Celery worker on SIGTERM finishes the tasks it runs and takes no other (warm
shutdown). docs/operations.md says more.
"""

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from django.core.management import execute_from_command_line

from ciam_portal.environment import env_int, env_str, metrics_directory
from ciam_portal.run import web_server_argv

ROLES = ("web", "worker", "beat", "migrate")


def web_argv() -> list[str]:
    """granian's command line for this node, from the environment."""
    return [
        *web_server_argv(
            env_str("CIAM_HOST") or "0.0.0.0",  # noqa: S104 (a container listens on all)
            env_int("PORT", 8000),
            env_int("CIAM_WEB_WORKERS", os.cpu_count() or 1),
            env_int("CIAM_WEB_THREADS", 1),
        ),
        # A request still running this long after SIGTERM is cut: the node must leave before
        # the runtime's own deadline kills it without its logs' last lines.
        "--workers-kill-timeout",
        str(env_int("CIAM_WEB_SHUTDOWN_SECONDS", 25)),
    ]


def celery_argv(role: str) -> list[str]:
    """Celery's worker or beat for the product's app. Beat keeps its schedule's state in the
    data folder (CIAM_DATA_DIR)."""
    celery = [str(Path(sys.executable).parent / "celery"), "--app", "ciam_portal", role]
    if role == "beat":
        data = Path(env_str("CIAM_DATA_DIR") or tempfile.gettempdir())
        return [*celery, "--loglevel", "INFO", "--schedule", str(data / "celerybeat-schedule")]
    concurrency = env_int("CIAM_WORKER_CONCURRENCY", 0)
    return [
        *celery,
        "--loglevel",
        "INFO",
        *(["--concurrency", str(concurrency)] if concurrency else []),
    ]


def migrate() -> int:
    """Bring every schema up to date (exits non-zero on a failed migration)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")
    execute_from_command_line(["manage.py", "ciam_migrate"])
    return 0


def main(argv: Sequence[str]) -> int:
    role = argv[0] if argv else ""
    if role not in ROLES:
        print(f"usage: python -m ciam_portal.serve {'|'.join(ROLES)}", file=sys.stderr)  # noqa: T201
        return 2
    if role != "web":
        # Only web nodes are scraped: elsewhere the metrics stay in the process, and no file is
        # written to a directory that the image names but nothing made.
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if role == "migrate":
        return migrate()
    if role == "web":
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(
            metrics_directory(Path(tempfile.gettempdir()) / "ciam-metrics")
        )
        command = web_argv()
    else:
        command = celery_argv(role)
    os.execv(command[0], command)  # noqa: S606 (our own server's path, no shell)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
