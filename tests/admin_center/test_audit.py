"""Every change an operator makes in the admin center is in the tenant's audit log: who, what,
which object, and before/after where the values are small (never a secret's value)."""

import json
import re

import pytest
from django.test import Client, RequestFactory

from accounts.models import CustomAttribute, User
from accounts.services import custom_attribute_create
from admin_center.audit import audit
from apps import services as app_services
from apps.models import ApiPermission, AppRegistration, Platform, SigningKey
from tenants.models import AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.admin_center import public_key_pem
from userflows import services as flow_services
from userflows.models import UserFlow


def entries(tenant: Tenant, action: AuditAction) -> list[AuditEntry]:
    """The tenant's entries of one action, oldest first."""
    return list(
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id, action=action).order_by("id")
    )


def only(tenant: Tenant, action: AuditAction, actor: str) -> AuditEntry:
    [entry] = entries(tenant, action)
    assert entry.actor_email == actor
    return entry


@pytest.fixture
def web_app(tenant_a: Tenant) -> AppRegistration:
    with in_tenant(tenant_a):
        return app_services.app_register(
            name="Shop", platform=Platform.WEB, redirect_uris=["https://shop.example/cb"]
        )


def app_url(tenant: Tenant, app: AppRegistration) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/apps/{app.object_id}/"


def test_user_flow_changes_are_audited_with_before_and_after(
    admin_client: Client, tenant_a: Tenant, web_app: AppRegistration
) -> None:
    admin = "global@admins.example"
    base = f"/admin-center/tenants/{tenant_a.tenant_id}/user-flows/"
    with in_tenant(tenant_a):
        tier = custom_attribute_create(name="Tier", data_type="string")
    created = admin_client.post(
        base,
        {
            "name": "Members",
            "sign_in_method": "email_password",
            "sign_up_allowed": "on",
            "builtin_attributes": ["city"],
        },
    )
    assert created.status_code == 302
    with in_tenant(tenant_a):
        flow = UserFlow.objects.get(name="Members")
    target = f"Members ({flow.flow_id})"
    entry = only(tenant_a, AuditAction.USERFLOW_CREATED, admin)
    assert entry.target == target
    assert entry.details == {
        "name": "Members",
        "sign_in_method": "email_password",
        "sign_up_allowed": True,
        "attributes": ["email", "city"],
    }

    page = f"{base}{flow.flow_id}/"
    admin_client.post(f"{page}properties/", {"name": "Members"})  # sign-up off
    entry = only(tenant_a, AuditAction.USERFLOW_UPDATED, admin)
    assert entry.details == {
        "before": {"sign_up_allowed": True},
        "after": {"sign_up_allowed": False},
    }
    admin_client.post(f"{page}identity-providers/", {"sign_in_method": "email_otp"})
    assert [entry.details for entry in entries(tenant_a, AuditAction.USERFLOW_UPDATED)] == [
        {"before": {"sign_up_allowed": True}, "after": {"sign_up_allowed": False}},
        {"before": {"sign_in_method": "email_password"}, "after": {"sign_in_method": "email_otp"}},
    ]

    admin_client.post(
        f"{page}user-attributes/",
        {"collect": ["builtin:city", f"custom:{tier.pk}"], "required": ["builtin:city"]},
    )
    assert only(tenant_a, AuditAction.USERFLOW_ATTRIBUTE_ADDED, admin).details == {
        "attribute": "Tier",
        "required": False,
    }
    assert only(tenant_a, AuditAction.USERFLOW_ATTRIBUTE_UPDATED, admin).details == {
        "attribute": "city",
        "before": {"required": False},
        "after": {"required": True},
    }
    with in_tenant(tenant_a):
        item = flow.attributes.get(custom_attribute=tier)
        city = flow.attributes.get(builtin="city")
    admin_client.post(
        f"{page}page-layouts/",
        {
            f"a{city.pk}-input_type": "TextBox",
            f"a{item.pk}-label": "Your tier",
            f"a{item.pk}-input_type": "RadioSingleSelect",
            f"a{item.pk}-options": "Gold | gold",
        },
    )
    updated = entries(tenant_a, AuditAction.USERFLOW_ATTRIBUTE_UPDATED)
    assert len(updated) == 2  # the required city, then Tier's look; unchanged City is not audited
    assert updated[1].details == {
        "attribute": "Tier",
        "before": {"label": "", "input_type": "TextBox", "options": []},
        "after": {"label": "Your tier", "input_type": "RadioSingleSelect", "options": ["gold"]},
    }
    admin_client.post(f"{page}attributes/{item.pk}/move/", {"to": "top"})
    entry = only(tenant_a, AuditAction.USERFLOW_LAYOUT_CHANGED, admin)
    assert entry.details == {
        "attribute": "Tier",
        "before": {"order": ["email", "city", "Tier"]},
        "after": {"order": ["Tier", "email", "city"]},
    }
    admin_client.post(f"{page}user-attributes/", {"collect": ["builtin:city"]})
    assert only(tenant_a, AuditAction.USERFLOW_ATTRIBUTE_REMOVED, admin).details == {
        "attribute": "Tier"
    }

    admin_client.post(f"{page}apps/", {"apps": [web_app.pk]})
    entry = only(tenant_a, AuditAction.USERFLOW_APPS_ASSIGNED, admin)
    assert entry.details == {"before": {"apps": []}, "after": {"apps": [web_app.client_id]}}

    admin_client.post(f"{page}delete/")
    assert only(tenant_a, AuditAction.USERFLOW_DELETED, admin).target == target


def test_a_refused_change_is_not_audited(admin_client: Client, tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        flow = flow_services.userflow_create(name="Only email")
    page = f"/admin-center/tenants/{tenant_a.tenant_id}/user-flows/{flow.flow_id}/"
    refused = {"collect": ["builtin:email"]}
    assert admin_client.post(f"{page}user-attributes/", refused).status_code == 400
    assert admin_client.post(f"{page}properties/", {"name": ""}).status_code == 400
    assert entries(tenant_a, AuditAction.USERFLOW_ATTRIBUTE_REMOVED) == []
    assert entries(tenant_a, AuditAction.USERFLOW_UPDATED) == []


def test_custom_attribute_changes_are_audited(admin_client: Client, tenant_a: Tenant) -> None:
    url = f"/admin-center/tenants/{tenant_a.tenant_id}/custom-attributes/"
    admin_client.post(f"{url}new/", {"name": "Loyalty", "data_type": "string"})
    entry = only(tenant_a, AuditAction.CUSTOM_ATTRIBUTE_CREATED, "global@admins.example")
    assert entry.target == "Loyalty"
    assert entry.details == {"data_type": "string", "description": "", "user_editable": False}
    with in_tenant(tenant_a):
        attribute = CustomAttribute.objects.get(name="Loyalty")
    admin_client.post(
        f"{url}{attribute.pk}/",
        {"data_type": "int", "description": "Card number", "user_editable": "on"},
    )
    entry = only(tenant_a, AuditAction.CUSTOM_ATTRIBUTE_UPDATED, "global@admins.example")
    assert entry.details == {
        "before": {"data_type": "string", "description": "", "user_editable": False},
        "after": {"data_type": "int", "description": "Card number", "user_editable": True},
    }


def test_app_registration_edits_are_audited(
    admin_client: Client, tenant_a: Tenant, web_app: AppRegistration
) -> None:
    admin = "global@admins.example"
    page = app_url(tenant_a, web_app)
    target = f"Shop ({web_app.client_id})"
    admin_client.post(
        f"{page}authentication/",
        {
            "redirect_uris": "https://shop.example/cb\nhttps://shop.example/cb2",
            "front_channel_logout_url": "https://shop.example/logout",
        },
    )
    entry = only(tenant_a, AuditAction.APP_AUTHENTICATION_UPDATED, admin)
    assert entry.target == target
    assert entry.details == {
        "before": {"redirect_uris": ["https://shop.example/cb"], "front_channel_logout_url": ""},
        "after": {
            "redirect_uris": ["https://shop.example/cb", "https://shop.example/cb2"],
            "front_channel_logout_url": "https://shop.example/logout",
        },
    }

    admin_client.post(f"{page}expose-api/app-id-uri/", {"app_id_uri": "api://shop"})
    assert only(tenant_a, AuditAction.APP_ID_URI_SET, admin).details == {
        "before": {"app_id_uri": f"api://{web_app.client_id}"},
        "after": {"app_id_uri": "api://shop"},
    }
    admin_client.post(
        f"{page}expose-api/scopes/new/", {"value": "Orders.Read", "display_name": "Read orders"}
    )
    assert only(tenant_a, AuditAction.API_SCOPE_ADDED, admin).details == {
        "scope": "Orders.Read",
        "display_name": "Read orders",
    }
    admin_client.post(
        f"{page}expose-api/roles/new/", {"value": "Orders.All", "display_name": "All"}
    )
    assert only(tenant_a, AuditAction.APP_ROLE_ADDED, admin).details["role"] == "Orders.All"

    permissions = admin_client.get(f"{page}permissions/").text
    choice = re.search(r'value="(scope:\d+)"', permissions)
    assert choice is not None
    admin_client.post(f"{page}permissions/new/", {"permission": choice.group(1)})
    assert only(tenant_a, AuditAction.PERMISSION_ADDED, admin).details == {
        "permission": "Shop · Orders.Read"
    }
    admin_client.post(f"{page}permissions/consent/grant/")
    # The OpenID permissions a new app requests are consented already: one more is granted.
    assert only(tenant_a, AuditAction.CONSENT_GRANTED, admin).details == {"permissions": 1}
    admin_client.post(f"{page}permissions/consent/revoke/")
    assert only(tenant_a, AuditAction.CONSENT_REVOKED, admin).details == {"permissions": 5}
    with in_tenant(tenant_a):
        openid = ApiPermission.objects.get(client=web_app, oidc_scope="openid")
    admin_client.post(f"{page}permissions/{openid.pk}/remove/")
    assert only(tenant_a, AuditAction.PERMISSION_REMOVED, admin).details == {"permission": "openid"}

    admin_client.post(f"{page}claims/", {"id:given_name": "on", "at:city": "on"})
    assert only(tenant_a, AuditAction.APP_CLAIMS_UPDATED, admin).details == {
        "before": {"id_token": [], "access_token": []},
        "after": {"id_token": ["given_name"], "access_token": ["city"]},
    }


def test_secrets_and_certificates_are_audited_without_the_secret(
    admin_client: Client, tenant_a: Tenant, web_app: AppRegistration
) -> None:
    admin = "global@admins.example"
    page = app_url(tenant_a, web_app)
    shown = admin_client.post(
        f"{page}credentials/secrets/new/", {"description": "CI", "lifetime": "90"}
    )
    value = re.search(r'id="secret-value" class="secret">([^<]+)<', shown.text)
    assert value is not None
    with in_tenant(tenant_a):
        secret = web_app.secrets.get()
    added = only(tenant_a, AuditAction.SECRET_ADDED, admin)
    assert added.details == {
        "secret_id": str(secret.secret_id),
        "description": "CI",
        "hint": secret.hint,
        "expires_at": secret.expires_at.isoformat(),
    }
    admin_client.post(f"{page}credentials/secrets/{secret.secret_id}/remove/")
    removed = only(tenant_a, AuditAction.SECRET_REMOVED, admin)
    assert removed.details["secret_id"] == str(secret.secret_id)
    log = json.dumps([added.details, removed.details]) + added.target + removed.target
    assert value.group(1) not in log
    assert secret.digest not in log

    admin_client.post(f"{page}credentials/certificates/new/", {"pem": public_key_pem()})
    with in_tenant(tenant_a):
        certificate = web_app.certificates.get()
    assert only(tenant_a, AuditAction.CERTIFICATE_ADDED, admin).details == {
        "thumbprint": certificate.thumbprint,
        "description": "",
    }
    admin_client.post(f"{page}credentials/certificates/{certificate.pk}/remove/")
    assert (
        only(tenant_a, AuditAction.CERTIFICATE_REMOVED, admin).details["thumbprint"]
        == certificate.thumbprint
    )


def test_token_lifetimes_and_signing_keys_are_audited(
    admin_client: Client, tenant_a: Tenant
) -> None:
    base = f"/admin-center/tenants/{tenant_a.tenant_id}/"
    admin_client.post(
        f"{base}token-configuration/",
        {
            "access_token_minutes": "30",
            "id_token_minutes": "60",
            "spa_refresh_token_hours": "24",
            "refresh_token_days": "90",
        },
    )
    entry = only(tenant_a, AuditAction.TOKEN_LIFETIMES_UPDATED, "global@admins.example")
    assert entry.details == {
        "before": {"access_token_minutes": 60},
        "after": {"access_token_minutes": 30},
    }
    with in_tenant(tenant_a):
        old = SigningKey.objects.get(status="active").kid
    admin_client.post(f"{base}signing-keys/rotate/")
    with in_tenant(tenant_a):
        new = SigningKey.objects.get(status="active").kid
    entry = only(tenant_a, AuditAction.SIGNING_KEY_ROTATED, "global@admins.example")
    assert entry.target == new
    assert entry.details == {"before": {"active_kid": old}, "after": {"active_kid": new}}


def test_the_audit_log_page_shows_what_changed_from_what_to_what(
    admin_client: Client, tenant_a: Tenant, web_app: AppRegistration
) -> None:
    admin_client.post(
        f"{app_url(tenant_a, web_app)}expose-api/app-id-uri/", {"app_id_uri": "api://shop"}
    )
    log_url = f"/admin-center/tenants/{tenant_a.tenant_id}/audit-log/"
    log = admin_client.get(log_url)
    assert "Application ID URI set" in log.text
    entry = only(tenant_a, AuditAction.APP_ID_URI_SET, "global@admins.example")
    pane = admin_client.get(log_url, {"entry": entry.pk}).text
    assert (
        f'<tr><th scope="row">app_id_uri</th><td>api://{web_app.client_id}</td>'
        "<td>api://shop</td></tr>"
    ) in pane


def test_the_helper_records_only_what_changed_and_no_long_text(
    tenant_a: Tenant, global_admin: User
) -> None:
    request = RequestFactory().post("/")
    request.user = global_admin
    entry = audit(
        request,
        tenant_a,
        AuditAction.APP_AUTHENTICATION_UPDATED,
        target="Shop",
        details={"note": "x" * 1_000},
        before={"same": 1, "changed": "a", "list": ["b"]},
        after={"same": 1, "changed": "b", "list": ["b", "c"]},
    )
    entry.refresh_from_db()
    assert entry.actor == global_admin
    assert entry.actor_email == global_admin.email
    assert entry.details == {
        "note": "(1000 characters)",
        "before": {"changed": "a", "list": ["b"]},
        "after": {"changed": "b", "list": ["b", "c"]},
    }
