"""An OpenID Provider on 127.0.0.1 in a thread: serves whatever discovery documents a test
sets, so metadata fetching is tested over real HTTP (timeouts, sizes, redirects)."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ProviderServer:
    """`base`: http://127.0.0.1:<port>. `answers`: path → what it answers (404 otherwise)."""

    base: str
    answers: dict[str, Answer]

    def issuer(self, name: str = "idp") -> str:
        return f"{self.base}/{name}"

    def well_known_url(self, name: str = "idp") -> str:
        return f"{self.issuer(name)}{WELL_KNOWN}"

    def document(self, name: str = "idp", **overrides: object) -> dict[str, object]:
        issuer = self.issuer(name)
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/keys",
            "response_types_supported": ["code", "id_token"],
            **overrides,
        }

    def serve(self, name: str = "idp", document: object = None, *, raw: bytes | None = None) -> str:
        """Serve a discovery document (a good one by default) for `name`; its well-known URL."""
        body = raw if raw is not None else json.dumps(document or self.document(name)).encode()
        self.answers[f"/{name}{WELL_KNOWN}"] = Answer(
            body=body, headers={"Content-Type": "application/json"}
        )
        return self.well_known_url(name)


@pytest.fixture
def provider_server() -> Iterator[ProviderServer]:
    answers: dict[str, Answer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = answers.get(self.path, Answer(status=404, body=b"not found"))
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ProviderServer(base=f"http://127.0.0.1:{server.server_address[1]}", answers=answers)
    finally:
        server.shutdown()
        server.server_close()


def ec_key_pem(curve: ec.EllipticCurve | None = None) -> str:
    key = ec.generate_private_key(curve or ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def rsa_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
