"""Secrets kept at rest encrypted (Fernet, keys CIAM_KEY_ENCRYPTION_KEYS: the first encrypts,
all decrypt, so a new key can be rolled in before the old one is dropped): the tenants' private
signing keys, identity providers' client secrets and private keys. Decrypted only in memory,
when used; never shown again, never logged."""

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _key_encryption() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.CIAM_KEY_ENCRYPTION_KEYS])


def secret_encrypt(plain: bytes) -> str:
    """The Fernet token of `plain` (ASCII), to store."""
    return _key_encryption().encrypt(plain).decode()


def secret_decrypt(token: str) -> bytes:
    """The plain bytes of a stored token (raises cryptography's InvalidToken when no key
    decrypts it)."""
    return _key_encryption().decrypt(token.encode())
