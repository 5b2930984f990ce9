"""`/metrics`: the Prometheus scrape of a web node (monitoring/metrics.py says what is counted).

Outside every tenant (the public URLconf), and closed unless configured open: the scraper's
own address (REMOTE_ADDR, never a forwarded header) must be in CIAM_METRICS_NETWORKS (default:
loopback only), and when CIAM_METRICS_TOKEN is set the request must carry it as a bearer token.
The numbers name no tenant, but they still tell how busy the deployment is.
"""

import hmac
import ipaddress
import os
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from monitoring.metrics import CeleryQueueCollector, OutboxBacklogCollector

# Read at each scrape, in whichever mode.
_AT_SCRAPE = (CeleryQueueCollector(), OutboxBacklogCollector())


class _ThisProcess:
    """This process's own registry (no multiprocess directory: a test, a single process)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    """What one scrape reads: every worker process's values summed from the node's
    PROMETHEUS_MULTIPROC_DIR when it is set, else this process's, and the scrape-time ones."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # prometheus_client leaves this one constructor untyped.
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    for collector in _AT_SCRAPE:
        registry.register(collector)
    return registry


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _address_allowed(request.META.get("REMOTE_ADDR", "")):
        return HttpResponse(status=403)
    if not _token_matches(request.headers.get("Authorization", "")):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


def _address_allowed(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in settings.CIAM_METRICS_NETWORKS)


def _token_matches(authorization: str) -> bool:
    expected = settings.CIAM_METRICS_TOKEN
    if not expected:
        return True
    scheme, _, sent = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip(), expected)
