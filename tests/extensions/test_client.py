"""Calling a custom authentication extension (issue 14) against a real HTTP service on
loopback: the envelope, the bearer token the tenant issues (checked with PyJWT against the
tenant's JWKS), the strict schema, and each fault answered by its outcome, never an error."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest

from apps.models import Platform
from apps.services import app_register
from apps.signing import published_jwks
from extensions.client import REDACTED, envelope, extension_call
from extensions.models import (
    CallOutcome,
    CustomAuthenticationExtension,
    ExtensionCall,
    ExtensionEvent,
)
from extensions.tokens import CALLER_APP_ID
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_issuer

Handler = Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]

CLAIMS_ANSWER = {
    "data": {
        "@odata.type": "microsoft.graph.onTokenIssuanceStartResponseData",
        "actions": [
            {
                "@odata.type": "microsoft.graph.tokenIssuanceStart.provideClaimsForToken",
                "claims": {"loyaltyTier": "gold", "roles": ["buyer", "seller"]},
            }
        ],
    }
}


def _json(handler: BaseHTTPRequestHandler, status: int, body: object) -> None:
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


class Service:
    """An extension on loopback: each POST is kept with its headers and answered by `answer`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answer: Handler = lambda handler, _body: _json(handler, 200, CLAIMS_ANSWER)
        service = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                service.received.append({"headers": dict(self.headers), "body": body})
                service.answer(self, body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/claims"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def service() -> Iterator[Service]:
    running = Service()
    yield running
    running.server.shutdown()
    running.server.server_close()


def _extension(service: Service, **fields: Any) -> CustomAuthenticationExtension:
    api = app_register(name="Claims API", platform=Platform.DAEMON)
    return CustomAuthenticationExtension.objects.create(
        name="Loyalty claims",
        event=ExtensionEvent.TOKEN_ISSUANCE_START,
        target_url=service.url,
        api_app=api,
        **fields,
    )


def _payload(extension: CustomAuthenticationExtension, tenant: Tenant) -> dict[str, Any]:
    return envelope(
        extension=extension,
        listener=None,
        tenant_id=str(tenant.tenant_id),
        source=f"/tenants/{tenant.tenant_id}/applications/app",
        authentication_context={"correlationId": "c-1", "protocol": "OAUTH2.0"},
        data={},
    )


def test_a_call_carries_entras_envelope_and_a_token_the_tenant_issued(
    tenant_a: Tenant, service: Service
) -> None:
    with in_tenant(tenant_a):
        extension = _extension(service)
        result = extension_call(
            extension=extension, listener=None, payload=_payload(extension, tenant_a)
        )
        jwks = published_jwks()
    assert result.outcome == CallOutcome.OK
    assert result.action is not None
    assert result.action.claims == {"loyaltyTier": "gold", "roles": ["buyer", "seller"]}
    (call,) = service.received
    body = call["body"]
    assert body["type"] == "microsoft.graph.authenticationEvent.tokenIssuanceStart"
    assert body["data"]["@odata.type"] == "microsoft.graph.onTokenIssuanceStartCalloutData"
    assert body["data"]["customAuthenticationExtensionId"] == str(extension.extension_id)
    token = call["headers"]["Authorization"].removeprefix("Bearer ")
    kid = jwt.get_unverified_header(token)["kid"]
    (key,) = [key for key in jwks["keys"] if key["kid"] == kid]
    claims = jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=extension.api_app.client_id,
        issuer=tenant_issuer(tenant_a),
    )
    assert claims["azp"] == CALLER_APP_ID


def _slow(handler: BaseHTTPRequestHandler, _body: dict[str, Any]) -> None:
    time.sleep(0.6)
    _json(handler, 200, CLAIMS_ANSWER)


def _wrong_type(handler: BaseHTTPRequestHandler, _body: dict[str, Any]) -> None:
    answer = json.loads(json.dumps(CLAIMS_ANSWER))
    answer["data"]["actions"][0]["@odata.type"] = "microsoft.graph.somethingElse"
    _json(handler, 200, answer)


def _wrong_claim(handler: BaseHTTPRequestHandler, _body: dict[str, Any]) -> None:
    answer = json.loads(json.dumps(CLAIMS_ANSWER))
    answer["data"]["actions"][0]["claims"] = {"age": 42}
    _json(handler, 200, answer)


@pytest.mark.parametrize(
    ("answer", "outcome", "attempts"),
    [
        (_slow, CallOutcome.TIMEOUT, 2),
        (
            lambda handler, _body: _json(handler, 500, {"error": "boom"}),
            CallOutcome.ERROR_STATUS,
            2,
        ),
        (lambda handler, _body: _json(handler, 400, {"error": "no"}), CallOutcome.ERROR_STATUS, 1),
        (lambda handler, _body: _json(handler, 200, b"{not json"), CallOutcome.MALFORMED, 1),
        (lambda handler, _body: _json(handler, 200, b"x" * 10_000_000), CallOutcome.TOO_LARGE, 1),
        (_wrong_type, CallOutcome.INVALID, 1),
        (_wrong_claim, CallOutcome.INVALID, 1),
    ],
    ids=["timeout", "500", "400", "malformed", "10MB", "wrong-odata-type", "wrong-claim-type"],
)
def test_each_fault_is_an_outcome_never_an_error(
    tenant_a: Tenant, service: Service, answer: Handler, outcome: CallOutcome, attempts: int
) -> None:
    service.answer = answer
    with in_tenant(tenant_a):
        extension = _extension(service, timeout_ms=300, max_retries=1)
        started = time.monotonic()
        result = extension_call(
            extension=extension, listener=None, payload=_payload(extension, tenant_a)
        )
        elapsed = time.monotonic() - started
        kept = ExtensionCall.objects.get(extension=extension)
    assert result.outcome == outcome, result.error
    assert result.action is None
    assert kept.outcome == outcome
    assert kept.attempts == attempts
    assert len(service.received) == attempts
    assert elapsed < attempts * 0.3 + 0.5  # the deadline holds, retry included


def test_the_console_keeps_the_last_100_calls_without_one_time_codes(
    tenant_a: Tenant, service: Service
) -> None:
    with in_tenant(tenant_a):
        extension = _extension(service)
        payload = _payload(extension, tenant_a)
        payload["data"]["otpContext"] = {"identifier": "ann@example.com", "oneTimeCode": "123456"}
        for _ in range(103):
            extension_call(extension=extension, listener=None, payload=payload)
        kept = list(ExtensionCall.objects.filter(extension=extension))
    assert len(kept) == 100
    assert service.received[0]["body"]["data"]["otpContext"]["oneTimeCode"] == "123456"
    assert {call.request_body["data"]["otpContext"]["oneTimeCode"] for call in kept} == {REDACTED}


def test_a_tenant_holds_at_most_its_share_of_the_threads_waiting_on_extensions(
    tenant_a: Tenant, tenant_b: Tenant, service: Service, settings: Any
) -> None:
    """With CIAM_EXTENSION_CALLS_PER_TENANT of a tenant's calls already waiting on a hanging
    extension, the next one is not sent: it fails at once ("busy", under its listener's
    policy), and another tenant's calls go on."""
    from extensions.client import _tenant_gate

    with in_tenant(tenant_a):
        extension = _extension(service)
        gate = _tenant_gate()
        held = [
            gate.acquire(blocking=False) for _ in range(settings.CIAM_EXTENSION_CALLS_PER_TENANT)
        ]
        assert all(held)  # as many calls as allowed are waiting
        try:
            started = time.monotonic()
            busy = extension_call(
                extension=extension, listener=None, payload=_payload(extension, tenant_a)
            )
            assert time.monotonic() - started < 0.2
        finally:
            for _ in held:
                gate.release()
        after = extension_call(
            extension=extension, listener=None, payload=_payload(extension, tenant_a)
        )
    assert busy.outcome == CallOutcome.BUSY
    assert busy.call.attempts == 0
    assert after.outcome == CallOutcome.OK
    assert len(service.received) == 1  # the busy call was never sent
    with in_tenant(tenant_b):
        other = _extension(service)
        assert (
            extension_call(
                extension=other, listener=None, payload=_payload(other, tenant_b)
            ).outcome
            == CallOutcome.OK
        )
