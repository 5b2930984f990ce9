"""Reading a tenant's identity providers (call in the tenant's schema).

No selector but `identity_provider_secret` decrypts a secret: lists and pages load the rows
without it. (`identity_provider_certificate` reads the stored key through it and returns only
its public half.)
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from allauth.socialaccount.models import SocialAccount
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.attributes import BUILTIN_ATTRIBUTES, DataType
from accounts.models import CustomAttribute, User
from accounts.selectors import customer_identity_list
from federation.claims import SIGN_IN_ATTRIBUTES, SOCIAL_CLAIMS, STANDARD_CLAIMS
from federation.keys import ClientKeyUnusable, client_key_load
from federation.models import ClientAuthentication, IdentityProvider, ProviderKind
from tenants.secrets import secret_decrypt


def identity_provider_list() -> QuerySet[IdentityProvider]:
    """The tenant's providers, by name, without their encrypted secrets loaded."""
    return IdentityProvider.objects.defer("secret_encrypted").order_by("display_name", "slug")


def identity_provider_get(*, slug: str) -> IdentityProvider | None:
    """The provider with this slug, or None (secret not loaded)."""
    return identity_provider_list().filter(slug=slug).first()


def identity_provider_secret(provider: IdentityProvider) -> str:
    """The provider's client secret, or its private key (PEM), decrypted in memory. Use it
    where it is sent to the provider; never log, show or store it."""
    return secret_decrypt(provider.secret_encrypted).decode()


@dataclass(frozen=True)
class ProviderCertificate:
    """What the admin registers at an OpenID Provider for `private_key_jwt`: the certificate of
    our key (PEM, "" when none is stored with it), the key ID our assertions name it by, the
    algorithm they are signed with, and when the certificate ends."""

    key_id: str
    pem: str
    algorithm: str
    not_after: datetime | None


def identity_provider_certificate(provider: IdentityProvider) -> ProviderCertificate | None:
    """The public half of a `private_key_jwt` provider's key, or None for any other provider
    (or a stored key that cannot be read). The private key is decrypted in memory only to find
    it and never leaves this function."""
    if (
        provider.kind != ProviderKind.OPENID_CONNECT
        or provider.client_authentication != ClientAuthentication.PRIVATE_KEY_JWT
        or not provider.secret_encrypted
    ):
        return None
    try:
        key = client_key_load(identity_provider_secret(provider))
    except ClientKeyUnusable:
        return None
    return ProviderCertificate(
        key_id=provider.key_id or key.thumbprint,
        pem=key.certificate_pem,
        algorithm=key.algorithm,
        not_after=key.certificate.not_valid_after_utc if key.certificate is not None else None,
    )


def identity_providers_of_flow(flow_id: uuid.UUID) -> list[IdentityProvider]:
    """The providers a user flow offers besides email, by name."""
    return list(identity_provider_list().filter(user_flows__flow_id=flow_id))


def callback_path(provider: IdentityProvider) -> str:
    """Where the provider sends the customer back, after the tenant's prefix: the redirect URI
    the admin registers at the provider (allauth's callback URLs)."""
    if provider.kind == ProviderKind.OPENID_CONNECT:
        return f"account/oidc/{provider.slug}/login/callback/"
    return f"account/{provider.kind}/login/callback/"


@dataclass(frozen=True)
class ClaimTarget:
    """One of our attributes a provider's claim can fill: its name in the claims mapping, what
    the admin center calls it, its data type, and the standard claim that fills it on a new
    provider ("" where OIDC Core §5.1 has none). `sign_in`: sub, email or email_verified,
    which every sign-in reads."""

    name: str
    label: Promise | str
    data_type: DataType
    standard_claim: str
    sign_in: bool = False
    custom: bool = False


_SIGN_IN_TARGETS = (
    ClaimTarget("sub", _("User ID"), DataType.STRING, "sub", sign_in=True),
    ClaimTarget("email", BUILTIN_ATTRIBUTES["email"].label, DataType.STRING, "email", sign_in=True),
    ClaimTarget(
        "email_verified", _("Email verified"), DataType.BOOLEAN, "email_verified", sign_in=True
    ),
)


def claim_targets() -> list[ClaimTarget]:
    """Every attribute of the tenant a provider's claims may fill, in the order the admin center
    shows them: what a sign-in reads (sub, email, email_verified), the built-in attributes,
    then the custom attributes by name with their data type."""
    builtin = [
        ClaimTarget(key, spec.label, DataType.STRING, STANDARD_CLAIMS.get(key, ""))
        for key, spec in BUILTIN_ATTRIBUTES.items()
        if key not in SIGN_IN_ATTRIBUTES
    ]
    custom = [
        ClaimTarget(name, name, DataType(data_type), "", custom=True)
        for name, data_type in CustomAttribute.objects.order_by("name").values_list(
            "name", "data_type"
        )
    ]
    return [*_SIGN_IN_TARGETS, *builtin, *custom]


def claims_mapping_of(provider: IdentityProvider) -> dict[str, str]:
    """What a sign-in through the provider reads: our attribute → the provider's claim.

    Google: the standard claims (OIDC Core §5.1); Facebook and Apple: their own names for them
    (`SOCIAL_CLAIMS`). An OpenID Provider: its saved mapping, where sub, email and
    email_verified read the same-named claim unless mapped to another; any other attribute it
    does not map is not filled."""
    if provider.kind != ProviderKind.OPENID_CONNECT:
        return dict(SOCIAL_CLAIMS.get(provider.kind, STANDARD_CLAIMS))
    saved = provider.claims_mapping if isinstance(provider.claims_mapping, dict) else {}
    return {
        **{attribute: attribute for attribute in SIGN_IN_ATTRIBUTES},
        **{
            attribute: claim
            for attribute, claim in saved.items()
            if isinstance(attribute, str) and isinstance(claim, str) and claim
        },
    }


@dataclass(frozen=True)
class LinkedIdentity:
    """One of a customer's accounts at an identity provider, as the customer's pages show it.

    `provider` is allauth's name for the provider, which is the registration's slug (Google,
    Facebook and Apple are registered under their own names); `provider_name` is the
    registration's display name, or that slug when the provider has been removed since
    (`provider_removed`). `subject` is the provider's identifier of the customer (`sub`);
    `last_used_at` is the last time the provider signed the customer in here.
    """

    id: int
    provider: str
    provider_name: str
    provider_removed: bool
    subject: str
    linked_at: datetime
    last_used_at: datetime


def identity_provider_linked_count(*, provider: IdentityProvider) -> int:
    """How many customers' identities are linked with the provider (allauth names the provider
    of each by the registration's slug)."""
    count: int = SocialAccount.objects.filter(provider=provider.slug).count()
    return count


def linked_identity_list(*, customer: User) -> list[LinkedIdentity]:
    """The customer's linked identities (`accounts.selectors.customer_identity_list`, oldest
    first), each named by the tenant's registration of its provider: two queries."""
    accounts = customer_identity_list(customer=customer)
    names = dict(
        IdentityProvider.objects.filter(
            slug__in={account.provider for account in accounts}
        ).values_list("slug", "display_name")
    )
    return [
        LinkedIdentity(
            id=account.pk,
            provider=account.provider,
            provider_name=names.get(account.provider, account.provider),
            provider_removed=account.provider not in names,
            subject=account.uid,
            linked_at=account.date_joined,
            last_used_at=account.last_login,
        )
        for account in accounts
    ]


def linked_identity_get(*, customer: User, identity_id: int) -> LinkedIdentity | None:
    """The customer's linked identity with this ID, or None (another customer's is None)."""
    return next(
        (
            identity
            for identity in linked_identity_list(customer=customer)
            if identity.id == identity_id
        ),
        None,
    )


def provider_audit_target(provider: IdentityProvider) -> str:
    """How the audit log names an identity provider: its name and identifier."""
    return f"{provider.display_name} ({provider.slug})"


def provider_audit_fields(provider: IdentityProvider) -> dict[str, object]:
    """What the audit log records of a provider, from the admin center or the management API:
    its settings, never its secret."""
    return {
        "kind": provider.kind,
        "display_name": provider.display_name,
        "client_id": provider.client_id,
        "team_id": provider.team_id,
        "key_id": provider.key_id,
        "client_authentication": provider.client_authentication,
        "well_known_url": provider.well_known_url,
        "scopes": provider.scopes,
        "claims_mapping": [f"{k}={v}" for k, v in provider.claims_mapping.items()],
        "trusted_for_email": provider.trusted_for_email,
    }
