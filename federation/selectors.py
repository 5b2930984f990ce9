"""Reading a tenant's identity providers (call in the tenant's schema).

No selector but `identity_provider_secret` decrypts a secret: lists and pages load the rows
without it.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from accounts.models import User
from accounts.selectors import customer_identity_list
from federation.models import IdentityProvider, ProviderKind
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
