"""A company's OnOtpSend extension on loopback, as Entra's sample writes one (issue 14): it
checks the bearer token (RS256, against the tenant's JWKS, `aud` = its API's app ID, `iss` =
the tenant's issuer, `azp` = our documented caller), "sends" the code by keeping it, and answers
`continueWithDefaultBehavior`. A test reads the code the customer would have received from
`codes`, never from our email; `fault` makes it misbehave."""

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
from extensions.models import CustomAuthenticationExtension, ExtensionEvent, FailurePolicy
from extensions.otp_listeners import otp_listener_set
from extensions.tokens import CALLER_APP_ID
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_issuer

SENT_ANSWER = {
    "data": {
        "@odata.type": "microsoft.graph.OnOtpSendResponseData",
        "actions": [{"@odata.type": "microsoft.graph.OtpSend.continueWithDefaultBehavior"}],
    }
}


class OtpService:
    """The service: `keys` returns the JWKS to check tokens with (the tenant's), `audience` and
    `issuer` what the token must say. Each request is kept in `received` (headers, body, whether
    its token held); each code sent in `codes` by address."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.codes: dict[str, list[str]] = {}
        self.keys: Callable[[], dict[str, Any]] = dict
        self.audience = ""
        self.issuer = ""
        # None: behave; else "500", "slow", "wrong-type", "not-json".
        self.fault: str | None = None
        self.token_error = ""
        service = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                valid = service.token_valid(self.headers.get("Authorization", ""))
                service.received.append(
                    {"headers": dict(self.headers), "body": body, "token_valid": valid}
                )
                if not valid:
                    return self._answer(401, {"error": "invalid token"})
                if service.fault == "500":
                    return self._answer(500, {"error": "provider down"})
                if service.fault == "slow":
                    time.sleep(0.5)
                if service.fault == "not-json":
                    return self._answer(200, b"<html>sent</html>")
                otp = body["data"]["otpContext"]
                service.codes.setdefault(otp["identifier"], []).append(otp["oneTimeCode"])
                answer = json.loads(json.dumps(SENT_ANSWER))
                if service.fault == "wrong-type":
                    answer["data"]["actions"][0]["@odata.type"] = "microsoft.graph.OtpSend.sent"
                return self._answer(200, answer)

            def _answer(self, status: int, body: object) -> None:
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up waiting (a timeout): nothing to answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/otp"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token_valid(self, authorization: str) -> bool:
        token = authorization.removeprefix("Bearer ")
        try:
            kid = jwt.get_unverified_header(token)["kid"]
            (key,) = [key for key in self.keys()["keys"] if key["kid"] == kid]
            claims = jwt.decode(
                token,
                jwt.PyJWK(key).key,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
            )
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            self.token_error = repr(error)
            return False
        return bool(claims.get("azp") == CALLER_APP_ID)

    def last_code(self, email: str) -> str:
        return self.codes[email][-1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def otp_service() -> Iterator[OtpService]:
    running = OtpService()
    yield running
    running.close()


def otp_extension(
    service: OtpService, *, timeout_ms: int = 2000, max_retries: int = 0
) -> CustomAuthenticationExtension:
    """An OnOtpSend extension calling `service`, with its API's app registration (call in the
    tenant's schema); the service checks tokens for that API."""
    api = app_register(name="Email provider API", platform=Platform.DAEMON)
    service.audience = api.client_id
    return CustomAuthenticationExtension.objects.create(
        name="Our email provider",
        event=ExtensionEvent.OTP_SEND,
        target_url=service.url,
        api_app=api,
        timeout_ms=timeout_ms,
        max_retries=max_retries,
    )


def otp_listen(
    tenant: Tenant,
    service: OtpService,
    *,
    policy: str = FailurePolicy.FAIL,
    timeout_ms: int = 2000,
) -> None:
    """Make an OnOtpSend extension calling `service` the tenant's listener, and have the
    service check tokens against the tenant's keys and issuer."""
    with in_tenant(tenant):
        otp_listener_set(
            extension=otp_extension(service, timeout_ms=timeout_ms), failure_policy=policy
        )
        jwks = published_jwks()
    service.keys = lambda: jwks
    service.issuer = tenant_issuer(tenant)
