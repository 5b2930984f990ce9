"""Health checks for load balancers and orchestrators.

- **Liveness**, `/health/live`: the process answers. It touches neither PostgreSQL nor Redis,
  so an outage of either never has a healthy web process restarted for it (restarting would
  not bring the database back, and every node would restart at once).
- **Readiness**, `/health/ready`: PostgreSQL answers `SELECT 1` and, when REDIS_URL is set,
  Redis answers PING, each within CHECK_TIMEOUT_SECONDS. 200 `{"status": "ready", "checks":
  {...}}`, else 503 `{"status": "unavailable", "checks": {...}, "down": [...]}` naming what
  is down, so that the balancer sends this node no request that could only fail meanwhile.
- `/healthz`, the check load balancers were given before these (the database only), is
  readiness under its old name; `/<tenant>/healthz` is too, through the tenant's routing.

The WSGI entry answers the three before Django's request handling (`wsgi_health`): no tenant,
no session, no CSRF check, no middleware, and no Host check either, since an orchestrator's
probe names the node's own address. The views below answer the same through Django (the test
client, a tenant's `healthz`).
"""

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from redis.backoff import NoBackoff
from redis.retry import Retry

from tenants.errors import is_unavailability

logger = logging.getLogger(__name__)

# Each check's bound: Redis's connection and answer; the database's connection (the default
# of CIAM_DB_CONNECT_TIMEOUT, ciam_portal/settings/database.py).
CHECK_TIMEOUT_SECONDS = 2
LIVE_PATH = "/health/live"
READY_PATH = "/health/ready"
LEGACY_PATH = "/healthz"
_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]
_REASONS = {200: "200 OK", 503: "503 Service Unavailable"}

Answer = tuple[int, dict[str, Any]]


def liveness() -> Answer:
    """The process runs and answers: nothing else is asked."""
    return 200, {"status": "live"}


def readiness() -> Answer:
    """Whether this node can serve requests now: each backing service it needs, up or down."""
    checks = {"database": _state(_database_check)}
    if settings.REDIS_URL:
        checks["redis"] = _state(_redis_check)
    down = [name for name, state in checks.items() if state != "up"]
    if down:
        return 503, {"status": "unavailable", "checks": checks, "down": down}
    return 200, {"status": "ready", "checks": checks}


def _state(check: Callable[[], None]) -> str:
    """ "up", or "down" when the check raised an error of an unreachable service; any other error
    is a bug and raised."""
    try:
        check()
    except Exception as error:
        if not (isinstance(error, DatabaseError) or is_unavailability(error)):
            raise
        # The class only: a driver's message may name hosts and users.
        logger.warning("Readiness: %s is down (%s)", check.__name__, type(error).__name__)
        return "down"
    return "up"


def _database_check() -> None:
    """`SELECT 1` on the connection requests use, so that a stale connection (a restarted
    server) is found and replaced here as in a request (CONN_HEALTH_CHECKS). Connecting is
    bounded by `connect_timeout` (CIAM_DB_CONNECT_TIMEOUT, CHECK_TIMEOUT_SECONDS by default);
    the statement takes no lock and no time of its own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis_check() -> None:
    _redis_client().ping()


@functools.cache
def _redis_client() -> redis.Redis:
    """One client per process, its connection kept between checks; no retry, so that a check
    takes at most its timeout."""
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


_CHECKS: dict[str, Callable[[], Answer]] = {
    LIVE_PATH: liveness,
    READY_PATH: readiness,
    LEGACY_PATH: readiness,
}


def wsgi_health(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """Answer a GET or HEAD of a health path straight from the WSGI environ, or None to let
    Django handle the request. A check that asks the database does so between the same request
    boundaries as Django's handler: a connection found broken is closed, and the next opened."""
    check = _CHECKS.get(str(environ.get("PATH_INFO", "")))
    if check is None or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return None
    if check is liveness:
        status, body = check()
    else:
        request_started.send(sender=__name__, environ=environ)
        try:
            status, body = check()
        finally:
            request_finished.send(sender=__name__)
    content = b"" if environ["REQUEST_METHOD"] == "HEAD" else json.dumps(body).encode()
    headers = [*_HEADERS, ("Content-Length", str(len(content)))]
    return _REASONS[status], headers, content


@never_cache
@require_safe
def health_live(request: HttpRequest) -> JsonResponse:
    status, body = liveness()
    return JsonResponse(body, status=status)


@never_cache
@require_safe
def health_ready(request: HttpRequest) -> JsonResponse:
    status, body = readiness()
    return JsonResponse(body, status=status)
