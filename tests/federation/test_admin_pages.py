"""Identity providers in the admin center: who may open them, adding each kind (bad settings as
field errors, nothing stored), the redirect URL to register, editing without ever showing the
secret, removal after confirmation, and the audit log."""

import pytest
from django.test import Client

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
            "claims_mapping": "sub: sub\nemail: mail",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (provider,) = stored(tenant_a)
    assert provider.scopes == ["openid", "email"]
    assert provider.claims_mapping == {"sub": "sub", "email": "mail"}
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
            "claims_mapping": "sub: sub\nnot a line",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 2" in page
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
            "claims_mapping": "sub: sub",
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
    assert entry.details == {"kind": "google", "user_flows": ["Shoppers"]}
    assert admin.get(providers_url(tenant_a, "google/")).status_code == 404
