"""The product's Prometheus metrics (issue 16): what every web node counts, and what a scrape
reads at that moment. docs/operations.md lists them with their labels.

Labels are few and bounded by construction: an endpoint family (`FAMILIES`), a status class,
a sign-in's kind and reason (monitoring/reasons.py), a grant type from a fixed list. Never a
tenant, a client, a path or an address: a series per tenant would grow with the customers'
number of tenants, and Prometheus keeps every series it has ever seen.

A web node runs several worker processes; with PROMETHEUS_MULTIPROC_DIR set (the entrypoint,
ciam_portal/serve.py, sets it per node) each process writes its values to its own memory-mapped
file there and a scrape of any worker sums them all (prometheus_client's multiprocess mode).
Without it (tests, a shell), the values are this process's.

Counting costs a request a few microseconds: the labelled children are looked up once per
process and kept (`_request_series`), the family is read from the path with a dictionary look-up.
"""

import functools
import importlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Final

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from monitoring.models import SignInKind
from monitoring.reasons import Reason
from tenants.endpoints import AUTHORIZE, JWKS, LOGOUT, METADATA, TOKEN, USERINFO

logger = logging.getLogger(__name__)

TOKEN_FAMILY: Final = "token"
HEALTH_FAMILY: Final = "health"
FAMILIES: Final = (
    TOKEN_FAMILY,
    "authorize",
    "hosted_pages",
    "discovery",
    "userinfo",
    "admin_center",
    "management_api",
    HEALTH_FAMILY,
    "other",
)
# The grant types a token may be issued for (RFC 6749 §4, RFC 8693's token exchange); anything
# else a client sends is counted as "other", so that no client can make up a label value.
GRANT_TYPES: Final = frozenset(
    {
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:device_code",
    }
)
# Latency buckets, in seconds: a token answered from memory takes about a millisecond, a sign-in
# page tens, an argon2id password check a few hundred.
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "ciam_http_requests",
    "HTTP requests answered, by endpoint family and status class.",
    ["family", "status"],
)
REQUEST_SECONDS = Histogram(
    "ciam_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint family.",
    ["family"],
    buckets=_LATENCY_BUCKETS,
)
SIGN_INS = Counter(
    "ciam_sign_ins",
    "Sign-in attempts as the sign-in log records them, by kind and result.",
    ["kind", "result"],
)
TOKENS_ISSUED = Counter(
    "ciam_tokens_issued",
    "Token responses the token endpoint answered with 200, by grant type.",
    ["grant_type"],
)


def endpoint_family(path: str) -> str:
    """The family of a request's full path (`/<tenant>/oauth2/v2.0/token`, `/admin-center/…`),
    one of `FAMILIES`."""
    segment, _, rest = path.lstrip("/").partition("/")
    if segment == "admin-center":
        # The operators' mount of the management API: admin-center/tenants/<id>/api/v1/…
        return "management_api" if "/api/v1/" in rest else "admin_center"
    if segment in {"healthz", "health"}:
        return "health"
    if not segment or segment in settings.CIAM_RESERVED_NAMES or segment == "metrics":
        return "other"
    below = f"/{rest}"
    found = _tenant_paths().get(below)
    if found is not None:
        return found
    if below.startswith("/api/v1/"):
        return "other" if below == "/api/v1/me" else "management_api"
    if below.startswith("/account/") or below == "/":
        return "hosted_pages"
    return "other"


@functools.cache
def _tenant_paths() -> dict[str, str]:
    """The protocol endpoints' paths below a tenant (tenants/endpoints.py), once per process."""
    return {
        TOKEN.path: TOKEN_FAMILY,
        AUTHORIZE.path: "authorize",
        USERINFO.path: "userinfo",
        METADATA.path: "discovery",
        JWKS.path: "discovery",
        LOGOUT.path: "hosted_pages",
        "/healthz": "health",
    }


@functools.cache
def _request_series(family: str, status_class: str) -> tuple[Counter, Histogram]:
    # Bounded: len(FAMILIES) times 5 status classes.
    return REQUESTS.labels(family, status_class), REQUEST_SECONDS.labels(family)


def request_observe(*, family: str, status: int, seconds: float) -> None:
    """Count one answered request and its time."""
    counter, histogram = _request_series(family, f"{min(max(status // 100, 1), 5)}xx")
    counter.inc()
    histogram.observe(seconds)


def sign_in_count(*, kind: SignInKind, reason: Reason) -> None:
    """Count one sign-in attempt (monitoring.records.sign_in_record, for every one it records)."""
    _sign_in_series(str(kind), str(reason)).inc()


@functools.cache
def _sign_in_series(kind: str, reason: str) -> Counter:
    return SIGN_INS.labels(kind, reason)


def token_issued(grant_type: str) -> None:
    """Count one token response (the protocol's token endpoint and its client credentials
    path call it)."""
    _token_series(grant_type if grant_type in GRANT_TYPES else "other").inc()


@functools.cache
def _token_series(grant_type: str) -> Counter:
    return TOKENS_ISSUED.labels(grant_type)


class RequestMetricsMiddleware:
    """Outermost: counts every request Django answers, with its time from here to the answer.
    (The client credentials requests the WSGI entry answers before Django are counted there.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        family = endpoint_family(request.path_info)
        response = self.get_response(request)
        request_observe(
            family=family, status=response.status_code, seconds=time.perf_counter() - started
        )
        return response


# What a scrape reads at that moment (ciam_portal/metrics.py registers them).


class CeleryQueueCollector:
    """`ciam_celery_queue_depth`: the tasks waiting in the broker's default queue (the length of
    its Redis list), read at each scrape. Absent without Redis (tasks then run in the calling
    process: no queue), and absent, with a warning, when Redis does not answer within half a
    second."""

    def collect(self) -> Iterator[Metric]:
        url = settings.REDIS_URL
        if not url:
            return
        queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
        try:
            depth = int(_redis_client(url).llen(queue))
        except redis.RedisError as error:
            logger.warning("Metrics: the Celery queue's length could not be read: %s", error)
            return
        gauge = GaugeMetricFamily(
            "ciam_celery_queue_depth", "Tasks waiting in a Celery queue.", labels=["queue"]
        )
        gauge.add_metric([queue], depth)
        yield gauge


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    """One client (and its connection pool) per process for the scrapes."""
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


class OutboxBacklogCollector:
    """`ciam_outbox_backlog`: the outbox's messages not yet delivered (tenants/outbox.py's
    `outbox_backlog`), read at each scrape; absent in a build without the outbox."""

    def collect(self) -> Iterator[Metric]:
        try:
            # By name, not by an import statement: the outbox is optional to this build, and a
            # missing module must not stop the other metrics.
            outbox = importlib.import_module("tenants.outbox")
        except ImportError:
            return
        backlog: Callable[[], int] = outbox.outbox_backlog
        gauge = GaugeMetricFamily(
            "ciam_outbox_backlog", "Outbox messages not yet delivered.", value=backlog()
        )
        yield gauge
