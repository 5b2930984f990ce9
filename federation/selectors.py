"""Reading a tenant's identity providers (call in the tenant's schema).

No selector but `identity_provider_secret` decrypts a secret: lists and pages load the rows
without it.
"""

import uuid

from django.db.models import QuerySet

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
