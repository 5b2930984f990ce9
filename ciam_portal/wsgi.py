"""The web node's WSGI entry point.

Plain client-credentials token requests, the product's busiest call, are answered before
Django's request handling starts (apps/oidc/client_credentials.py); everything else is Django.
An error on that path is answered as Django's handler500 answers the token endpoint: a JSON
`server_error`, logged to `django.request` with its traceback. What Django's outermost
middleware does for its requests is done here for these: counted in the metrics
(monitoring/metrics.py) and named by a correlation ID, sent back in X-Request-ID
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
from monitoring.metrics import TOKEN_FAMILY, request_observe  # noqa: E402
from tenants.correlation import (  # noqa: E402
    REQUEST_ID_HEADER,
    correlation_id_for,
    correlation_scope,
)

_SERVER_ERROR = json.dumps(
    {"error": "server_error", "error_description": "The server could not complete the request."}
).encode()
_logger = logging.getLogger("django.request")


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    started = time.perf_counter()
    sent = environ.get("HTTP_X_REQUEST_ID")
    with correlation_scope(correlation_id_for(str(sent) if sent else None)) as correlation_id:
        try:
            answered = wsgi_client_credentials(environ)
        except Exception:
            _logger.exception("Internal Server Error: %s", environ.get("PATH_INFO", ""))
            headers = [*TOKEN_HEADERS, ("Content-Length", str(len(_SERVER_ERROR)))]
            answered = ("500 Internal Server Error", headers, _SERVER_ERROR)
        if answered is None:
            # Django's request too, its error logging after the middleware included.
            return django_application(environ, start_response)
    status, headers, body = answered
    start_response(status, [*headers, (REQUEST_ID_HEADER, correlation_id)])
    request_observe(
        family=TOKEN_FAMILY, status=int(status[:3]), seconds=time.perf_counter() - started
    )
    return [body]
