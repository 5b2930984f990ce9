"""The web node's WSGI entry point.

Health checks (ciam_portal/health.py) and plain client-credentials token requests, the
product's busiest call, are answered before Django's request handling starts
(apps/oidc/client_credentials.py); everything else is Django. An error on the token path is
answered as Django's handler500 answers the token endpoint: a JSON `server_error`, logged to
`django.request` with its traceback; or, when the database or the cache could not be reached
(tenants/errors.py), a 503 `temporarily_unavailable` with `Retry-After`, for the client to retry.
What Django's outermost middleware does for its requests is done here for these: counted in
the metrics (monitoring/metrics.py) and named by a correlation ID, sent back in X-Request-ID
(tenants/correlation.py).
"""

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")

django_application = get_wsgi_application()

from apps.oidc.client_credentials import TOKEN_HEADERS, wsgi_client_credentials  # noqa: E402
from ciam_portal.health import wsgi_health  # noqa: E402
from monitoring.metrics import HEALTH_FAMILY, TOKEN_FAMILY, request_observe  # noqa: E402
from tenants.correlation import (  # noqa: E402
    REQUEST_ID_HEADER,
    correlation_id_for,
    correlation_scope,
)
from tenants.errors import (  # noqa: E402
    UNAVAILABLE_DESCRIPTION,
    UNAVAILABLE_RETRY_AFTER_SECONDS,
    is_unavailability,
)

_SERVER_ERROR = json.dumps(
    {"error": "server_error", "error_description": "The server could not complete the request."}
).encode()
_UNAVAILABLE = json.dumps(
    {"error": "temporarily_unavailable", "error_description": UNAVAILABLE_DESCRIPTION}
).encode()
_logger = logging.getLogger("django.request")


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    started = time.perf_counter()
    sent = environ.get("HTTP_X_REQUEST_ID")
    with correlation_scope(correlation_id_for(str(sent) if sent else None)) as correlation_id:
        family = HEALTH_FAMILY
        try:
            answered = wsgi_health(environ)
            if answered is None:
                family = TOKEN_FAMILY
                answered = wsgi_client_credentials(environ)
        except Exception as error:
            answered = _failure(error, environ)
        if answered is None:
            # Django's request too, its error logging after the middleware included.
            return django_application(environ, start_response)
    status, headers, body = answered
    start_response(status, [*headers, (REQUEST_ID_HEADER, correlation_id)])
    request_observe(family=family, status=int(status[:3]), seconds=time.perf_counter() - started)
    return [body]


def _failure(error: Exception, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """The answer to a request the paths before Django failed: 503 when the database or the
    cache could not be reached, else 500; logged with its traceback either way."""
    unavailable = is_unavailability(error)
    reason = "Service Unavailable" if unavailable else "Internal Server Error"
    _logger.error("%s: %s", reason, environ.get("PATH_INFO", ""), exc_info=error)
    if unavailable:
        headers = [
            *TOKEN_HEADERS,
            ("Retry-After", str(UNAVAILABLE_RETRY_AFTER_SECONDS)),
            ("Content-Length", str(len(_UNAVAILABLE))),
        ]
        return "503 Service Unavailable", headers, _UNAVAILABLE
    headers = [*TOKEN_HEADERS, ("Content-Length", str(len(_SERVER_ERROR)))]
    return "500 Internal Server Error", headers, _SERVER_ERROR
