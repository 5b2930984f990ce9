"""`roles` and `groups` through the real code flow (in process): the ID token carries the
client's roles, the access token its audience's (Entra's rule), each app's groups claim decides
`groups`, more than 200 groups become the overage's distributed claim, and issuing a token
reads the customer's roles and groups in one statement, or none for an app that needs none."""

import base64
import json
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import CustomerGroup, CustomerGroupMembership, User
from apps import lookups
from apps import services as app_services
from apps.assignments import app_role_assign, app_role_unassign
from apps.models import AllowedMemberTypes, AppRegistration, GroupMembershipClaims, Platform
from tenants.schemas import in_tenant
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld

_DIRECTORY_TABLES = ("apps_approleassignment", "accounts_customergroupmembership")


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def tokens_of(world: FlowWorld, email: str, scope: str) -> dict[str, Any]:
    """Sign the customer in at the flow's app and redeem the code: the token response."""
    client = Client()
    authorize = (
        f"/{world.tenant.domain_name}/oauth2/v2.0/authorize?client_id={world.app.client_id}"
        f"&response_type=code&scope={quote(scope)}&redirect_uri={FLOW_APP_REDIRECT}&state=s1"
    )
    client.get(authorize)
    answer = client.post(
        f"/{world.tenant.domain_name}/account/login/",
        {"login": email, "password": PASSWORD, "next": authorize},
    )
    assert answer["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), answer["Location"]
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    basic = base64.b64encode(f"{world.app.client_id}:{world.secret}".encode()).decode()
    response = client.post(
        f"/{world.tenant.domain_name}/oauth2/v2.0/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": FLOW_APP_REDIRECT},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _api(world: FlowWorld) -> tuple[AppRegistration, str]:
    """An API the shop may call for its customers: a scope consented, and roles."""
    api = app_services.app_register(name="Orders API", platform=Platform.DAEMON)
    scope = app_services.api_scope_add(app=api, value="Orders.Read", display_name="Read")
    app_services.api_permission_add(client=world.app, api_scope=scope)
    app_services.admin_consent_grant(client=world.app)
    return api, f"openid {api.effective_app_id_uri}/Orders.Read"


def test_the_id_token_has_the_clients_roles_and_the_access_token_the_apis(
    flow_world: FlowWorld,
) -> None:
    ann = make_customer(flow_world.tenant, "ann@example.com")
    with in_tenant(flow_world.tenant):
        shop = flow_world.app
        api, scope = _api(flow_world)
        admin = app_services.app_role_add(
            app=shop, value="Shop.Admin", display_name="Admin", allowed_member_types="user"
        )
        buyer = app_services.app_role_add(
            app=shop, value="Shop.Buyer", display_name="Buyer", allowed_member_types="both"
        )
        daemon_only = app_services.app_role_add(app=shop, value="Shop.Sync", display_name="Sync")
        manage = app_services.app_role_add(
            app=api, value="Orders.Manage", display_name="Manage", allowed_member_types="user"
        )
        audit = app_services.app_role_add(
            app=api, value="Orders.Audit", display_name="Audit", allowed_member_types="user"
        )
        gold = account_services.group_create(display_name="Gold")
        beta = account_services.group_create(display_name="Beta")
        other = account_services.group_create(display_name="Other")
        account_services.group_member_add(group=gold, user=ann)
        account_services.group_member_add(group=beta, user=ann)
        app_role_assign(role=admin, group=gold)  # through a group
        app_role_assign(role=buyer, user=ann)  # directly
        app_role_assign(role=manage, user=ann)
        app_role_assign(role=audit, group=beta)
        app_role_assign(role=audit, group=other)  # ann is no member
        with pytest.raises(ValidationError):  # for applications only
            app_role_assign(role=daemon_only, user=ann)
        with pytest.raises(ValidationError):  # once
            app_role_assign(role=admin, group=gold)
        app_services.group_membership_claims_set(app=shop, value=GroupMembershipClaims.ALL)
        app_services.group_membership_claims_set(
            app=api, value=GroupMembershipClaims.APPLICATION_GROUP
        )
    body = tokens_of(flow_world, "ann@example.com", scope)
    id_token, access_token = _claims(body["id_token"]), _claims(body["access_token"])
    assert id_token["roles"] == ["Shop.Admin", "Shop.Buyer"]
    assert sorted(id_token["groups"]) == sorted([str(gold.object_id), str(beta.object_id)])
    assert access_token["aud"] == api.client_id
    assert access_token["roles"] == ["Orders.Audit", "Orders.Manage"]
    # The API names only groups assigned to it, of which ann is a member.
    assert access_token["groups"] == [str(beta.object_id)]

    with in_tenant(flow_world.tenant):
        assert app_role_unassign(role=buyer, user=ann) is True
        account_services.group_member_remove(group=gold, user=ann)
        app_services.group_membership_claims_set(app=shop, value=GroupMembershipClaims.NONE)
    body = tokens_of(flow_world, "ann@example.com", "openid")
    id_token, access_token = _claims(body["id_token"]), _claims(body["access_token"])
    # Nothing left: the claims are left out, not empty.
    for claims in (id_token, access_token):
        assert "roles" not in claims
        assert "groups" not in claims


def test_more_than_200_groups_is_the_overage_claim(flow_world: FlowWorld) -> None:
    ann = make_customer(flow_world.tenant, "many@example.com")
    with in_tenant(flow_world.tenant):
        groups = CustomerGroup.objects.bulk_create(
            CustomerGroup(display_name=f"Group {number}") for number in range(201)
        )
        CustomerGroupMembership.objects.bulk_create(
            CustomerGroupMembership(group=group, user=ann) for group in groups
        )
        app_services.group_membership_claims_set(
            app=flow_world.app, value=GroupMembershipClaims.ALL
        )
    body = tokens_of(flow_world, "many@example.com", "openid")
    for claims in (_claims(body["id_token"]), _claims(body["access_token"])):
        assert "groups" not in claims
        assert claims["_claim_names"] == {"groups": "src1"}
        assert claims["_claim_sources"]["src1"]["endpoint"].endswith(
            f"/{flow_world.tenant.domain_name}/api/v1/users/{ann.object_id}/memberOf"
        )
    with in_tenant(flow_world.tenant):
        CustomerGroupMembership.objects.filter(group=groups[0]).delete()
    body = tokens_of(flow_world, "many@example.com", "openid")
    assert len(_claims(body["id_token"])["groups"]) == 200


def _directory_statements(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if any(table in query["sql"] for table in _DIRECTORY_TABLES)
    ]


@override_settings(CIAM_LOOKUP_SECONDS=60)
def test_a_token_reads_roles_and_groups_once_or_not_at_all(flow_world: FlowWorld) -> None:
    lookups.forget_all()
    make_customer(flow_world.tenant, "cost@example.com")
    with CaptureQueriesContext(connection) as plain:
        tokens_of(flow_world, "cost@example.com", "openid")
    assert _directory_statements(plain) == []  # no role for users, no groups claim
    with in_tenant(flow_world.tenant):
        role = app_services.app_role_add(
            app=flow_world.app, value="Shop.Admin", display_name="A", allowed_member_types="user"
        )
        app_role_assign(role=role, user=User.objects.get(email="cost@example.com"))
        app_services.group_membership_claims_set(
            app=flow_world.app, value=GroupMembershipClaims.ALL
        )
    lookups.forget_all()
    with CaptureQueriesContext(connection) as counted:
        body = tokens_of(flow_world, "cost@example.com", "openid")
    assert len(_directory_statements(counted)) == 1  # ID and access token share it
    assert _claims(body["id_token"])["roles"] == ["Shop.Admin"]
    lookups.forget_all()


def test_member_types_change_only_when_nothing_it_excludes_holds_the_role(
    flow_world: FlowWorld,
) -> None:
    ann = make_customer(flow_world.tenant, "types@example.com")
    with in_tenant(flow_world.tenant):
        role = app_services.app_role_add(
            app=flow_world.app, value="R", display_name="R", allowed_member_types="both"
        )
        assignment = app_role_assign(role=role, user=ann)
        with pytest.raises(ValidationError):
            app_services.app_role_member_types_set(
                role=role, allowed_member_types=AllowedMemberTypes.APPLICATION
            )
        assignment.delete()
        app_services.app_role_member_types_set(
            role=role, allowed_member_types=AllowedMemberTypes.USER
        )
        daemon = app_services.app_register(name="Daemon", platform=Platform.DAEMON)
        with pytest.raises(ValidationError):  # a role for users is no application permission
            app_services.api_permission_add(client=daemon, app_role=role)


def test_a_refreshed_token_carries_the_roles_held_now(flow_world: FlowWorld) -> None:
    """Roles are read at each issuance: a role removed since the sign-in is gone from the
    tokens the refresh token brings."""
    ann = make_customer(flow_world.tenant, "refresh@example.com")
    with in_tenant(flow_world.tenant):
        app_services.api_permission_add(client=flow_world.app, oidc_scope="offline_access")
        app_services.admin_consent_grant(client=flow_world.app)
        role = app_services.app_role_add(
            app=flow_world.app, value="Shop.Admin", display_name="A", allowed_member_types="user"
        )
        app_role_assign(role=role, user=ann)
    body = tokens_of(flow_world, "refresh@example.com", "openid offline_access")
    assert _claims(body["id_token"])["roles"] == ["Shop.Admin"]
    with in_tenant(flow_world.tenant):
        app_role_unassign(role=role, user=ann)
    basic = base64.b64encode(f"{flow_world.app.client_id}:{flow_world.secret}".encode()).decode()
    refreshed = Client().post(
        f"/{flow_world.tenant.domain_name}/oauth2/v2.0/token",
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert refreshed.status_code == 200, refreshed.content
    assert "roles" not in _claims(refreshed.json()["access_token"])
    assert "roles" not in _claims(refreshed.json()["id_token"])
