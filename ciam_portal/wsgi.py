"""The web node's WSGI entry point.

Plain client-credentials token requests, the product's busiest call, are answered before
Django's request handling starts (apps/oidc/client_credentials.py); everything else is Django.
An error on that path is answered as Django's handler500 answers the token endpoint: a JSON
`server_error`, logged to `django.request` with its traceback.
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

_SERVER_ERROR = json.dumps(
    {"error": "server_error", "error_description": "The server could not complete the request."}
).encode()
_logger = logging.getLogger("django.request")


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        answered = wsgi_client_credentials(environ)
    except Exception:
        _logger.exception("Internal Server Error: %s", environ.get("PATH_INFO", ""))
        headers = [*TOKEN_HEADERS, ("Content-Length", str(len(_SERVER_ERROR)))]
        start_response("500 Internal Server Error", headers)
        return [_SERVER_ERROR]
    if answered is None:
        return django_application(environ, start_response)
    status, headers, body = answered
    start_response(status, headers)
    return [body]
