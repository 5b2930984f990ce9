"""The web node's WSGI entry point.

Health checks (ciam_portal/health.py) and plain client-credentials token requests, the
product's busiest call, are answered before Django's request handling starts
(apps/oidc/client_credentials.py); everything else is Django. An error on the token path is
answered as Django's handler500 answers the token endpoint: a JSON `server_error`, logged to
`django.request` with its traceback; or, when the database or the cache could not be reached
(tenants/errors.py), a 503 `temporarily_unavailable` with `Retry-After`, for the client to retry.
"""

import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")

django_application = get_wsgi_application()

from apps.oidc.client_credentials import TOKEN_HEADERS, wsgi_client_credentials  # noqa: E402
from ciam_portal.health import wsgi_health  # noqa: E402
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
    try:
        answered = wsgi_health(environ) or wsgi_client_credentials(environ)
    except Exception as error:
        unavailable = is_unavailability(error)
        reason = "Service Unavailable" if unavailable else "Internal Server Error"
        _logger.exception("%s: %s", reason, environ.get("PATH_INFO", ""))
        if unavailable:
            headers = [
                *TOKEN_HEADERS,
                ("Retry-After", str(UNAVAILABLE_RETRY_AFTER_SECONDS)),
                ("Content-Length", str(len(_UNAVAILABLE))),
            ]
            start_response("503 Service Unavailable", headers)
            return [_UNAVAILABLE]
        headers = [*TOKEN_HEADERS, ("Content-Length", str(len(_SERVER_ERROR)))]
        start_response("500 Internal Server Error", headers)
        return [_SERVER_ERROR]
    if answered is None:
        return django_application(environ, start_response)
    status, headers, body = answered
    start_response(status, headers)
    return [body]
