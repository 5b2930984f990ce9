"""A passkey authenticator in Python, for tests through the Django test client: it answers the
WebAuthn options a page carries as a browser's `navigator.credentials` would (fido2's data
structures, an EC P-256 key, "none" attestation). The browser tests use Chromium's own virtual
authenticator instead."""

import hashlib
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_encode
from fido2.webauthn import AttestationObject, AttestedCredentialData, AuthenticatorData

FLAG = AuthenticatorData.FLAG


class SoftwarePasskey:
    """One credential for `rp_id`, used from `origin`; `backup_eligible` makes it a passkey
    that may sync between devices (WebAuthn's BE flag)."""

    def __init__(
        self,
        origin: str = "http://localhost",
        rp_id: str = "localhost",
        *,
        backup_eligible: bool = False,
    ) -> None:
        self.origin = origin
        self.rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.flags = FLAG.UP | FLAG.UV | (FLAG.BE if backup_eligible else FLAG(0))
        self.counter = 0

    def _client_data(self, kind: str, options: dict[str, Any]) -> bytes:
        challenge = options["publicKey"]["challenge"]
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        """The registration answer to creation options (`{"publicKey": {...}}`)."""
        client_data = self._client_data("webauthn.create", options)
        attested = AttestedCredentialData.create(
            b"\0" * 16, self.credential_id, ES256.from_cryptography_key(self.key.public_key())
        )
        auth_data = AuthenticatorData.create(
            self.rp_id_hash, self.flags | FLAG.AT, self.counter, attested
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(bytes(attestation)),
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any]) -> dict[str, Any]:
        """The assertion answering request options (`{"publicKey": {...}}`)."""
        client_data = self._client_data("webauthn.get", options)
        self.counter += 1
        auth_data = bytes(AuthenticatorData.create(self.rp_id_hash, self.flags, self.counter))
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "authenticatorData": websafe_encode(auth_data),
                "signature": websafe_encode(signature),
            },
            "clientExtensionResults": {},
        }
