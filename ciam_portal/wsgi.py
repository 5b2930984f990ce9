"""The web node's WSGI entry point.

Plain client-credentials token requests, the product's busiest call, are answered before
Django's request handling starts (apps/oidc/client_credentials.py); everything else is Django.
"""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")

django_application = get_wsgi_application()

from apps.oidc.client_credentials import wsgi_client_credentials  # noqa: E402


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    answered = wsgi_client_credentials(environ)
    if answered is None:
        return django_application(environ, start_response)
    status, headers, body = answered
    start_response(status, headers)
    return [body]
