"""The custom claims provider section of an app's Attributes & claims page (issue 14): the
provider, its failure policy and the claims mapping saved, reserved names refused on the page,
each change audited."""

from django.test import Client

from apps.models import AppCustomClaim, AppRegistration, Platform
from apps.services import app_register
from extensions.listeners import token_issuance_listener_of
from extensions.models import CustomAuthenticationExtension, ExtensionEvent, FailurePolicy
from tenants.models import AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant


def _setup(tenant: Tenant) -> tuple[str, AppRegistration, CustomAuthenticationExtension]:
    with in_tenant(tenant):
        app = app_register(name="Shop", platform=Platform.WEB)
        api = app_register(name="Claims API", platform=Platform.DAEMON)
        extension = CustomAuthenticationExtension.objects.create(
            name="Loyalty provider",
            event=ExtensionEvent.TOKEN_ISSUANCE_START,
            target_url="http://127.0.0.1:9/claims",
            api_app=api,
        )
    url = f"/admin-center/tenants/{tenant.tenant_id}/apps/{app.object_id}/claims/"
    return url, app, extension


def test_the_provider_and_its_mapping_are_saved_and_audited(
    admin_client: Client, tenant_a: Tenant
) -> None:
    url, app, extension = _setup(tenant_a)
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "Custom claims provider" in page.text
    assert "Loyalty provider" in page.text
    response = admin_client.post(
        url + "custom/",
        {
            "provider": str(extension.extension_id),
            "failure_policy": FailurePolicy.FAIL,
            "custom_id_0": "loyaltyTier",
            "custom_name_0": "loyalty_tier",
            "custom_in_id_0": "on",
            "custom_in_at_0": "on",
            "custom_id_1": "segments",
            "custom_name_1": "segments",
            "custom_in_at_1": "on",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        rows = set(
            AppCustomClaim.objects.values_list(
                "claim_id", "jwt_claim_name", "in_id_token", "in_access_token"
            )
        )
        listener = token_issuance_listener_of(app)
    assert rows == {
        ("loyaltyTier", "loyalty_tier", True, True),
        ("segments", "segments", False, True),
    }
    assert listener is not None
    assert listener.failure_policy == FailurePolicy.FAIL
    actions = set(
        AuditEntry.objects.filter(tenant_uuid=tenant_a.tenant_id).values_list("action", flat=True)
    )
    assert {AuditAction.APP_CLAIMS_UPDATED, AuditAction.EXTENSION_LISTENER_SET} <= actions
    page = admin_client.get(url)
    assert 'value="loyalty_tier"' in page.text


def test_a_reserved_name_is_refused_on_the_page_and_nothing_changes(
    admin_client: Client, tenant_a: Tenant
) -> None:
    url, _app, extension = _setup(tenant_a)
    response = admin_client.post(
        url + "custom/",
        {
            "provider": str(extension.extension_id),
            "custom_id_0": "tier",
            "custom_name_0": "sub",
            "custom_in_id_0": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "reserved claim" in response.text
    with in_tenant(tenant_a):
        assert not AppCustomClaim.objects.exists()
        assert not CustomAuthenticationExtension.objects.get(pk=extension.pk).listeners.exists()


def test_an_unknown_provider_is_a_message_not_an_error(
    admin_client: Client, tenant_a: Tenant
) -> None:
    url, _app, _extension = _setup(tenant_a)
    for provider in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        response = admin_client.post(url + "custom/", {"provider": provider}, follow=True)
        assert response.status_code == 200
        assert "Choose a custom claims provider" in response.text
