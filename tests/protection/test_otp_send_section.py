"""Authentication methods → "Send codes with your own provider" (issue 14): the tenant's one
OnOtpSend listener set, changed and removed, each audited; only extensions registered for
OnOtpSend may be chosen; only who manages authentication methods may do it."""

import pytest
from django.test import Client

from extensions.models import (
    CustomAuthenticationExtension,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from extensions.otp_listeners import otp_listener
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, operator_client
from tests.factories.otp_service import OtpService, otp_extension


def section_url(tenant: Tenant) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/authentication-methods/otp-send/"


def methods_url(tenant: Tenant) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/authentication-methods/"


def admin(tenant: Tenant, operator_factory: MakeOperator, role: AdminRole) -> Client:
    return operator_client(operator_factory(tenant=tenant, roles=[role]).email)


def test_the_listener_is_set_changed_and_removed_each_audited(
    tenant_a: Tenant, operator_factory: MakeOperator, otp_service: OtpService
) -> None:
    client = admin(tenant_a, operator_factory, AdminRole.AUTHENTICATION_POLICY_ADMINISTRATOR)
    assert (
        "No custom authentication extension is registered" in client.get(methods_url(tenant_a)).text
    )
    with in_tenant(tenant_a):
        extension = otp_extension(otp_service)
    page = client.get(methods_url(tenant_a))
    assert "Codes are sent by our email." in page.text
    assert "Our email provider" in page.text
    chosen = str(extension.extension_id)
    # The default policy is Entra's: fail.
    assert f'value="{FailurePolicy.FAIL}"' in page.text

    saved = client.post(section_url(tenant_a), {"extension": chosen, "failure_policy": "fail"})
    assert saved.status_code == 302
    with in_tenant(tenant_a):
        listener = otp_listener()
        assert listener is not None
        assert (listener.extension_id, listener.failure_policy) == (extension.pk, "fail")
        assert (listener.app_id, listener.user_flow_id) == (None, None)
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_LISTENER_SET
    )
    assert entry.details["after"]["extension"] == "Our email provider"
    assert (
        "Codes are sent by <strong>Our email provider</strong>"
        in client.get(methods_url(tenant_a)).text
    )

    client.post(section_url(tenant_a), {"extension": chosen, "failure_policy": "continue"})
    with in_tenant(tenant_a):
        assert ExtensionListener.objects.get().failure_policy == FailurePolicy.CONTINUE
    changed = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_LISTENER_SET
    ).first()
    assert changed is not None
    assert changed.details["before"] == {"failure_policy": "fail"}
    assert changed.details["after"] == {"failure_policy": "continue"}

    removed = client.post(section_url(tenant_a), {"remove": "1"})
    assert removed.status_code == 302
    with in_tenant(tenant_a):
        assert otp_listener() is None
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_LISTENER_REMOVED
    )
    assert entry.details["extension"] == "Our email provider"


def test_only_an_otp_extension_and_a_known_policy_may_be_chosen(
    tenant_a: Tenant, operator_factory: MakeOperator, otp_service: OtpService
) -> None:
    client = admin(tenant_a, operator_factory, AdminRole.GLOBAL_ADMINISTRATOR)
    with in_tenant(tenant_a):
        otp = otp_extension(otp_service)
        claims = CustomAuthenticationExtension.objects.create(
            name="Claims",
            event=ExtensionEvent.TOKEN_ISSUANCE_START,
            target_url=otp_service.url,
            api_app=otp.api_app,
        )
    for bad in (
        {"extension": str(claims.extension_id), "failure_policy": "fail"},
        {"extension": "not-a-uuid", "failure_policy": "fail"},
        {"extension": str(otp.extension_id), "failure_policy": "maybe"},
        {},
    ):
        refused = client.post(section_url(tenant_a), bad)
        assert refused.status_code == 200  # the page again, with the form's errors
        assert "Select a valid choice" in refused.text or "This field is required" in refused.text
    with in_tenant(tenant_a):
        assert otp_listener() is None
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_LISTENER_SET
    ).exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (AdminRole.AUTHENTICATION_POLICY_ADMINISTRATOR, True),
        (AdminRole.GLOBAL_ADMINISTRATOR, True),
        (AdminRole.APPLICATION_ADMINISTRATOR, False),
        (AdminRole.REPORTS_READER, False),
    ],
)
def test_who_may_set_the_listener(
    tenant_a: Tenant,
    operator_factory: MakeOperator,
    otp_service: OtpService,
    role: AdminRole,
    allowed: bool,
) -> None:
    with in_tenant(tenant_a):
        extension = otp_extension(otp_service)
    client = admin(tenant_a, operator_factory, role)
    answer = client.post(
        section_url(tenant_a), {"extension": str(extension.extension_id), "failure_policy": "fail"}
    )
    assert answer.status_code == (302 if allowed else 403)
    assert client.get(section_url(tenant_a)).status_code == (405 if allowed else 403)
    with in_tenant(tenant_a):
        assert (otp_listener() is not None) is allowed
