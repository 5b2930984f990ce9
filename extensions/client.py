"""Calling an extension (issue 14): Entra's request envelope, an HTTP POST with the tenant's
bearer token, a deadline for the whole exchange (the extension's timeout, at most 2 s, per
attempt), at most one retry (on a timeout, a failed connection or a 5xx), an answer read up to
64 KB and checked against the event's schema (extensions/schemas.py). Every call is kept for
the replay console (`ExtensionCall`, the last 100 per extension), with one-time codes redacted.

`extension_call` never raises for what the extension does: it returns a `CallResult` whose
`action` is None when the call failed, with the outcome and the reason, and the caller applies
the listener's failure policy.
"""

import copy
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from django.conf import settings
from django.db import connection

from apps.models import AppRegistration
from extensions.models import (
    CALLS_KEPT,
    CallOutcome,
    CustomAuthenticationExtension,
    ExtensionCall,
    ExtensionListener,
)
from extensions.schemas import Action, InvalidResponse, response_action
from extensions.tokens import extension_bearer_token
from tenants.schemas import current_schema_name

logger = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 64 * 1024
REDACTED = "[redacted]"
# Connections to the extensions are pooled per process (keep-alive), 10 hosts.
_pool = urllib3.PoolManager(num_pools=10, maxsize=4, block=False)
_RETRIED = {CallOutcome.TIMEOUT, CallOutcome.UNREACHABLE}


@dataclass(frozen=True)
class CallResult:
    outcome: CallOutcome
    action: Action | None
    error: str
    call: ExtensionCall


@dataclass(frozen=True)
class _Attempt:
    outcome: CallOutcome
    status: int | None
    body: bytes
    error: str


def envelope(
    *,
    extension: CustomAuthenticationExtension,
    listener: ExtensionListener | None,
    tenant_id: str,
    source: str,
    authentication_context: dict[str, Any],
    data: dict[str, Any],
) -> dict[str, Any]:
    """Entra's request: `type`, `source`, and `data` with its `@odata.type`, the tenant, the
    listener and extension IDs, the authentication context, and the event's own fields."""
    event = extension.event
    callout = f"microsoft.graph.on{event[0].upper()}{event[1:]}CalloutData"
    if event == "emailOtpSend":
        callout = "microsoft.graph.onOtpSendCalloutData"
    return {
        "type": f"microsoft.graph.authenticationEvent.{event}",
        "source": source,
        "data": {
            "@odata.type": callout,
            "tenantId": tenant_id,
            "authenticationEventListenerId": str(listener.listener_id) if listener else "",
            "customAuthenticationExtensionId": str(extension.extension_id),
            "authenticationContext": authentication_context,
            **data,
        },
    }


def service_principal(app: AppRegistration | None) -> dict[str, str]:
    """An app as Entra's envelope names it (`clientServicePrincipal`, `resourceServicePrincipal`);
    blank fields when no app is known."""
    if app is None:
        return {"id": "", "appId": "", "appDisplayName": "", "displayName": ""}
    return {
        "id": str(app.object_id),
        "appId": app.client_id,
        "appDisplayName": app.name,
        "displayName": app.name,
    }


def redacted(payload: dict[str, Any]) -> dict[str, Any]:
    """The request as the console keeps it: the one-time code is never stored."""
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("otpContext"), dict):
        return payload  # nothing secret in it: kept as sent
    kept = copy.deepcopy(payload)
    otp = kept.get("data", {}).get("otpContext")
    if isinstance(otp, dict) and "oneTimeCode" in otp:
        otp["oneTimeCode"] = REDACTED
    return kept


class _PastDeadline(Exception):
    pass


def _attempt(extension: CustomAuthenticationExtension, body: bytes, token: str) -> _Attempt:
    """One POST through urllib3's pool (requests' session machinery, its hooks, cookie jar and
    proxy lookups, cost more CPU than the rest of a call; extensions are called directly, not
    through an egress proxy)."""
    timeout = extension.timeout_ms / 1000
    deadline = time.monotonic() + timeout
    try:
        answer = _pool.request(
            "POST",
            extension.target_url,
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            preload_content=False,
            redirect=False,
            retries=False,
        )
        try:
            received = bytearray()
            for chunk in answer.stream(8192):
                received += chunk
                if len(received) > MAX_RESPONSE_BYTES:
                    return _Attempt(
                        CallOutcome.TOO_LARGE,
                        answer.status,
                        bytes(received[:MAX_RESPONSE_BYTES]),
                        f"the answer is larger than {MAX_RESPONSE_BYTES // 1024} KB",
                    )
                if time.monotonic() > deadline:
                    raise _PastDeadline
            if time.monotonic() > deadline:
                raise _PastDeadline
        finally:
            answer.release_conn()
        if answer.status != 200:
            return _Attempt(CallOutcome.ERROR_STATUS, answer.status, bytes(received), "")
        return _Attempt(CallOutcome.OK, 200, bytes(received), "")
    except urllib3.exceptions.NewConnectionError as error:
        # Before the timeouts: urllib3 keeps it a ConnectTimeoutError's subclass, for history.
        return _Attempt(CallOutcome.UNREACHABLE, None, b"", type(error).__name__)
    except (_PastDeadline, urllib3.exceptions.TimeoutError):
        return _Attempt(
            CallOutcome.TIMEOUT, None, b"", f"no answer within {extension.timeout_ms} ms"
        )
    except urllib3.exceptions.HTTPError as error:
        reason = getattr(error, "reason", None)
        if isinstance(reason, urllib3.exceptions.TimeoutError):
            return _Attempt(
                CallOutcome.TIMEOUT, None, b"", f"no answer within {extension.timeout_ms} ms"
            )
        return _Attempt(CallOutcome.UNREACHABLE, None, b"", type(error).__name__)


# The calls beyond the last CALLS_KEPT of one extension, in one statement. Written out: the
# ORM's compilation of the same subquery DELETE cost more CPU than the rest of a call
# (bench/extensions.py).
_TRIM = (
    "DELETE FROM extensions_extensioncall WHERE extension_id = %s AND id <= ("
    "SELECT id FROM extensions_extensioncall WHERE extension_id = %s"
    " ORDER BY occurred_at DESC, id DESC OFFSET %s LIMIT 1)"
)


def _keep(call: ExtensionCall) -> None:
    call.save()
    with connection.cursor() as cursor:
        cursor.execute(_TRIM, [call.extension_id, call.extension_id, CALLS_KEPT])


_gates: dict[str, threading.BoundedSemaphore] = {}
_gates_lock = threading.Lock()


def _tenant_gate() -> threading.BoundedSemaphore:
    """The current tenant's share of this process's extension calls in flight
    (CIAM_EXTENSION_CALLS_PER_TENANT at a time): a tenant whose extension hangs holds at most
    that many of the worker's threads, never all of them."""
    schema = current_schema_name()
    gate = _gates.get(schema)
    if gate is None:
        with _gates_lock:
            gate = _gates.setdefault(
                schema, threading.BoundedSemaphore(settings.CIAM_EXTENSION_CALLS_PER_TENANT)
            )
    return gate


def extension_call(
    *,
    extension: CustomAuthenticationExtension,
    listener: ExtensionListener | None,
    payload: dict[str, Any],
    correlation_id: str = "",
    origin: str = "sign_in",
) -> CallResult:
    """POST `payload` (an `envelope`) to the extension and check its answer (tenant schema)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    token = extension_bearer_token(extension.api_app)
    started = time.monotonic()
    attempts = 0
    gate = _tenant_gate()
    if not gate.acquire(blocking=False):
        # As many of this tenant's calls as a process allows are waiting on extensions already
        # (a slow or hanging one): this one fails at once, under the listener's policy, rather
        # than take one more of the threads every tenant's sign-ins share.
        attempt = _Attempt(
            CallOutcome.BUSY,
            None,
            b"",
            f"{settings.CIAM_EXTENSION_CALLS_PER_TENANT} calls of this tenant already waiting",
        )
    else:
        try:
            while True:
                attempts += 1
                attempt = _attempt(extension, body, token)
                retry = attempt.outcome in _RETRIED or (
                    attempt.outcome == CallOutcome.ERROR_STATUS and (attempt.status or 0) >= 500
                )
                if not retry or attempts > extension.max_retries:
                    break
        finally:
            gate.release()
    outcome, error, action = attempt.outcome, attempt.error, None
    if outcome == CallOutcome.ERROR_STATUS:
        error = f"HTTP {attempt.status}"
    elif outcome == CallOutcome.OK:
        try:
            action = response_action(extension.event, json.loads(attempt.body))
        except (ValueError, UnicodeDecodeError) as problem:
            is_schema = isinstance(problem, InvalidResponse)
            outcome = CallOutcome.INVALID if is_schema else CallOutcome.MALFORMED
            error = str(problem) if is_schema else "the answer is not JSON"
    call = ExtensionCall(
        extension=extension,
        listener=listener,
        correlation_id=correlation_id[:64],
        origin=origin,
        request_body=redacted(payload),
        response_status=attempt.status,
        response_body=attempt.body[:MAX_RESPONSE_BYTES].decode("utf-8", "replace"),
        latency_ms=round((time.monotonic() - started) * 1000),
        attempts=attempts,
        outcome=outcome,
        error=error[:512],
    )
    _keep(call)
    if outcome != CallOutcome.OK:
        logger.warning(
            "Custom extension %s (%s): %s %s", extension.name, extension.event, outcome, error
        )
    return CallResult(outcome=outcome, action=action, error=error, call=call)
