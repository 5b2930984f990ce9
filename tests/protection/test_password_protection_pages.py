"""The admin center's side of smart lockout: the Password protection page (Authentication
Policy Administrator), and a customer's lockout seen and cleared on their page (User
Administrator), every change audited."""

import pytest
from django.test import Client

from accounts.models import User
from protection.lockout import lockouts_of
from protection.models import SignInProtection
from protection.selectors import sign_in_protection
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import PASSWORD, MakeOperator, make_customer, operator_client
from tests.protection.test_sign_in import botnet, guesses, sign_in, signed_in

EMAIL = "grace@example.com"
VALID = {
    "lockout_threshold": "5",
    "lockout_seconds": "120",
    "requests_per_second_per_address": "20",
    "requests_per_second_per_tenant": "200",
    "breached_passwords_refused": "on",
}


def page_url(tenant: Tenant) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/authentication-methods/password-protection/"


def customer_url(tenant: Tenant, customer: User) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/customers/{customer.object_id}/"


def entries(tenant: Tenant, action: AuditAction) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id, action=action).order_by("id")
    )


@pytest.fixture
def policy_admin(operator_factory: MakeOperator, tenant_a: Tenant) -> Client:
    operator = operator_factory(
        "policies@admins.example",
        tenant=tenant_a,
        roles=[AdminRole.AUTHENTICATION_POLICY_ADMINISTRATOR],
    )
    return operator_client(operator.email)


@pytest.fixture
def user_admin(operator_factory: MakeOperator, tenant_a: Tenant) -> Client:
    operator = operator_factory(
        "users@admins.example", tenant=tenant_a, roles=[AdminRole.USER_ADMINISTRATOR]
    )
    return operator_client(operator.email)


def test_the_page_shows_entras_defaults_and_saves_with_an_audit_entry(
    policy_admin: Client, tenant_a: Tenant
) -> None:
    shown = policy_admin.get(page_url(tenant_a))
    assert shown.status_code == 200
    text = shown.content.decode()
    assert "Password protection" in text
    assert 'name="lockout_threshold" value="10"' in text
    assert 'name="lockout_seconds" value="60"' in text
    assert 'aria-current="page">Password protection</a>' in text  # the navigation's entry

    saved = policy_admin.post(page_url(tenant_a), VALID)
    assert saved.status_code == 302
    assert saved["Location"] == page_url(tenant_a)
    with in_tenant(tenant_a):
        protection = sign_in_protection()
    assert (protection.lockout_threshold, protection.lockout_seconds) == (5, 120)
    assert protection.breached_passwords_refused
    [entry] = entries(tenant_a, AuditAction.SIGN_IN_PROTECTION_UPDATED)
    assert entry.actor_email == "policies@admins.example"
    assert entry.details == {
        "before": {"lockout_threshold": 10, "lockout_seconds": 60},
        "after": {"lockout_threshold": 5, "lockout_seconds": 120},
    }
    # Saved again, still one row.
    assert policy_admin.post(page_url(tenant_a), {**VALID, "lockout_seconds": "300"}).status_code
    with in_tenant(tenant_a):
        assert SignInProtection.objects.get().lockout_seconds == 300


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lockout_threshold", "0", "greater than or equal to 1"),
        ("lockout_threshold", "ten", "Enter a whole number"),
        ("lockout_seconds", "4", "greater than or equal to 5"),
        ("lockout_seconds", "86401", "less than or equal to 86400"),
        ("lockout_seconds", "", "This field is required"),
        ("requests_per_second_per_address", "201", "cannot be above the tenant"),
    ],
)
def test_a_value_out_of_range_is_an_error_on_its_field_and_nothing_is_saved(
    policy_admin: Client, tenant_a: Tenant, field: str, value: str, message: str
) -> None:
    answer = policy_admin.post(page_url(tenant_a), {**VALID, field: value})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert f'id="id_{field}_error"' in text
    assert message in text
    with in_tenant(tenant_a):
        assert not SignInProtection.objects.exists()
    assert entries(tenant_a, AuditAction.SIGN_IN_PROTECTION_UPDATED) == []


def test_other_roles_do_not_get_the_page(user_admin: Client, tenant_a: Tenant) -> None:
    assert user_admin.get(page_url(tenant_a)).status_code == 403
    assert user_admin.post(page_url(tenant_a), VALID).status_code == 403
    assert (
        "Password protection"
        not in user_admin.get(
            f"/admin-center/tenants/{tenant_a.tenant_id}/customers/"
        ).content.decode()
    )


def test_a_lower_threshold_set_on_the_page_locks_sooner(
    policy_admin: Client, tenant_a: Tenant
) -> None:
    make_customer(tenant_a, EMAIL)
    policy_admin.post(page_url(tenant_a), {**VALID, "lockout_threshold": "3"})
    guesses(tenant_a, botnet(3), 1)
    with in_tenant(tenant_a):
        [locked] = lockouts_of(email=EMAIL)
    assert locked.seconds == 120


def test_the_customer_page_shows_the_lockout_and_clears_it(
    user_admin: Client, tenant_a: Tenant
) -> None:
    customer = make_customer(tenant_a, EMAIL)
    page = user_admin.get(customer_url(tenant_a, customer)).content.decode()
    assert "Not locked" in page
    assert "Clear lockout" not in page

    guesses(tenant_a, botnet(10), 1)
    with in_tenant(tenant_a):
        [locked] = lockouts_of(email=EMAIL)
    page = user_admin.get(customer_url(tenant_a, customer)).content.decode()
    assert f"From other places: locked until {locked.until:%Y-%m-%d %H:%M:%S} UTC" in page
    assert "Clear lockout" in page

    cleared = user_admin.post(f"{customer_url(tenant_a, customer)}clear-lockout/")
    assert cleared.status_code == 302
    assert cleared["Location"] == customer_url(tenant_a, customer)
    with in_tenant(tenant_a):
        assert lockouts_of(email=EMAIL) == []
    [entry] = entries(tenant_a, AuditAction.CUSTOMER_LOCKOUT_CLEARED)
    assert entry.actor_email == "users@admins.example"
    assert entry.target == EMAIL
    assert entry.details == {
        "object_id": str(customer.object_id),
        "lockouts": [f"unfamiliar until {locked.until:%Y-%m-%d %H:%M:%S} UTC"],
    }
    # The customer signs in again at once, from anywhere.
    assert signed_in(sign_in(Client(REMOTE_ADDR="10.77.0.1"), tenant_a, PASSWORD), tenant_a)
    # Nothing to clear: nothing audited.
    user_admin.post(f"{customer_url(tenant_a, customer)}clear-lockout/")
    assert len(entries(tenant_a, AuditAction.CUSTOMER_LOCKOUT_CLEARED)) == 1


def test_clearing_a_lockout_needs_the_customer_role(policy_admin: Client, tenant_a: Tenant) -> None:
    customer = make_customer(tenant_a, EMAIL)
    guesses(tenant_a, botnet(10), 1)
    answer = policy_admin.post(f"{customer_url(tenant_a, customer)}clear-lockout/")
    assert answer.status_code == 403
    with in_tenant(tenant_a):
        assert len(lockouts_of(email=EMAIL)) == 1
