"""Admin center → Authentication methods: who may open it, each method switched on and off,
the audit entry with what changed, and the warning where Entra's rule leaves a code flow
without a possible second factor."""

import pytest
from django.test import Client

from protection.models import AuthenticationMethodsPolicy
from protection.selectors import authentication_methods_policy
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, operator_client
from userflows import services as flow_services
from userflows.models import SignInMethod


def methods_url(tenant: Tenant) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/authentication-methods/"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (AdminRole.AUTHENTICATION_POLICY_ADMINISTRATOR, True),
        (AdminRole.GLOBAL_ADMINISTRATOR, True),
        (AdminRole.CONDITIONAL_ACCESS_ADMINISTRATOR, False),
        (AdminRole.USER_ADMINISTRATOR, False),
    ],
)
def test_who_may_manage_authentication_methods(
    tenant_a: Tenant, operator_factory: MakeOperator, role: AdminRole, allowed: bool
) -> None:
    client = operator_client(operator_factory(tenant=tenant_a, roles=[role]).email)
    assert client.get(methods_url(tenant_a)).status_code == (200 if allowed else 403)
    response = client.post(methods_url(tenant_a), {"totp_enabled": "on"})
    assert response.status_code == (302 if allowed else 403)
    with in_tenant(tenant_a):
        assert authentication_methods_policy().totp_enabled is allowed
    nav = client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/")
    assert ("Authentication methods" in nav.text) is allowed


def test_the_defaults_are_entras_and_a_save_is_audited_with_what_changed(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    operator = operator_factory(
        tenant=tenant_a, roles=[AdminRole.AUTHENTICATION_POLICY_ADMINISTRATOR]
    )
    client = operator_client(operator.email)
    page = client.get(methods_url(tenant_a))
    assert 'id="id_email_otp_enabled" checked>' in page.text
    assert 'id="id_totp_enabled">' in page.text
    assert 'id="id_passkeys_enabled">' in page.text

    saved = client.post(methods_url(tenant_a), {"totp_enabled": "on", "passkeys_enabled": "on"})
    assert saved.status_code == 302
    with in_tenant(tenant_a):
        policy = AuthenticationMethodsPolicy.objects.get()
        assert (policy.email_otp_enabled, policy.totp_enabled, policy.passkeys_enabled) == (
            False,
            True,
            True,
        )
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.AUTHENTICATION_METHODS_UPDATED
    )
    assert entry.actor_email == operator.email
    assert entry.details == {
        "before": {"email_otp_enabled": True, "totp_enabled": False, "passkeys_enabled": False},
        "after": {"email_otp_enabled": False, "totp_enabled": True, "passkeys_enabled": True},
    }
    assert "Authentication methods saved." in client.get(methods_url(tenant_a)).text


def test_code_flows_are_named_with_a_warning_when_no_second_factor_is_possible(
    tenant_a: Tenant, admin_client: Client
) -> None:
    with in_tenant(tenant_a):
        flow_services.userflow_create(
            name="Passwordless shop", sign_in_method=SignInMethod.EMAIL_OTP
        )
    page = admin_client.get(methods_url(tenant_a))
    assert "Passwordless shop" in page.text
    assert "cannot complete a second factor" in page.text  # email OTP alone: stranded

    admin_client.post(methods_url(tenant_a), {"email_otp_enabled": "on", "totp_enabled": "on"})
    page = admin_client.get(methods_url(tenant_a))
    assert "Passwordless shop" in page.text
    assert "cannot complete a second factor" not in page.text

    admin_client.post(methods_url(tenant_a), {})
    assert "No second factor is enabled" in admin_client.get(methods_url(tenant_a)).text
