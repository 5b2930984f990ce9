"""private_key_jwt keys of an OpenID Provider registration (federation/keys.py): a key pair
generated on the add or edit page, or the admin's own private key; stored encrypted with a
certificate of its public key, which the provider's page shows (with its key ID) for the admin
to register at the provider. The private key is never shown, nor written to the audit log."""

import datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client
from jwcrypto import jwk

from federation.exceptions import IdentityProviderInvalid
from federation.keys import certificate_make, client_key_load
from federation.models import IdentityProvider
from federation.selectors import identity_provider_certificate, identity_provider_secret
from federation.services import identity_provider_create, identity_provider_update
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, operator_client
from tests.federation.conftest import ProviderServer, ec_key_pem, rsa_key_pem
from tests.federation.test_admin_pages import SIGN_IN_CLAIMS, providers_url, stored


@pytest.fixture
def admin(tenant_a: Tenant, operator_factory: MakeOperator) -> Client:
    operator = operator_factory(tenant=tenant_a, roles=[AdminRole.IDENTITY_PROVIDER_ADMINISTRATOR])
    return operator_client(operator.email)


def oidc_post(server: ProviderServer, **overrides: Any) -> dict[str, Any]:
    """The add page's fields for an OpenID Provider that wants private_key_jwt."""
    return {
        "display_name": "Contoso ID",
        "well_known_url": server.serve(),
        "client_id": "our-client",
        "client_authentication": "private_key_jwt",
        "scopes": "openid email",
        **SIGN_IN_CLAIMS,
        **overrides,
    }


def thumbprint_of(public_key: Any) -> str:
    thumbprint: str = jwk.JWK.from_pyca(public_key).thumbprint()
    return thumbprint


def certificate_of(page: str) -> x509.Certificate:
    start = page.index("-----BEGIN CERTIFICATE-----")
    end = page.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
    return x509.load_pem_x509_certificate(page[start:end].encode())


def test_a_generated_key_pair_is_stored_encrypted_and_its_certificate_shown(
    tenant_a: Tenant, admin: Client, provider_server: ProviderServer
) -> None:
    response = admin.post(
        providers_url(tenant_a, "add/openid-connect/"),
        oidc_post(provider_server, generate_key_pair="on"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    (provider,) = stored(tenant_a)
    assert provider.client_authentication == "private_key_jwt"
    assert "PRIVATE KEY" not in provider.secret_encrypted  # encrypted at rest
    with in_tenant(tenant_a):
        key = client_key_load(identity_provider_secret(provider))
    assert isinstance(key.private_key, rsa.RSAPrivateKey)
    assert key.private_key.key_size == 2048
    assert key.algorithm == "RS256"
    assert provider.key_id == thumbprint_of(key.private_key.public_key())

    page = admin.get(response["Location"]).content.decode()
    assert "register its certificate at the provider" in page  # the notice after saving
    shown = certificate_of(page)
    assert shown.public_key() == key.private_key.public_key()
    assert shown.subject == shown.issuer  # self-signed
    assert shown.not_valid_after_utc > datetime.datetime.now(datetime.UTC) + datetime.timedelta(
        days=365
    )
    assert 'data-copy="certificate"' in page
    assert f'<code id="key-id">{provider.key_id}</code>' in page
    assert 'data-copy="key-id"' in page
    assert "PRIVATE KEY" not in page
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.IDENTITY_PROVIDER_ADDED
    )
    assert entry.details["key_id"] == provider.key_id
    assert "PRIVATE KEY" not in str(entry.details)


def test_generating_again_replaces_the_key_and_its_certificate(
    tenant_a: Tenant, admin: Client, provider_server: ProviderServer
) -> None:
    admin.post(
        providers_url(tenant_a, "add/openid-connect/"),
        oidc_post(provider_server, generate_key_pair="on"),
    )
    (before,) = stored(tenant_a)
    url = providers_url(tenant_a, "contoso-id/")
    first = certificate_of(admin.get(url).content.decode())
    edit = oidc_post(provider_server, key_id=before.key_id, display_name="Contoso")
    # Saving other changes keeps the key.
    assert admin.post(url, edit).status_code == 302
    (kept,) = stored(tenant_a)
    assert (kept.display_name, kept.key_id) == ("Contoso", before.key_id)
    assert certificate_of(admin.get(url).content.decode()) == first

    response = admin.post(url, {**edit, "generate_key_pair": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    (after,) = stored(tenant_a)
    assert after.key_id != before.key_id  # a generated key is named by its own thumbprint
    second = certificate_of(admin.get(url).content.decode())
    assert second.public_key() != first.public_key()
    assert thumbprint_of(second.public_key()) == after.key_id
    entry = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.IDENTITY_PROVIDER_UPDATED
    ).latest("occurred_at")
    assert entry.details["key_pair_generated"] is True
    assert entry.details["after"] == {"key_id": after.key_id}
    assert "PRIVATE KEY" not in str(entry.details)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        # Either a pasted key or a generated one.
        (
            {"generate_key_pair": "on", "secret": "PASTE"},
            "secret",
            "Paste a private key or generate a key pair, not both.",
        ),
        # A key pair is no client secret.
        (
            {"generate_key_pair": "on", "client_authentication": "client_secret_post"},
            "generate_key_pair",
            "A key pair is generated for private_key_jwt only.",
        ),
        # Neither: nothing to sign with.
        ({}, "secret", "Paste the private key, or generate a key pair."),
    ],
)
def test_generate_or_paste_form_errors(
    tenant_a: Tenant,
    admin: Client,
    provider_server: ProviderServer,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    if overrides.get("secret") == "PASTE":
        overrides = {**overrides, "secret": rsa_key_pem()}
    response = admin.post(
        providers_url(tenant_a, "add/openid-connect/"), oidc_post(provider_server, **overrides)
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert message in form.errors[field]
    assert stored(tenant_a) == []


def test_an_own_key_gets_a_certificate_and_is_named_by_its_thumbprint(
    tenant_a: Tenant, admin: Client, provider_server: ProviderServer
) -> None:
    pem = rsa_key_pem()
    own = serialization.load_pem_private_key(pem.encode(), password=None)
    response = admin.post(
        providers_url(tenant_a, "add/openid-connect/"), oidc_post(provider_server, secret=pem)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    (provider,) = stored(tenant_a)
    assert provider.key_id == thumbprint_of(own.public_key())
    page = admin.get(response["Location"]).content.decode()
    assert certificate_of(page).public_key() == own.public_key()
    assert "BEGIN PRIVATE KEY" not in page


def test_an_own_key_with_its_certificate_and_key_id_keeps_both(
    tenant_a: Tenant, provider_server: ProviderServer
) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    certificate = certificate_make(key, common_name="issued elsewhere")
    pem = (
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        + certificate.public_bytes(serialization.Encoding.PEM).decode()
    )
    with in_tenant(tenant_a):
        provider = identity_provider_create(
            kind="openid_connect",
            display_name="Contoso ID",
            client_id="our-client",
            client_authentication="private_key_jwt",
            secret=pem,
            key_id="key-2025",
            well_known_url=provider_server.serve(),
        )
        shown = identity_provider_certificate(provider)
    assert shown is not None
    assert (shown.key_id, shown.algorithm) == ("key-2025", "ES384")
    assert x509.load_pem_x509_certificate(shown.pem.encode()) == certificate


def _self_signed(key: rsa.RSAPrivateKey, *, days: int) -> str:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "x")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=400))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("not a key", "PEM format"),
        (
            rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (refused)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode(),
            "at least 2048 bits",
        ),
        (ec_key_pem(ec.SECP256K1()), "P-256, P-384 or P-521"),
        (rsa_key_pem() + _self_signed(rsa.generate_private_key(65537, 2048), days=30), "not of"),
        ("EXPIRED", "has expired"),
    ],
)
def test_unusable_own_keys_are_refused(
    tenant_a: Tenant, provider_server: ProviderServer, secret: str, message: str
) -> None:
    if secret == "EXPIRED":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        secret = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode() + _self_signed(key, days=-1)
    with in_tenant(tenant_a), pytest.raises(IdentityProviderInvalid) as raised:
        identity_provider_create(
            kind="openid_connect",
            display_name="Contoso ID",
            client_id="our-client",
            client_authentication="private_key_jwt",
            secret=secret,
            well_known_url=provider_server.serve(),
        )
    assert message in raised.value.errors["secret"][0]
    with in_tenant(tenant_a):
        assert not IdentityProvider.objects.exists()


def test_switching_to_a_client_secret_drops_the_certificate(
    tenant_a: Tenant, provider_server: ProviderServer
) -> None:
    with in_tenant(tenant_a):
        provider = identity_provider_create(
            kind="openid_connect",
            display_name="Contoso ID",
            client_id="our-client",
            client_authentication="private_key_jwt",
            generate_key_pair=True,
            secret="",
            well_known_url=provider_server.serve(),
        )
        assert identity_provider_certificate(provider) is not None
        identity_provider_update(
            provider=provider, client_authentication="client_secret_post", secret="s3cret"
        )
        assert identity_provider_certificate(provider) is None
        assert identity_provider_secret(provider) == "s3cret"


def test_a_provider_that_lists_no_private_key_jwt_or_not_our_algorithm_is_refused(
    tenant_a: Tenant, provider_server: ProviderServer
) -> None:
    """OIDC Discovery §3: what the provider's document says its token endpoint accepts."""
    registration = {
        "kind": "openid_connect",
        "display_name": "Contoso ID",
        "client_id": "our-client",
        "client_authentication": "private_key_jwt",
    }
    secrets_only = provider_server.serve(
        "secrets",
        provider_server.document(
            "secrets", token_endpoint_auth_methods_supported=["client_secret_basic"]
        ),
    )
    ec_only = provider_server.serve(
        "ec",
        provider_server.document(
            "ec",
            token_endpoint_auth_methods_supported=["private_key_jwt"],
            token_endpoint_auth_signing_alg_values_supported=["ES256"],
        ),
    )
    with in_tenant(tenant_a):
        with pytest.raises(IdentityProviderInvalid) as raised:
            identity_provider_create(
                **registration, secret="", generate_key_pair=True, well_known_url=secrets_only
            )
        assert "does not accept private_key_jwt" in raised.value.errors["client_authentication"][0]
        with pytest.raises(IdentityProviderInvalid) as raised:
            identity_provider_create(
                **registration, secret="", generate_key_pair=True, well_known_url=ec_only
            )
        assert "signed with RS256" in raised.value.errors["generate_key_pair"][0]
        assert not IdentityProvider.objects.exists()
        # A P-256 key it accepts.
        provider = identity_provider_create(
            **registration, secret=ec_key_pem(), well_known_url=ec_only
        )
        certificate = identity_provider_certificate(provider)
        assert certificate is not None
        assert certificate.algorithm == "ES256"
