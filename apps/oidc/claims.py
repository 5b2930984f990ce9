"""Claims shared by ID tokens, access tokens and userinfo (OIDC Core §2, §5.1; RFC 9068 §2.2)."""

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from allauth.account.models import EmailAddress
from django.db.models import CharField, IntegerField, Q, QuerySet, Value

from accounts.attributes import ATTRIBUTE_TYPES, BUILTIN_ATTRIBUTES, extension_claim_name
from accounts.models import CustomerGroupMembership, User
from apps import lookups
from apps.models import USER_ASSIGNABLE, AppRegistration, AppRoleAssignment, GroupMembershipClaims
from apps.oidc.acr import acr_of, amr_ordered
from tenants.current import current_tenant
from tenants.models import Tenant
from tenants.selectors import tenant_base_url

# The claims discovery advertises (OIDC Discovery 1.0 §3); configured attribute claims come on top.
CLAIMS_SUPPORTED = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "auth_time",
    "nonce",
    "tid",
    "oid",
    "ver",
    "name",
    "email",
    "email_verified",
    # The identity provider's issuer when the customer signed in through one (Entra's `idp`).
    "idp",
    # How the customer signed in and how strongly (apps/oidc/acr.py).
    "amr",
    "acr",
    # App roles assigned to the customer or their groups; the groups (Entra's claims).
    "roles",
    "groups",
)
# More groups than this, and a token names none but says where to read them (Entra's overage:
# a token must stay small enough for a URL fragment and a cookie).
GROUPS_OVERAGE_LIMIT = 200
# Where a token request keeps its customer's DirectoryFacts (read once for both tokens).
DIRECTORY_ATTRIBUTE = "ciam_directory"
_UNREAD = object()


def pairwise_subject(*, tenant: Tenant, client: AppRegistration, user: User) -> str:
    """`sub`: stable per (tenant, app, account), different across apps (OIDC Core §8.1).

    As in Entra, the account's own stable ID travels separately as `oid`.
    """
    material = f"{tenant.tenant_id}:{client.client_id}:{user.object_id}".encode()
    return base64.urlsafe_b64encode(hashlib.sha256(material).digest()).rstrip(b"=").decode()


def sign_in_strength_claims(sign_in_methods: str) -> dict[str, object]:
    """`amr` (RFC 8176 values) and `acr` of a sign-in whose methods were recorded (a code's or
    a refresh token's `sign_in_methods`, space-separated); none for one recorded before."""
    amr = amr_ordered(sign_in_methods.split())
    if not amr:
        return {}
    return {"amr": list(amr), "acr": acr_of(amr)}


def profile_claims(user: User, scopes: set[str]) -> dict[str, object]:
    """The standard claims the granted scopes release (OIDC Core §5.4)."""
    claims: dict[str, object] = {}
    if "profile" in scopes and user.display_name:
        claims["name"] = user.display_name
    if "email" in scopes:
        claims["email"] = user.email
        claims["email_verified"] = EmailAddress.objects.filter(
            user=user, email__iexact=user.email, verified=True
        ).exists()
    return claims


def configured_claims(
    *, user: User, client: AppRegistration, token: Literal["id", "access"]
) -> dict[str, object]:
    """The attributes the app chose under Attributes & claims, for an ID or an access token
    (userinfo returns the ID token's set). Empty values are left out; a custom attribute's
    value is converted by its data type's row in the table of attribute types, as `/me` is."""
    claims: dict[str, object] = {}
    for builtin, custom_name, in_id_token, in_access_token in lookups.claim_choices(client):
        if not (in_id_token if token == "id" else in_access_token):
            continue
        if builtin:
            spec = BUILTIN_ATTRIBUTES.get(builtin)
            value = getattr(user, builtin, "") if spec else ""
            if spec and value:
                claims[spec.claim] = value
        elif custom_name is not None and custom_name in user.custom_attributes:
            attribute_type = ATTRIBUTE_TYPES.get(
                lookups.custom_attribute_types().get(custom_name, "")
            )
            custom = (
                attribute_type.claim_value(user.custom_attributes[custom_name])
                if attribute_type
                else None
            )
            if custom is not None:
                name = extension_claim_name(lookups.extensions_app_id(), custom_name)
                claims[name] = custom
    return claims


def custom_provider_claims(
    *,
    client: AppRegistration,
    provided: dict[str, str | list[str]],
    token: Literal["id", "access"],
) -> dict[str, object]:
    """The claims of the app's custom claims provider that the app maps into this token
    (Entra's claims mapping, `AppCustomClaim`), under their JWT claim names; a claim the app
    does not map never reaches a token."""
    if not provided:
        return {}
    return {
        name: provided[claim_id]
        for claim_id, name, in_id_token, in_access_token in lookups.custom_claim_mappings(client)
        if claim_id in provided and (in_id_token if token == "id" else in_access_token)
    }


@dataclass(frozen=True)
class DirectoryFacts:
    """A customer's app roles and groups, read by one query at token issuance: role values by
    app (primary key), every group's object ID, and by app the groups assigned to it."""

    roles: dict[int, set[str]] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    app_groups: dict[int, set[str]] = field(default_factory=dict)


def _wanted(app: AppRegistration) -> tuple[bool, str]:
    return lookups.has_user_roles(app), app.group_membership_claims


def directory_facts(*, user: User, apps: Sequence[AppRegistration]) -> DirectoryFacts | None:
    """What the tokens for `apps` need to know of the customer's roles and groups, in one
    statement (a UNION ALL of their memberships and the assignments of the apps' roles to them
    or to their groups), or None, reading nothing, when no app has a role for users nor a
    groups claim (the per-app answer is remembered, apps/lookups.py)."""
    wanted = {app.pk: _wanted(app) for app in apps}
    needs_assignments = [
        pk
        for pk, (roles, groups) in wanted.items()
        if roles or groups == GroupMembershipClaims.APPLICATION_GROUP
    ]
    needs_groups = any(groups == GroupMembershipClaims.ALL for _r, groups in wanted.values())
    if not needs_assignments and not needs_groups:
        return None
    memberships = CustomerGroupMembership.objects.filter(user=user)
    statements: list[QuerySet[Any, tuple[int | None, str | None, UUID]]] = []
    if needs_assignments:
        statements.append(
            AppRoleAssignment.objects.filter(
                Q(user=user) | Q(group_id__in=memberships.values("group_id")),
                role__app_id__in=needs_assignments,
                role__enabled=True,
                role__allowed_member_types__in=USER_ASSIGNABLE,
            ).values_list("role__app_id", "role__value", "group__object_id")
        )
    if needs_groups:
        statements.append(
            memberships.values_list(
                Value(None, output_field=IntegerField()),
                Value(None, output_field=CharField()),
                "group__object_id",
            )
        )
    rows = statements[0] if len(statements) == 1 else statements[0].union(statements[1], all=True)
    facts = DirectoryFacts()
    for app_id, role, group in rows:
        if app_id is None:
            facts.groups.add(str(group))
            continue
        facts.roles.setdefault(app_id, set()).add(str(role))
        if group is not None:
            facts.app_groups.setdefault(app_id, set()).add(str(group))
    return facts


def directory_claims(
    *, tenant: Tenant, user: User, app: AppRegistration, facts: DirectoryFacts | None
) -> dict[str, object]:
    """`roles` (the app's roles the customer holds, directly or through a group) and `groups`
    (as the app's groups claim says) of a token whose audience is `app`, each left out when
    empty. Past GROUPS_OVERAGE_LIMIT groups, `groups` gives way to `_claim_names` and
    `_claim_sources` (OIDC Core §5.6.2, distributed claims), naming the customer's memberOf
    endpoint of the management API, as Entra's overage does."""
    if facts is None:
        return {}
    claims: dict[str, object] = {}
    roles = facts.roles.get(app.pk)
    if roles:
        claims["roles"] = sorted(roles)
    setting = app.group_membership_claims
    groups: set[str] = set()
    if setting == GroupMembershipClaims.ALL:
        groups = facts.groups
    elif setting == GroupMembershipClaims.APPLICATION_GROUP:
        groups = facts.app_groups.get(app.pk, set())
    if len(groups) > GROUPS_OVERAGE_LIMIT:
        endpoint = f"{tenant_base_url(tenant)}/api/v1/users/{user.object_id}/memberOf"
        claims["_claim_names"] = {"groups": "src1"}
        claims["_claim_sources"] = {"src1": {"endpoint": endpoint}}
    elif groups:
        claims["groups"] = sorted(groups, key=UUID)
    return claims


def token_directory_claims(request: Any, *, token: Literal["id", "access"]) -> dict[str, object]:
    """`directory_claims` of a customer's token request (an oauthlib request of the code or
    refresh grant): the ID token's for the client, the access token's for its audience (the
    API its scopes name, else the client), as Entra's tokens carry the roles of the app they
    are for. The facts are read once per request, for both apps, and kept on it."""
    client: AppRegistration = request.client
    grant = lookups.delegated_grant(client, list(request.scopes or ()))
    resource = grant.resource if grant is not None and grant.resource is not None else client
    read = getattr(request, DIRECTORY_ATTRIBUTE, _UNREAD)
    if read is _UNREAD:
        apps = [client] if resource.pk == client.pk else [client, resource]
        facts = directory_facts(user=request.user, apps=apps)
        setattr(request, DIRECTORY_ATTRIBUTE, facts)
    else:
        facts = read if isinstance(read, DirectoryFacts) else None
    return directory_claims(
        tenant=current_tenant(),
        user=request.user,
        app=client if token == "id" else resource,
        facts=facts,
    )
