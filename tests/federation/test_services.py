"""Registering identity providers: each kind's required fields, the OpenID Provider's discovery
document fetched over real HTTP and refused when wrong (nothing stored), secrets encrypted."""

import json
import socket
from typing import Any

import pytest

from accounts.attributes import BUILTIN_ATTRIBUTES, DataType
from accounts.models import CustomAttribute
from federation import selectors
from federation.exceptions import IdentityProviderInvalid
from federation.metadata import METADATA_MAX_BYTES
from federation.models import IdentityProvider
from federation.services import (
    identity_provider_create,
    identity_provider_delete,
    identity_provider_update,
)
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.federation.conftest import Answer, ProviderServer, ec_key_pem, rsa_key_pem
from userflows.models import UserFlow


def errors_of(**arguments: Any) -> dict[str, list[str]]:
    with pytest.raises(IdentityProviderInvalid) as raised:
        identity_provider_create(**arguments)
    assert not IdentityProvider.objects.exists()
    return raised.value.errors


def oidc(server: ProviderServer, **overrides: Any) -> dict[str, Any]:
    """A good OpenID Connect registration (its document served unless a URL is given)."""
    if "well_known_url" not in overrides:
        overrides["well_known_url"] = server.serve()
    return {
        "kind": "openid_connect",
        "display_name": "Contoso ID",
        "client_id": "our-client",
        "secret": "s3cret-value",
        **overrides,
    }


def test_good_openid_provider_is_stored_with_its_document(
    tenant_a: Tenant, provider_server: ProviderServer
) -> None:
    with in_tenant(tenant_a):
        provider = identity_provider_create(**oidc(provider_server))
        stored = IdentityProvider.objects.get()
        assert stored.slug == "contoso-id"
        assert stored.issuer == provider_server.issuer()
        assert stored.metadata["token_endpoint"] == f"{provider_server.issuer()}/token"
        assert stored.scopes == ["openid", "profile", "email"]
        assert stored.claims_mapping["surname"] == "family_name"
        assert "s3cret-value" not in stored.secret_encrypted
        assert selectors.identity_provider_secret(stored) == "s3cret-value"
        assert selectors.callback_path(provider) == "account/oidc/contoso-id/login/callback/"
        assert not stored.trusted_for_email


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"issuer": "https://elsewhere.example"}, "issuer"),
        ({"token_endpoint": None}, "token_endpoint"),
        ({"jwks_uri": "http://keys.example/keys"}, "jwks_uri"),
        ({"response_types_supported": ["id_token"]}, "code"),
    ],
)
def test_wrong_documents_are_refused(
    tenant_a: Tenant, provider_server: ProviderServer, document: dict[str, Any], message: str
) -> None:
    url = provider_server.serve(document=provider_server.document(**document))
    with in_tenant(tenant_a):
        errors = errors_of(**oidc(provider_server, well_known_url=url))
    assert list(errors) == ["well_known_url"]
    assert message in " ".join(errors["well_known_url"])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<html>hello</html>", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"pad": "x" * METADATA_MAX_BYTES}).encode(), "larger than 256 KB"),
    ],
)
def test_unreadable_documents_are_refused(
    tenant_a: Tenant, provider_server: ProviderServer, raw: bytes, message: str
) -> None:
    url = provider_server.serve(raw=raw)
    with in_tenant(tenant_a):
        errors = errors_of(**oidc(provider_server, well_known_url=url))
    assert message in " ".join(errors["well_known_url"])


def test_unreachable_and_missing_documents_are_refused(
    tenant_a: Tenant, provider_server: ProviderServer
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    unreachable = f"http://127.0.0.1:{closed_port}/idp/.well-known/openid-configuration"
    with in_tenant(tenant_a):
        errors = errors_of(**oidc(provider_server, well_known_url=unreachable))
        assert "could not be reached" in errors["well_known_url"][0]
        missing = provider_server.well_known_url("nobody")
        errors = errors_of(**oidc(provider_server, well_known_url=missing))
        assert "HTTP status 404" in errors["well_known_url"][0]


def test_redirects_only_within_the_host(tenant_a: Tenant, provider_server: ProviderServer) -> None:
    good = provider_server.serve()
    provider_server.answers["/moved/.well-known/openid-configuration"] = Answer(
        status=302, headers={"Location": good}
    )
    provider_server.answers["/away/.well-known/openid-configuration"] = Answer(
        status=302, headers={"Location": "https://attacker.example/doc"}
    )
    with in_tenant(tenant_a):
        away = provider_server.well_known_url("away")
        errors = errors_of(**oidc(provider_server, well_known_url=away))
        assert "another host" in errors["well_known_url"][0]
        # Followed on the same host, but the document's issuer is not the URL's: refused too.
        moved = provider_server.well_known_url("moved")
        errors = errors_of(**oidc(provider_server, well_known_url=moved))
        assert "issuer" in errors["well_known_url"][0]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://idp.example/.well-known/openid-configuration", "https"),
        ("ftp://idp.example/x", "https"),
        ("not a url", "full URL"),
    ],
)
def test_well_known_url_must_be_https_except_loopback(
    tenant_a: Tenant, provider_server: ProviderServer, url: str, message: str
) -> None:
    with in_tenant(tenant_a):
        errors = errors_of(**oidc(provider_server, well_known_url=url))
    assert message in errors["well_known_url"][0]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"display_name": " "}, "display_name"),
        ({"client_id": ""}, "client_id"),
        ({"secret": ""}, "secret"),
        ({"scopes": ["profile", "email"]}, "scopes"),
        ({"scopes": ["open id"]}, "scopes"),
        ({"claims_mapping": {"sub": "sub", "shoe_size": "shoe"}}, "claims_mapping"),
        ({"claims_mapping": {"email": "mail"}}, "claims_mapping"),
        ({"claims_mapping": {"sub": "user id"}}, "claims_mapping"),
        ({"claims_mapping": {"sub": "sub", "city": "a" * 129}}, "claims_mapping"),
        ({"claims_mapping": {"sub": "sub", "city": ""}}, "claims_mapping"),
        ({"claims_mapping": {"sub": "sub", "city": 7}}, "claims_mapping"),
        ({"client_authentication": "private_key_jwt"}, "secret"),
        ({"client_authentication": "basic"}, "client_authentication"),
        ({"slug": "Not A Slug"}, "slug"),
    ],
)
def test_openid_fields_are_checked(
    tenant_a: Tenant, provider_server: ProviderServer, overrides: dict[str, Any], field: str
) -> None:
    with in_tenant(tenant_a):
        errors = errors_of(**oidc(provider_server, **overrides))
    assert field in errors


def test_private_key_jwt_and_custom_attribute_claims(
    tenant_a: Tenant, provider_server: ProviderServer
) -> None:
    with in_tenant(tenant_a):
        CustomAttribute.objects.create(name="loyalty", data_type=DataType.STRING)
        provider = identity_provider_create(
            **oidc(
                provider_server,
                client_authentication="private_key_jwt",
                secret=rsa_key_pem(),
                key_id="k1",
                claims_mapping={"sub": "sub", "loyalty": "tier"},
            )
        )
        assert provider.claims_mapping == {"sub": "sub", "loyalty": "tier"}
        assert selectors.identity_provider_secret(provider).startswith("-----BEGIN")


def test_slug_taken_is_a_clear_error(tenant_a: Tenant, provider_server: ProviderServer) -> None:
    with in_tenant(tenant_a):
        identity_provider_create(**oidc(provider_server))
        with pytest.raises(IdentityProviderInvalid) as raised:
            identity_provider_create(**oidc(provider_server))
        assert "taken" in raised.value.errors["slug"][0]
        other = identity_provider_create(**oidc(provider_server, slug="contoso-2"))
        assert other.slug == "contoso-2"


def test_social_providers_once_each(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        google = identity_provider_create(
            kind="google", display_name="Google", client_id="g.apps", secret="gs"
        )
        assert google.slug == "google"
        assert google.trusted_for_email
        assert selectors.callback_path(google) == "account/google/login/callback/"
        with pytest.raises(IdentityProviderInvalid) as raised:
            identity_provider_create(
                kind="google", display_name="Google", client_id="x", secret="y"
            )
        assert "kind" in raised.value.errors
        facebook = identity_provider_create(
            kind="facebook", display_name="Facebook", client_id="fb", secret="fs"
        )
        assert not facebook.trusted_for_email


def test_apple_needs_team_key_and_p256_key(tenant_a: Tenant) -> None:
    apple = {"kind": "apple", "display_name": "Apple", "client_id": "com.example.web"}
    with in_tenant(tenant_a):
        errors = errors_of(**apple, secret="not a key")
        assert set(errors) == {"secret", "team_id", "key_id"}
        errors = errors_of(**apple, secret=rsa_key_pem(), team_id="T", key_id="K")
        assert "P-256" in errors["secret"][0]
        provider = identity_provider_create(**apple, secret=ec_key_pem(), team_id="T", key_id="K")
        assert provider.trusted_for_email
        assert selectors.callback_path(provider) == "account/apple/login/callback/"


def test_update_keeps_secret_unless_given_and_refetches(
    tenant_a: Tenant, provider_server: ProviderServer
) -> None:
    with in_tenant(tenant_a):
        provider = identity_provider_create(**oidc(provider_server))
        identity_provider_update(provider=provider, display_name="Contoso", secret="")
        assert selectors.identity_provider_secret(provider) == "s3cret-value"
        identity_provider_update(provider=provider, secret="new-secret")
        stored = IdentityProvider.objects.get()
        assert stored.display_name == "Contoso"
        assert stored.slug == "contoso-id"
        assert selectors.identity_provider_secret(stored) == "new-secret"
        # Switching to private_key_jwt needs a key; the row stays as it was.
        with pytest.raises(IdentityProviderInvalid) as raised:
            identity_provider_update(provider=provider, client_authentication="private_key_jwt")
        assert "secret" in raised.value.errors
        provider_server.serve(document=provider_server.document(issuer="https://x.example"))
        with pytest.raises(IdentityProviderInvalid):
            identity_provider_update(provider=provider, display_name="Changed")
        stored = IdentityProvider.objects.get()
        assert stored.display_name == "Contoso"
        assert stored.client_authentication == "client_secret_post"


def test_delete_removes_it_from_flows(tenant_a: Tenant, provider_server: ProviderServer) -> None:
    with in_tenant(tenant_a):
        provider = identity_provider_create(**oidc(provider_server))
        flow = UserFlow.objects.create(name="Sign up and sign in")
        flow.identity_providers.add(provider)
        assert [p.slug for p in selectors.identity_providers_of_flow(flow.flow_id)] == [
            "contoso-id"
        ]
        identity_provider_delete(provider=provider)
        assert selectors.identity_providers_of_flow(flow.flow_id) == []
        assert UserFlow.objects.filter(pk=flow.pk).exists()


def test_claims_mapping_targets_every_attribute_and_takes_plain_claim_names(
    tenant_a: Tenant, provider_server: ProviderServer
) -> None:
    """Every built-in attribute and custom attribute may be mapped, to a plain claim name
    (letters, digits, `_ - . :`, up to 128 characters)."""
    mapping = {
        "sub": "oid",
        "email": "mail",
        "email_verified": "mail_verified",
        "city": "locality",
        "postal_code": "example.org:postal_code",
        "job_title": "urn:example:job-title",
        "Level": "x" * 128,
    }
    with in_tenant(tenant_a):
        CustomAttribute.objects.create(name="Level", data_type=DataType.INT)
        provider = identity_provider_create(**oidc(provider_server, claims_mapping=mapping))
        assert IdentityProvider.objects.get(pk=provider.pk).claims_mapping == mapping


def test_claim_targets_in_the_order_the_admin_center_shows_them(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        CustomAttribute.objects.create(name="Tier", data_type=DataType.STRING)
        CustomAttribute.objects.create(name="Age", data_type=DataType.INT)
        targets = selectors.claim_targets()
    names = [target.name for target in targets]
    assert names[:3] == ["sub", "email", "email_verified"]
    assert names[-2:] == ["Age", "Tier"]
    assert set(names[3:-2]) == set(BUILTIN_ATTRIBUTES) - {"email"}
    by_name = {target.name: target for target in targets}
    assert by_name["email_verified"].data_type == DataType.BOOLEAN
    assert by_name["Age"].data_type == DataType.INT
    assert by_name["Age"].custom
    assert by_name["surname"].standard_claim == "family_name"
    assert by_name["city"].standard_claim == ""


def test_the_mapping_a_sign_in_reads(tenant_a: Tenant, provider_server: ProviderServer) -> None:
    """An OpenID Provider's saved mapping, sub/email/email_verified the standard claims unless
    mapped; what it leaves out is not read. Google and friends: the standard claims."""
    with in_tenant(tenant_a):
        provider = identity_provider_create(
            **oidc(provider_server, claims_mapping={"sub": "oid", "given_name": "first"})
        )
        google = identity_provider_create(
            kind="google", display_name="Google", client_id="g", secret="s"
        )
    assert selectors.claims_mapping_of(provider) == {
        "sub": "oid",
        "email": "email",
        "email_verified": "email_verified",
        "given_name": "first",
    }
    assert selectors.claims_mapping_of(google)["surname"] == "family_name"
