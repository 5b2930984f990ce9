"""Identity providers in the admin center: who may open them, adding each kind (bad settings as
field errors, nothing stored), the redirect URL to register, editing without ever showing the
secret, removal after confirmation, and the audit log."""

import html
import re

import pytest
from django.test import Client

from accounts.attributes import BUILTIN_ATTRIBUTES
from accounts.services import custom_attribute_create
from federation.models import IdentityProvider
from federation.selectors import identity_provider_secret
from federation.services import identity_provider_create
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_base_url
from tests.factories.accounts import MakeOperator, operator_client
from tests.federation.conftest import ProviderServer
from userflows.models import UserFlow


def providers_url(tenant: Tenant, rest: str = "") -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/identity-providers/{rest}"


@pytest.fixture
def admin(tenant_a: Tenant, operator_factory: MakeOperator) -> Client:
    operator = operator_factory(tenant=tenant_a, roles=[AdminRole.IDENTITY_PROVIDER_ADMINISTRATOR])
    return operator_client(operator.email)


def stored(tenant: Tenant) -> list[IdentityProvider]:
    with in_tenant(tenant):
        return list(IdentityProvider.objects.all())


def claim_inputs(page: str) -> dict[str, str]:
    """The claims mapping table's inputs, in page order: attribute → the claim it shows."""
    found: dict[str, str] = {}
    for tag in re.findall(r'<input [^>]*name="claim_[^"]*"[^>]*>', page):
        name = re.search(r'name="claim_([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        assert name is not None
        found[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return found


SIGN_IN_CLAIMS = {
    "claim_sub": "sub",
    "claim_email": "email",
    "claim_email_verified": "email_verified",
}


def audit_actions(tenant: Tenant) -> list[str]:
    return list(
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id)
        .order_by("occurred_at")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (AdminRole.IDENTITY_PROVIDER_ADMINISTRATOR, True),
        (AdminRole.GLOBAL_ADMINISTRATOR, True),
        (AdminRole.USER_FLOW_ADMINISTRATOR, False),
        (AdminRole.APPLICATION_ADMINISTRATOR, False),
    ],
)
def test_who_may_manage_identity_providers(
    tenant_a: Tenant, operator_factory: MakeOperator, role: AdminRole, allowed: bool
) -> None:
    client = operator_client(operator_factory(tenant=tenant_a, roles=[role]).email)
    for rest in ("", "add/google/", "add/openid-connect/"):
        response = client.get(providers_url(tenant_a, rest))
        assert response.status_code == (200 if allowed else 403), (rest, role)
    response = client.post(
        providers_url(tenant_a, "add/google/"),
        {"display_name": "Google", "client_id": "g", "secret": "s"},
    )
    assert response.status_code == (302 if allowed else 403)
    assert len(stored(tenant_a)) == (1 if allowed else 0)
    home = client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/")
    assert (providers_url(tenant_a) in home.content.decode()) is allowed


def test_add_openid_provider_shows_redirect_url_and_never_the_secret(
    tenant_a: Tenant, admin: Client, provider_server: ProviderServer
) -> None:
    response = admin.post(
        providers_url(tenant_a, "add/openid-connect/"),
        {
            "display_name": "Contoso ID",
            "well_known_url": provider_server.serve(),
            "client_id": "our-client",
            "client_authentication": "client_secret_post",
            "secret": "very-secret-value",
            "scopes": "openid email",
            **SIGN_IN_CLAIMS,
            "claim_email": "mail",
            "claim_display_name": "name",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (provider,) = stored(tenant_a)
    assert provider.scopes == ["openid", "email"]
    assert provider.claims_mapping == {
        "sub": "sub",
        "email": "mail",
        "email_verified": "email_verified",
        "display_name": "name",
    }
    page = admin.get(response["Location"]).content.decode()
    expected = f"{tenant_base_url(tenant_a)}/account/oidc/contoso-id/login/callback/"
    assert expected in page
    assert 'data-copy="redirect-url"' in page
    assert provider_server.issuer() in page
    for url in (providers_url(tenant_a), response["Location"]):
        assert "very-secret-value" not in admin.get(url).content.decode()
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.IDENTITY_PROVIDER_ADDED
    )
    assert entry.target == "Contoso ID (contoso-id)"
    assert "very-secret-value" not in str(entry.details)


def test_bad_document_is_a_field_error_and_nothing_stored(
    tenant_a: Tenant, admin: Client, provider_server: ProviderServer
) -> None:
    url = provider_server.serve(document=provider_server.document(issuer="https://evil.example"))
    response = admin.post(
        providers_url(tenant_a, "add/openid-connect/"),
        {
            "display_name": "Contoso ID",
            "well_known_url": url,
            "client_id": "c",
            "client_authentication": "client_secret_post",
            "secret": "s",
            "scopes": "openid",
            **SIGN_IN_CLAIMS,
            "claim_given_name": "given name",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Use a plain claim name" in page
    assert stored(tenant_a) == []
    response = admin.post(
        providers_url(tenant_a, "add/openid-connect/"),
        {
            "display_name": "Contoso ID",
            "well_known_url": url,
            "client_id": "c",
            "client_authentication": "client_secret_post",
            "secret": "s",
            "scopes": "openid",
            **SIGN_IN_CLAIMS,
        },
    )
    assert response.status_code == 400
    assert "OpenID Connect Discovery §4.3" in response.content.decode()
    assert stored(tenant_a) == []
    assert AuditAction.IDENTITY_PROVIDER_ADDED not in audit_actions(tenant_a)


def test_apple_form_errors(tenant_a: Tenant, admin: Client) -> None:
    response = admin.post(
        providers_url(tenant_a, "add/apple/"),
        {
            "display_name": "Apple",
            "client_id": "com.x",
            "team_id": "T",
            "key_id": "K",
            "secret": "x",
        },
    )
    assert response.status_code == 400
    assert "PEM" in response.content.decode()
    assert stored(tenant_a) == []


def test_edit_keeps_or_replaces_the_secret(tenant_a: Tenant, admin: Client) -> None:
    with in_tenant(tenant_a):
        identity_provider_create(
            kind="facebook", display_name="Facebook", client_id="f", secret="fb-secret-one"
        )
    url = providers_url(tenant_a, "facebook/")
    page = admin.get(url).content.decode()
    assert "fb-secret-one" not in page
    assert f"{tenant_base_url(tenant_a)}/account/facebook/login/callback/" in page
    response = admin.post(url, {"display_name": "Meta", "client_id": "f2", "secret": ""})
    assert response.status_code == 302
    (provider,) = stored(tenant_a)
    assert (provider.display_name, provider.client_id) == ("Meta", "f2")
    assert identity_provider_secret(provider) == "fb-secret-one"
    admin.post(url, {"display_name": "Meta", "client_id": "f2", "secret": "fb-secret-two"})
    (provider,) = stored(tenant_a)
    assert identity_provider_secret(provider) == "fb-secret-two"
    entries = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.IDENTITY_PROVIDER_UPDATED
    ).order_by("occurred_at")
    first, second = entries
    assert first.details["after"] == {"display_name": "Meta", "client_id": "f2"}
    assert second.details == {"secret_replaced": True, "before": {}, "after": {}}
    # The social kinds are added once each: Facebook is no longer offered.
    assert "add/facebook/" not in admin.get(providers_url(tenant_a)).content.decode()


def test_remove_after_confirmation(tenant_a: Tenant, admin: Client) -> None:
    with in_tenant(tenant_a):
        provider = identity_provider_create(
            kind="google", display_name="Google", client_id="g", secret="s"
        )
        flow = UserFlow.objects.create(name="Shoppers")
        flow.identity_providers.add(provider)
    url = providers_url(tenant_a, "google/remove/")
    page = admin.get(url).content.decode()
    assert "Shoppers" in page
    assert len(stored(tenant_a)) == 1
    assert admin.post(url).status_code == 302
    assert stored(tenant_a) == []
    with in_tenant(tenant_a):
        assert not flow.identity_providers.exists()
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.IDENTITY_PROVIDER_REMOVED
    )
    assert entry.details == {
        "kind": "google",
        "user_flows": ["Shoppers"],
        "identities_unlinked": 0,
    }
    assert admin.get(providers_url(tenant_a, "google/")).status_code == 404


def test_the_claims_mapping_table_lists_every_attribute_with_the_standard_claims(
    tenant_a: Tenant, admin: Client
) -> None:
    """A new OpenID Provider's table: what a sign-in reads first, then the built-in attributes
    (the standard claims where OIDC Core §5.1 has one), then the custom attributes with their
    data type, each input labelled by its attribute."""
    with in_tenant(tenant_a):
        custom_attribute_create(name="Tier", data_type="string")
        custom_attribute_create(name="Age", data_type="int")
    page = admin.get(providers_url(tenant_a, "add/openid-connect/")).content.decode()
    inputs = claim_inputs(page)
    assert list(inputs)[:3] == ["sub", "email", "email_verified"]
    assert list(inputs)[-2:] == ["Age", "Tier"]
    assert set(inputs) == {*BUILTIN_ATTRIBUTES, "sub", "email_verified", "Age", "Tier"}
    assert inputs["sub"] == "sub"
    assert inputs["email_verified"] == "email_verified"
    assert inputs["given_name"] == "given_name"
    assert inputs["surname"] == "family_name"
    assert inputs["display_name"] == "name"
    assert inputs["city"] == ""
    assert inputs["Tier"] == ""
    assert '<label for="id_claim_Tier">Tier</label>' in page
    assert '<label for="id_claim_sub">User ID</label>' in page
    age_row = re.search(r'<label for="id_claim_Age">.*?</tr>', page, re.S)
    assert age_row is not None
    assert "<td>Int</td>" in age_row.group(0)
    assert 'scope="colgroup" colspan="3">Custom attributes</th>' in page
    assert 'name="claims_mapping"' not in page  # the old text box is gone
    # Google, Facebook and Apple read their own fixed claims: no table.
    google = admin.get(providers_url(tenant_a, "add/google/")).content.decode()
    assert claim_inputs(google) == {}
    assert "Claims mapping" not in google


def test_a_custom_attribute_is_mapped_when_added(
    tenant_a: Tenant, admin: Client, provider_server: ProviderServer
) -> None:
    with in_tenant(tenant_a):
        custom_attribute_create(name="Tier", data_type="string")
    response = admin.post(
        providers_url(tenant_a, "add/openid-connect/"),
        {
            "display_name": "Contoso ID",
            "well_known_url": provider_server.serve(),
            "client_id": "c",
            "client_authentication": "client_secret_post",
            "secret": "s",
            "scopes": "openid profile",
            **SIGN_IN_CLAIMS,
            "claim_Tier": "urn:contoso:tier",
            "claim_city": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (provider,) = stored(tenant_a)
    assert provider.claims_mapping == {
        "sub": "sub",
        "email": "email",
        "email_verified": "email_verified",
        "Tier": "urn:contoso:tier",
    }


def test_edit_shows_the_mapping_a_sign_in_reads_and_saves_the_table(
    tenant_a: Tenant, admin: Client, provider_server: ProviderServer
) -> None:
    """The edit page shows the saved claims (sub, email, email_verified as a sign-in reads
    them, the others empty where not mapped); saving stores exactly the filled rows."""
    with in_tenant(tenant_a):
        custom_attribute_create(name="Tier", data_type="string")
        identity_provider_create(
            kind="openid_connect",
            display_name="Contoso ID",
            client_id="c",
            secret="s",
            well_known_url=provider_server.serve(),
            claims_mapping={"sub": "oid", "display_name": "nickname", "Tier": "tier"},
        )
    url = providers_url(tenant_a, "contoso-id/")
    inputs = claim_inputs(admin.get(url).content.decode())
    assert inputs["sub"] == "oid"
    assert inputs["email"] == "email"  # not saved: a sign-in reads the standard claim
    assert inputs["email_verified"] == "email_verified"
    assert inputs["display_name"] == "nickname"
    assert inputs["given_name"] == ""  # not mapped, so not the standard claim either
    assert inputs["Tier"] == "tier"
    response = admin.post(
        url,
        {
            "display_name": "Contoso ID",
            "well_known_url": provider_server.well_known_url(),
            "client_id": "c",
            "client_authentication": "client_secret_post",
            "secret": "",
            "scopes": "openid",
            **{f"claim_{name}": value for name, value in inputs.items()},
            "claim_email": "mail",
            "claim_display_name": "",
            "claim_city": "locality",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (provider,) = stored(tenant_a)
    assert provider.claims_mapping == {
        "sub": "oid",
        "email": "mail",
        "email_verified": "email_verified",
        "city": "locality",
        "Tier": "tier",
    }
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.IDENTITY_PROVIDER_UPDATED
    )
    assert "city=locality" in entry.details["after"]["claims_mapping"]


def test_bad_claim_names_are_errors_beside_their_rows(
    tenant_a: Tenant, admin: Client, provider_server: ProviderServer
) -> None:
    with in_tenant(tenant_a):
        custom_attribute_create(name="Tier", data_type="string")
    response = admin.post(
        providers_url(tenant_a, "add/openid-connect/"),
        {
            "display_name": "Contoso ID",
            "well_known_url": provider_server.serve(),
            "client_id": "c",
            "client_authentication": "client_secret_post",
            "secret": "s",
            "scopes": "openid",
            **SIGN_IN_CLAIMS,
            "claim_sub": "",
            "claim_city": "home town",
            "claim_Tier": "t" * 129,
            "claim_surname": "<script>",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    for name in ("city", "Tier", "surname"):
        error = re.search(
            rf'<div class="field-errors" id="id_claim_{name}_error"[^>]*>(.*?)</div>', page
        )
        assert error is not None, name
        assert "Use a plain claim name: letters, digits and _ - . : only" in error.group(1)
        assert re.search(
            rf'<input [^>]*aria-invalid="true"[^>]*aria-describedby="id_claim_{name}_error"'
            rf'[^>]*id="id_claim_{name}"',
            page,
        ), name
    assert 'id="id_claim_sub_error"' in page
    assert "A sign-in reads this: name the provider&#x27;s claim." in page
    assert "<script>" not in page
    # What the admin typed is shown back, to correct.
    assert claim_inputs(page)["city"] == "home town"
    assert stored(tenant_a) == []
