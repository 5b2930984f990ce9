"""Admin accounts of a tenant: add by email, assign roles, remove; all audited."""

import re

from django.test import Client

from accounts.models import User
from tenants.models import AdminRole, AuditAction, AuditEntry, RoleAssignment, Tenant
from tests.factories.accounts import MakeOperator, operator_client


def admins_url(tenant: Tenant) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/admins/"


def roles_on(tenant: Tenant, email: str) -> set[str]:
    return set(
        RoleAssignment.objects.filter(tenant=tenant, operator__email=email).values_list(
            "role", flat=True
        )
    )


def test_adding_a_new_email_creates_an_operator_with_a_temporary_password(
    admin_client: Client, tenant_a: Tenant
) -> None:
    response = admin_client.post(
        admins_url(tenant_a),
        {"email": "New.Admin@Example.com", "roles": ["reports_reader", "user_administrator"]},
    )
    assert response.status_code == 200
    password = re.search(r'id="temporary-password" class="secret">([^<]+)<', response.text)
    assert password is not None
    operator = User.objects.get(email="new.admin@example.com")
    assert operator.must_change_password
    assert operator.check_password(password.group(1))
    assert password.group(1) not in operator.password
    assert roles_on(tenant_a, "new.admin@example.com") == {"reports_reader", "user_administrator"}
    assert set(
        AuditEntry.objects.filter(
            tenant_uuid=tenant_a.tenant_id, target=operator.email
        ).values_list("action", flat=True)
    ) == {AuditAction.ADMIN_ADDED, AuditAction.ROLE_GRANTED}
    # The password is shown once: the list page does not show it again.
    assert password.group(1) not in admin_client.get(admins_url(tenant_a)).text

    # The new admin must choose a password before using the admin center.
    client = operator_client("new.admin@example.com", password.group(1))
    assert client.get("/admin-center/")["Location"] == "/admin-center/password/"
    response = client.post(
        "/admin-center/password/",
        {
            "old_password": password.group(1),
            "new_password1": "A-Brand-New-Secret-9",
            "new_password2": "A-Brand-New-Secret-9",
        },
    )
    assert response.status_code == 302
    assert client.get("/admin-center/").status_code == 200
    operator.refresh_from_db()
    assert not operator.must_change_password


def test_adding_an_existing_operator_grants_roles_and_keeps_the_password(
    admin_client: Client, tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    existing = operator_factory("existing@admins.example")
    response = admin_client.post(
        admins_url(tenant_a), {"email": "EXISTING@admins.example", "roles": ["reports_reader"]}
    )
    assert response.status_code == 302
    assert 'id="temporary-password"' not in admin_client.get(admins_url(tenant_a)).text
    existing.refresh_from_db()
    assert existing.check_password("Correct-Horse-42")
    assert roles_on(tenant_a, existing.email) == {"reports_reader"}


def test_add_admin_bad_input_gets_field_errors(admin_client: Client, tenant_a: Tenant) -> None:
    before = RoleAssignment.objects.count()
    for data, message in [
        ({"email": "not-an-email", "roles": ["reports_reader"]}, "Enter a valid email address."),
        ({"email": "x@example.com"}, "Choose at least one role."),
        ({"email": "x@example.com", "roles": ["supreme_leader"]}, "Select a valid choice"),
        ({"email": "a" * 300 + "@example.com", "roles": ["reports_reader"]}, "at most 254"),
    ]:
        response = admin_client.post(admins_url(tenant_a), data)
        assert response.status_code == 200
        assert message in response.text, message
    assert RoleAssignment.objects.count() == before


def test_edit_roles_grants_and_removes_with_audit(
    admin_client: Client, tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    other = operator_factory(
        "other@admins.example", tenant=tenant_a, roles=[AdminRole.REPORTS_READER]
    )
    url = f"{admins_url(tenant_a)}{other.pk}/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"roles": ["application_administrator"]})
    assert response.status_code == 302
    assert roles_on(tenant_a, other.email) == {"application_administrator"}
    actions = list(
        AuditEntry.objects.filter(tenant_uuid=tenant_a.tenant_id, target=other.email)
        .order_by("id")
        .values_list("action", "details")
    )
    assert actions == [
        (AuditAction.ROLE_REMOVED, {"role": "reports_reader"}),
        (AuditAction.ROLE_GRANTED, {"role": "application_administrator"}),
    ]
    audit_page = admin_client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/audit-log/")
    assert "Role removed" in audit_page.text
    assert "global@admins.example" in audit_page.text


def test_remove_admin_and_the_last_global_administrator_stays(
    admin_client: Client, tenant_a: Tenant, operator_factory: MakeOperator, global_admin: User
) -> None:
    other = operator_factory(
        "other@admins.example", tenant=tenant_a, roles=[AdminRole.REPORTS_READER]
    )
    response = admin_client.post(f"{admins_url(tenant_a)}{other.pk}/remove/")
    assert response.status_code == 302
    assert roles_on(tenant_a, other.email) == set()

    response = admin_client.post(f"{admins_url(tenant_a)}{global_admin.pk}/remove/", follow=True)
    assert "at least one Global Administrator" in response.text
    assert roles_on(tenant_a, global_admin.email) == {"global_administrator"}
    response = admin_client.post(f"{admins_url(tenant_a)}{global_admin.pk}/", {"roles": []})
    assert response.status_code == 200
    assert "at least one Global Administrator" in response.text
    assert roles_on(tenant_a, global_admin.email) == {"global_administrator"}


def test_roles_page_of_someone_who_is_not_an_admin_here_is_404(
    admin_client: Client, tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    stranger = operator_factory("stranger@admins.example")
    assert admin_client.get(f"{admins_url(tenant_a)}{stranger.pk}/").status_code == 404
    assert admin_client.post(f"{admins_url(tenant_a)}{stranger.pk}/remove/").status_code == 404
