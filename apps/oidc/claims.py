"""Claims shared by ID tokens, access tokens and userinfo (OIDC Core §2, §5.1; RFC 9068 §2.2)."""

import base64
import hashlib
from typing import Literal

from allauth.account.models import EmailAddress

from accounts.attributes import ATTRIBUTE_TYPES, BUILTIN_ATTRIBUTES, extension_claim_name
from accounts.models import User
from apps import lookups
from apps.models import AppRegistration
from apps.oidc.acr import acr_of, amr_ordered
from tenants.models import Tenant

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
)


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
