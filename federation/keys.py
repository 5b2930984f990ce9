"""The key a tenant authenticates with at an OpenID Provider by `private_key_jwt` (OIDC Core §9,
RFC 7523 §2.2), and the certificate the admin registers there.

What is stored (encrypted with `tenants.secrets`, in `IdentityProvider.secret_encrypted`) is one
PEM text: the private key, then a self-signed X.509 certificate of its public key. The
certificate is what the provider is given (our own OpenID Provider and Entra take a certificate
as an app's credential); it is not secret, but it lives beside the key so that the two always
match. A key pair generated here is RSA 2048; an admin's own RSA or EC key (P-256, P-384, P-521)
gets its certificate made the same way when it comes without one.
"""

import base64
import datetime
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext as _
from jwcrypto import jwk

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

GENERATED_KEY_SIZE = 2048
GENERATED_KEY_ALGORITHM = "RS256"
# A generated certificate's lifetime: two years, the longest credential lifetime Entra's portal
# offers for an app's secrets. When it ends the provider refuses the key; the admin generates
# another pair.
CERTIFICATE_LIFETIME = datetime.timedelta(days=730)
# The clocks of the provider and ours may differ a little: the certificate is valid from just
# before it is made.
_BACKDATE = datetime.timedelta(minutes=5)
# RFC 7518 §3.1: the JWS algorithm of each key type (ECDSA's follows the curve, §3.4).
_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_MIN_RSA_BITS = 2048
_COMMON_NAME_LENGTH = 64  # RFC 5280 ub-common-name


class ClientKeyUnusable(ValueError):
    """The text holds no private key we can sign client assertions with; the message says why,
    for the admin."""


@dataclass(frozen=True)
class ClientKey:
    """A private key and the certificate of its public key (None for a key stored before
    certificates were made)."""

    private_key: PrivateKey
    certificate: x509.Certificate | None

    @property
    def algorithm(self) -> str:
        """The JWS `alg` this key signs with (RFC 7518 §3.1)."""
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return _EC_ALGORITHMS[self.private_key.curve.name]
        return "RS256"  # RSA keys, the generated ones too (GENERATED_KEY_ALGORITHM)

    @property
    def thumbprint(self) -> str:
        """The public key's JWK thumbprint (RFC 7638, SHA-256): the key ID our own OpenID
        Provider gives a certificate an app uploads."""
        thumbprint: str = jwk.JWK.from_pyca(self.private_key.public_key()).thumbprint()
        return thumbprint

    @property
    def certificate_pem(self) -> str:
        if self.certificate is None:
            return ""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def certificate_thumbprints(self) -> dict[str, str]:
        """The JWS header parameters naming the certificate (RFC 7515 §4.1.7, §4.1.8): `x5t`
        (SHA-1, what Entra reads) and `x5t#S256`; empty without a certificate."""
        if self.certificate is None:
            return {}
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "x5t": _base64url(hashlib.sha1(der, usedforsecurity=False).digest()),
            "x5t#S256": _base64url(hashlib.sha256(der).digest()),
        }

    def stored_text(self) -> str:
        """What `secret_encrypted` holds: the private key (PKCS #8 PEM), then the certificate."""
        key = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return key + self.certificate_pem


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_key_generate(*, common_name: str) -> ClientKey:
    """A new RSA 2048 key pair and its self-signed certificate."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=GENERATED_KEY_SIZE)
    return ClientKey(private_key, certificate_make(private_key, common_name=common_name))


def certificate_make(private_key: PrivateKey, *, common_name: str) -> x509.Certificate:
    """A self-signed certificate of the key's public half, for an end entity that signs
    (RFC 5280 §4.2.1.3, §4.2.1.9), valid from now for CERTIFICATE_LIFETIME."""
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name[:_COMMON_NAME_LENGTH] or "client")]
    )
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + CERTIFICATE_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(private_key, hashes.SHA256())
    )


def client_key_load(text: str) -> ClientKey:
    """The private key in `text` (PEM, unencrypted) and the certificate after it, if any.

    Raises ClientKeyUnusable when there is no private key, it is not RSA of at least 2048 bits
    or EC on P-256, P-384 or P-521, or the certificate is of another key or has expired.
    """
    data = text.encode()
    try:
        private_key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise ClientKeyUnusable(
            _("Paste the private key in PEM format (-----BEGIN PRIVATE KEY-----), unencrypted.")
        ) from error
    if isinstance(private_key, rsa.RSAPrivateKey):
        if private_key.key_size < _MIN_RSA_BITS:
            raise ClientKeyUnusable(_("An RSA key must have at least 2048 bits."))
    elif not (
        isinstance(private_key, ec.EllipticCurvePrivateKey)
        and private_key.curve.name in _EC_ALGORITHMS
    ):
        raise ClientKeyUnusable(
            _("Use an RSA key or an elliptic-curve key on P-256, P-384 or P-521.")
        )
    certificate = None
    if b"-----BEGIN CERTIFICATE-----" in data:
        try:
            certificate = x509.load_pem_x509_certificates(data)[0]
        except ValueError as error:
            raise ClientKeyUnusable(_("The certificate after the key cannot be read.")) from error
        if certificate.public_key() != private_key.public_key():
            raise ClientKeyUnusable(_("The certificate is not of this private key."))
        if certificate.not_valid_after_utc <= datetime.datetime.now(datetime.UTC):
            raise ClientKeyUnusable(_("The certificate has expired."))
    return ClientKey(private_key, certificate)
