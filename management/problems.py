"""Every error of the management API as RFC 9457 problem details (`application/problem+json`).

`type` names the kind of problem (a URN of ours; `about:blank` where the status says it all),
`title` is short and the same for every occurrence of the type, `detail` says what happened
this time, `status` repeats the HTTP status. Field errors add `errors`: field → messages. A
server error says nothing about its cause (it is logged, with the request's path).
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from tenants.errors import UNAVAILABLE_RETRY_AFTER_SECONDS, is_unavailability

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

_TYPES: Mapping[int, tuple[str, str]] = {
    400: ("urn:ciam:problem:invalid-request", "The request is not valid."),
    401: ("urn:ciam:problem:unauthenticated", "An app-only access token for this API is needed."),
    403: ("urn:ciam:problem:forbidden", "The calling app may not do this."),
    404: ("about:blank", "Not Found"),
    405: ("about:blank", "Method Not Allowed"),
    406: ("about:blank", "Not Acceptable"),
    409: ("urn:ciam:problem:conflict", "The request conflicts with the resource's state."),
    412: (
        "urn:ciam:problem:precondition-failed",
        "The resource changed since it was read (If-Match).",
    ),
    413: ("about:blank", "Content Too Large"),
    415: ("about:blank", "Unsupported Media Type"),
    428: ("urn:ciam:problem:precondition-required", "Send If-Match with the resource's ETag."),
    429: ("about:blank", "Too Many Requests"),
    500: ("about:blank", "Internal Server Error"),
    503: ("about:blank", "Service Unavailable"),
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the resource's state."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since it was read: read it again and retry."
    default_code = "precondition_failed"


class ContentTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def problem(
    status_code: int, detail: str, *, errors: Mapping[str, list[str]] | None = None
) -> dict[str, object]:
    kind, title = _TYPES.get(status_code, ("about:blank", "Error"))
    body: dict[str, object] = {
        "type": kind,
        "title": title,
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = dict(errors)
    return body


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail, flattened to `field.sub[0]` → messages."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            flat.update(
                _field_errors(value, f"{prefix}.{name}" if prefix and name else name or prefix)
            )
    elif (
        isinstance(detail, list)
        and detail
        and all(not isinstance(item, Mapping | list) for item in detail)
    ):
        flat.setdefault(prefix, []).extend(str(item) for item in detail)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            flat.update(_field_errors(item, f"{prefix}[{index}]"))
    else:
        flat.setdefault(prefix, []).append(str(detail))
    return flat


def django_validation_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            ("" if key == "__all__" else key): [str(message) for message in messages]
            for key, messages in error.message_dict.items()
        }
    return {"": [str(message) for message in error.messages]}


def problem_response(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: the problem details of any exception a view raised."""
    headers: dict[str, str] = {}
    errors: dict[str, list[str]] | None = None
    if isinstance(exc, DjangoValidationError):
        status_code, detail = 400, "Some values are not valid."
        errors = django_validation_errors(exc)
    elif isinstance(exc, Http404):
        status_code, detail = 404, "No such resource."
    elif isinstance(exc, PermissionDenied):
        status_code, detail = 403, _TYPES[403][1]
    elif isinstance(exc, exceptions.ValidationError):
        status_code, detail = 400, "Some values are not valid."
        errors = _field_errors(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        status_code = exc.status_code
        detail = str(exc.detail)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            status_code = 401
            request = context.get("request")
            challenge = 'Bearer realm="management"'
            if "HTTP_AUTHORIZATION" in getattr(request, "META", {}):
                challenge += ', error="invalid_token"'  # RFC 6750 §3.1
            headers["WWW-Authenticate"] = challenge
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
    elif is_unavailability(exc):
        # The database or the cache is unreachable (a restart, a failover): retry, not a bug.
        status_code, detail = 503, "The service is temporarily unavailable; retry later."
        headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    else:
        view = context.get("view")
        logger.error(
            "Management API error in %s", type(view).__name__ if view else "?", exc_info=exc
        )
        status_code, detail = 500, "The server could not complete the request."
    return Response(
        problem(status_code, detail, errors=errors),
        status=status_code,
        headers={**headers, "Cache-Control": "no-store"},
        content_type=PROBLEM_CONTENT_TYPE,
    )


_API_PREFIX = "/api/v1/"
# The customer's own profile (accounts/api.py) speaks OAuth's error format, as before.
_NOT_OURS = frozenset({"/api/v1/me"})


def refusal_body(request: HttpRequest, status_code: int, description: str) -> JsonResponse | None:
    """The request guard's refusal (tenants/request_guard.py) as a problem, for the management
    API's paths (CIAM_REFUSAL_BODIES)."""
    path = request.path_info
    if not hasattr(request, "ciam_tenant"):
        # Raised while routing (the tenant could not be looked up: the database is down, say):
        # the tenant's segment is still in the path.
        path = "/" + path.lstrip("/").partition("/")[2]
    if not path.startswith(_API_PREFIX) or path in _NOT_OURS:
        return None
    return problem_json(request, status_code, description)


def problem_json(request: HttpRequest, status_code: int, detail: str) -> JsonResponse:
    """A problem answered outside DRF's views (an unknown path under /api/v1/)."""
    return JsonResponse(
        problem(status_code, detail),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )
