import base64
import hashlib
import re
import secrets
from typing import Any

from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    BasePasswordHasher,
    BCryptPasswordHasher,
    mask_hash,
)
from django.utils.crypto import constant_time_compare


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """argon2id with OWASP's minimum parameters: 19 MiB of memory, 2 iterations, 1 lane.

    Django's defaults (100 MiB, 8 lanes) cost several times more CPU per sign-in for no gain in
    the threat model OWASP's Password Storage Cheat Sheet assumes.
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1


# --- Hashes imported from other systems (issue 15: bulk import) ---------------------------------
# Each verifies a password against the hash another system made, and is listed in
# PASSWORD_HASHERS after argon2: Django's check_password then re-hashes a matching password with
# the first hasher (argon2id) and saves it, so an imported hash lives until its customer's first
# sign-in. None of them makes new hashes for our own passwords.


class ImportedBcryptPasswordHasher(BCryptPasswordHasher):
    """bcrypt as other systems store it (`$2a$`, `$2b$`, `$2y$`, any cost), behind Django's
    `bcrypt$` prefix: Django's own hasher, except that a password past bcrypt's 72 bytes is a
    wrong password rather than the library's ValueError (bcrypt 5 refuses to truncate)."""

    def verify(self, password: str, encoded: str) -> bool:
        try:
            return bool(super().verify(password, encoded))
        except ValueError:
            return False


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


class _KeycloakPbkdf2PasswordHasher(BasePasswordHasher):
    """Keycloak's PBKDF2 credential (`pbkdf2-sha256`, `pbkdf2-sha512`): a random salt of bytes,
    the iteration count and the derived key, as Keycloak's export holds them.

    Stored as `kc_sha256$<iterations>$<salt>$<value>`, base64 without padding: the account's
    password column holds 128 characters, and a SHA-512 credential (a 64-byte key, 210,000
    iterations in Keycloak 24) in longer names would not fit. The derived key's length is the
    stored value's (Keycloak derives 512 bits by default, some versions 256).
    """

    digest_name = "sha256"

    def salt(self) -> str:
        return _b64(secrets.token_bytes(16))

    def encode(self, password: str, salt: str, iterations: int = 27_500, length: int = 64) -> str:
        derived = hashlib.pbkdf2_hmac(
            self.digest_name, password.encode(), _unb64(salt), iterations, length
        )
        return f"{self.algorithm}${iterations}${salt}${_b64(derived)}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, iterations, salt, value = encoded.split("$", 3)
        return {"algorithm": algorithm, "iterations": int(iterations), "salt": salt, "hash": value}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        length = len(_unb64(decoded["hash"]))
        again = self.encode(password, decoded["salt"], decoded["iterations"], length)
        return constant_time_compare(encoded, again)

    def safe_summary(self, encoded: str) -> dict[Any, Any]:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "iterations": decoded["iterations"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        # Never the preferred hasher: a matching password is re-hashed with argon2id at once.
        return None


class KeycloakPbkdf2Sha256PasswordHasher(_KeycloakPbkdf2PasswordHasher):
    algorithm = "kc_sha256"
    digest_name = "sha256"


class KeycloakPbkdf2Sha512PasswordHasher(_KeycloakPbkdf2PasswordHasher):
    algorithm = "kc_sha512"
    digest_name = "sha512"


class UnknownHashFormat(ValueError):
    """The text is no password hash in a notation the import reads."""


class UnsupportedHashFormat(ValueError):
    """The notation is known, but no well-kept library verifies it (its message says which)."""


_BCRYPT = re.compile(r"\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}")
_ARGON2 = re.compile(
    r"\$argon2(id|i)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}"
)
_DJANGO_PBKDF2 = re.compile(r"pbkdf2_sha256\$[1-9]\d{0,8}\$[^$]+\$[A-Za-z0-9+/]+={0,2}")
_KEYCLOAK = re.compile(
    r"pbkdf2-sha(256|512)\$([1-9]\d{0,8})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})"
)
_DJANGO_SCRYPT = re.compile(
    r"scrypt\$[1-9]\d{0,9}\$[^$]+\$[1-9]\d{0,3}\$[1-9]\d{0,3}\$[A-Za-z0-9+/]+={0,2}"
)


def imported_password_hash(text: str) -> str:
    """The password hash another system made, in the notation the bulk import documents
    (docs/bulk-import.md), as Django stores it, for one of the hashers above (or Django's own
    PBKDF2 and scrypt) to verify at the customer's first sign-in.

    Read: bcrypt (`$2a$`, `$2b$`, `$2y$`), Django's PBKDF2 (`pbkdf2_sha256$…`), Keycloak's
    PBKDF2-SHA256/512 (`pbkdf2-sha256$<hashIterations>$<base64 salt>$<base64 value>`, with
    Keycloak's own algorithm name: `pbkdf2-sha512` likewise),
    argon2 (`$argon2id$…`, `$argon2i$…`) and Django's scrypt (`scrypt$…`). Raises
    UnsupportedHashFormat for Firebase's modified scrypt and UnknownHashFormat for anything else.
    The text is never logged nor put in an exception's message.
    """
    if _BCRYPT.fullmatch(text):
        return f"{ImportedBcryptPasswordHasher.algorithm}${text}"
    if _ARGON2.fullmatch(text):
        return f"argon2{text}"
    if _DJANGO_PBKDF2.fullmatch(text) or _DJANGO_SCRYPT.fullmatch(text):
        return text
    if keycloak := _KEYCLOAK.fullmatch(text):
        digest, iterations, salt, value = keycloak.groups()
        try:
            salt_bytes, value_bytes = _unb64(salt), _unb64(value)
        except ValueError as error:
            raise UnknownHashFormat("Unknown password hash format.") from error
        return f"kc_sha{digest}${iterations}${_b64(salt_bytes)}${_b64(value_bytes)}"
    if text.startswith(("firebase_scrypt$", "firebase-scrypt$")):
        raise UnsupportedHashFormat(
            "Firebase's modified scrypt is not supported: no well-kept library verifies it. "
            "Import the customer without a password hash; they set one with a password reset."
        )
    raise UnknownHashFormat("Unknown password hash format.")
