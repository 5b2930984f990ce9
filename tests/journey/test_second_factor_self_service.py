"""A signed-in customer's own second factors (allauth.mfa's pages under account/2fa/, each
change confirmed by re-authentication), only the kinds the tenant enables set up; and an
admin's Reset MFA on the customer's page, audited."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.test import Client

from accounts.models import User
from protection.methods import authentication_methods_policy_update
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import PASSWORD, MakeOperator, make_customer, operator_client

EMAIL = "self@example.com"
_SECRET = re.compile(r"\b([A-Z2-7]{32})\b")


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/{tenant.domain_name}/account/2fa/{rest}"


def signed_in(tenant: Tenant) -> Client:
    """A customer signed in with a password, in no app's sign-in."""
    make_customer(tenant, EMAIL)
    client = Client()
    answer = client.post(
        f"/{tenant.domain_name}/account/login/", {"login": EMAIL, "password": PASSWORD}
    )
    assert answer.status_code == 302
    return client


def factors(tenant: Tenant) -> set[str]:
    with in_tenant(tenant):
        return set(Authenticator.objects.filter(user__email=EMAIL).values_list("type", flat=True))


@pytest.fixture
def totp_offered(tenant_a: Tenant) -> Tenant:
    with in_tenant(tenant_a):
        authentication_methods_policy_update(
            email_otp_enabled=True, totp_enabled=True, passkeys_enabled=False
        )
    return tenant_a


def test_a_customer_sets_up_an_authenticator_app_after_confirming_it_is_them(
    totp_offered: Tenant,
) -> None:
    tenant = totp_offered
    client = signed_in(tenant)
    home = client.get(f"/{tenant.domain_name}/")
    assert url(tenant) in home.text  # "Two-step verification"
    index = client.get(url(tenant))
    assert index.status_code == 200
    assert url(tenant, "totp/activate/") in index.text
    assert url(tenant, "webauthn/add/") not in index.text  # passkeys are not enabled

    # Confirm it is them (allauth's re-authentication), then the set-up page.
    to_confirm = client.get(url(tenant, "totp/activate/"))
    assert to_confirm.status_code == 302
    assert to_confirm["Location"].startswith(f"/{tenant.domain_name}/account/reauthenticate/")
    confirm_page = client.get(to_confirm["Location"])
    assert confirm_page.status_code == 200
    wrong = client.post(to_confirm["Location"], {"password": "not-it"})
    assert wrong.status_code == 200
    assert factors(tenant) == set()
    confirmed = client.post(to_confirm["Location"], {"password": PASSWORD})
    assert confirmed.status_code == 302
    setup = client.get(confirmed["Location"])
    assert setup.status_code == 200
    secret_match = _SECRET.search(setup.text)
    assert secret_match, setup.text[:3000]
    secret = secret_match.group(1)
    activated = client.post(url(tenant, "totp/activate/"), {"code": totp_code(secret)})
    assert activated.status_code == 302
    assert activated["Location"] == url(tenant, "recovery-codes/")
    assert factors(tenant) == {"totp", "recovery_codes"}
    codes = client.get(activated["Location"])
    shown = re.findall(r"\b\d{8}\b", codes.text)
    assert len(set(shown)) == 10
    # Seen once: a second look shows none of them; new ones can be made.
    again = client.get(activated["Location"])
    assert not set(shown) & set(re.findall(r"\b\d{8}\b", again.text))
    made = client.post(url(tenant, "recovery-codes/generate/"))
    assert made.status_code == 302
    fresh = set(re.findall(r"\b\d{8}\b", client.get(made["Location"]).text))
    assert len(fresh) == 10
    assert not fresh & set(shown)

    # Removing it removes its recovery codes too.
    assert "Remove" in client.get(url(tenant)).text
    removed = client.post(url(tenant, "totp/deactivate/"))
    assert removed.status_code == 302
    assert factors(tenant) == set()


def test_only_the_kinds_the_tenant_enables_can_be_set_up(tenant_a: Tenant) -> None:
    """Entra's defaults offer the emailed code alone: no authenticator app, no passkey."""
    client = signed_in(tenant_a)
    for rest in ("totp/activate/", "webauthn/add/"):
        assert client.get(url(tenant_a, rest)).status_code == 404, rest
        assert client.post(url(tenant_a, rest), {"code": "123456"}).status_code == 404, rest
    index = client.get(url(tenant_a))
    assert index.status_code == 200
    assert "Not offered here." in index.text
    assert (
        Client()
        .get(url(tenant_a))["Location"]
        .startswith(f"/{tenant_a.domain_name}/account/login/")
    )


def test_an_admin_resets_a_customers_second_factors(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    customer = make_customer(tenant_a, EMAIL)
    with in_tenant(tenant_a):
        user = User.objects.get(pk=customer.pk)
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        RecoveryCodes.activate(user)
    detail = f"/admin-center/tenants/{tenant_a.tenant_id}/customers/{customer.object_id}/"
    reader = operator_client(
        operator_factory(tenant=tenant_a, roles=[AdminRole.REPORTS_READER]).email
    )
    assert reader.post(f"{detail}reset-mfa/").status_code == 403
    assert factors(tenant_a) == {"totp", "recovery_codes"}

    operator = operator_factory(tenant=tenant_a, roles=[AdminRole.USER_ADMINISTRATOR])
    admin = operator_client(operator.email)
    page = admin.get(detail)
    assert "Reset MFA" in page.text
    assert "10 left" in page.text
    reset = admin.post(f"{detail}reset-mfa/")
    assert reset.status_code == 302
    assert factors(tenant_a) == set()
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.CUSTOMER_MFA_RESET
    )
    assert entry.target == EMAIL
    assert entry.actor_email == operator.email
    assert entry.details == {
        "object_id": str(customer.object_id),
        "authenticator_app": True,
        "passkeys": 0,
        "recovery_codes": True,
        "removed": 2,
    }
    after = admin.get(detail)
    assert "removed; they set one up again" in after.text
    assert "Reset MFA" not in after.text  # nothing left to reset
