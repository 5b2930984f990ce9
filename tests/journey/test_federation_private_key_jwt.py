"""fabrikam signs customers in through contoso with `private_key_jwt` (OIDC Core §9): fabrikam's
admin generates a key pair for the provider, contoso's app registration holds its certificate
and no secret, and fabrikam redeems contoso's code with a client assertion that contoso's real
token endpoint verifies (tests/factories/federation.py: contoso answers in process)."""

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk, jwt

from accounts.models import User
from apps import services as app_services
from apps.models import ClientSecret
from apps.oidc.views import discovery_document
from federation.keys import ClientKey, certificate_make
from federation.models import IdentityProvider
from federation.selectors import ProviderCertificate, identity_provider_certificate
from federation.services import identity_provider_update
from journey.client_assertions import ASSERTION_LIFETIME_SECONDS, JWT_BEARER
from tenants.schemas import in_tenant
from tenants.secrets import secret_encrypt
from tenants.selectors import tenant_issuer
from tests.factories.accounts import make_customer
from tests.factories.federation import (
    Federation,
    InProcess,
    browser,
    id_token_of,
    through_contoso,
)
from tests.federation.conftest import ec_key_pem


@pytest.fixture
def token_requests(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """The bodies of the token requests sent to contoso, recorded on their way in."""
    sent: list[dict[str, str]] = []
    send = InProcess.send

    def recording(
        self: InProcess, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if request.method == "POST" and str(request.url).endswith("/oauth2/v2.0/token"):
            body = request.body or ""
            sent.append(dict(parse_qsl(body if isinstance(body, str) else body.decode())))
        return send(self, request, **kwargs)

    monkeypatch.setattr(InProcess, "send", recording)
    return sent


def claims_of(assertion: str) -> dict[str, Any]:
    part = assertion.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def with_key_pair(world: Federation, own_key: str = "") -> ProviderCertificate:
    """fabrikam's provider switched to private_key_jwt with a key pair generated as the admin's
    "Generate a key pair" does, or the admin's `own_key` (contoso's discovery document, read in
    process); contoso's app loses its secrets. The certificate to register at contoso."""
    with in_tenant(world.contoso):
        document = json.dumps(discovery_document()).encode()
    with in_tenant(world.fabrikam.tenant):
        provider = IdentityProvider.objects.get(pk=world.provider.pk)
        identity_provider_update(
            provider=provider,
            client_authentication="private_key_jwt",
            generate_key_pair=not own_key,
            secret=own_key,
            claims_mapping={"sub": "sub", "display_name": "name"},
            fetch=lambda url: document,
        )
        certificate = identity_provider_certificate(provider)
    with in_tenant(world.contoso):
        ClientSecret.objects.filter(app=world.contoso_app).delete()
    assert certificate is not None
    return certificate


def register_certificate(world: Federation, pem: str) -> None:
    with in_tenant(world.contoso):
        app_services.certificate_add(app=world.contoso_app, pem=pem, description="Fabrikam")


@pytest.mark.parametrize(
    ("own_key", "algorithm"), [("", "RS256"), (ec_key_pem(), "ES256")], ids=["generated", "own EC"]
)
def test_sign_up_through_contoso_with_a_client_assertion(
    federation: Federation, token_requests: list[dict[str, str]], own_key: str, algorithm: str
) -> None:
    fabrikam, contoso = federation.fabrikam.tenant, federation.contoso
    certificate = with_key_pair(federation, own_key)
    register_certificate(federation, certificate.pem)
    make_customer(contoso, "ada@contoso.example")

    answer = through_contoso(browser(), federation, "ada@contoso.example")
    assert answer.status_code == 302, answer.content[:500]
    assert answer["Location"] == f"/{fabrikam.domain_name}/account/complete/"
    with in_tenant(fabrikam):
        user = User.objects.get(email="ada@contoso.example")
        assert SocialAccount.objects.get(user=user).provider == "contoso"

    (body,) = token_requests
    assert "client_secret" not in body
    assert body["client_id"] == federation.contoso_app.client_id
    assert body["client_assertion_type"] == JWT_BEARER
    # The assertion verifies with the certificate's public key (RFC 7523 §3).
    registered = x509.load_pem_x509_certificate(certificate.pem.encode())
    public = registered.public_key()
    token_endpoint = f"{tenant_issuer(contoso).removesuffix('/v2.0')}/oauth2/v2.0/token"
    verified = jwt.JWT(
        jwt=body["client_assertion"],
        key=jwk.JWK.from_pyca(public),
        algs=[algorithm],
        check_claims={
            "iss": federation.contoso_app.client_id,
            "sub": federation.contoso_app.client_id,
            "aud": token_endpoint,
            "exp": None,
        },
    )
    header = json.loads(verified.header)
    assert header["alg"] == algorithm
    assert header["kid"] == certificate.key_id
    # …and names that certificate (RFC 7515 §4.1.8), as Entra asks.
    digest = hashlib.sha256(registered.public_bytes(serialization.Encoding.DER)).digest()
    assert header["x5t#S256"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    claims = json.loads(verified.claims)
    assert claims["jti"]
    assert claims["exp"] - claims["iat"] == ASSERTION_LIFETIME_SECONDS <= 300


def test_signing_in_again_sends_a_new_assertion_and_the_app_gets_idp(
    federation: Federation, token_requests: list[dict[str, str]]
) -> None:
    certificate = with_key_pair(federation)
    register_certificate(federation, certificate.pem)
    make_customer(federation.contoso, "grace@contoso.example")
    client = browser()
    answer = through_contoso(client, federation, "grace@contoso.example")
    done = client.post(answer["Location"], {"attr_given_name": "Grace", "attr_Tier": "gold"})
    assert id_token_of(client, federation.fabrikam, done)["idp"] == tenant_issuer(
        federation.contoso
    )
    again = through_contoso(browser(), federation, "grace@contoso.example")
    assert again.status_code == 302
    first, second = (claims_of(body["client_assertion"]) for body in token_requests)
    assert first["jti"] != second["jti"]  # contoso spends each jti once


def another_certificate() -> str:
    """A certificate of a key fabrikam does not have."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ClientKey(key, certificate_make(key, common_name="someone else")).certificate_pem


@pytest.mark.parametrize("problem", ["contoso has another key", "our key is unreadable"])
def test_an_assertion_contoso_refuses_is_a_clear_page_and_stores_nothing(
    federation: Federation, token_requests: list[dict[str, str]], problem: str
) -> None:
    fabrikam = federation.fabrikam.tenant
    with_key_pair(federation)
    if problem == "contoso has another key":
        register_certificate(federation, another_certificate())
    else:
        with in_tenant(fabrikam):
            IdentityProvider.objects.filter(pk=federation.provider.pk).update(
                secret_encrypted=secret_encrypt(b"-----BEGIN PRIVATE KEY-----\nbroken")
            )
    make_customer(federation.contoso, "eve@contoso.example")

    answer = through_contoso(browser(), federation, "eve@contoso.example")
    assert answer.status_code == 400
    assert "Signing in with Contoso did not complete." in answer.text
    if problem == "contoso has another key":
        (body,) = token_requests  # sent, with an assertion, and refused by contoso
        assert body["client_assertion_type"] == JWT_BEARER
        assert "client_secret" not in body
    else:
        assert token_requests == []  # nothing to sign with: nothing sent
    with in_tenant(fabrikam):
        assert not User.objects.exists()
        assert not SocialAccount.objects.exists()
