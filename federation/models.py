"""A tenant's identity providers (schema: the tenant's): Google, Facebook, Apple and any OpenID
Provider, as Entra lists them under External Identities. Each tenant has its own registrations,
so the same Google account in two tenants is two customers. allauth never sees these rows:
the journey hands it an unsaved `SocialApp` built from one, its secret decrypted in memory."""

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProviderKind(models.TextChoices):
    """Which allauth provider signs the customer in (its provider ID)."""

    GOOGLE = "google", _("Google")
    FACEBOOK = "facebook", _("Facebook")
    APPLE = "apple", _("Apple")
    OPENID_CONNECT = "openid_connect", _("OpenID Connect")


class ClientAuthentication(models.TextChoices):
    """How we authenticate at the provider's token endpoint (custom OpenID Connect)."""

    CLIENT_SECRET_POST = "client_secret_post", _("Client secret (client_secret_post)")
    PRIVATE_KEY_JWT = "private_key_jwt", _("Private key JWT (private_key_jwt)")


class IdentityProvider(models.Model):
    """One provider registration of the tenant.

    `slug` names it in its callback URL (`/<tenant>/account/oidc/<slug>/login/callback/` for
    OpenID Connect; Google, Facebook and Apple have one registration each, under their own
    name). `secret_encrypted` holds the client secret, or the private key (PEM) for Apple and
    `private_key_jwt` (followed, for `private_key_jwt`, by the certificate of its public key:
    federation/keys.py), encrypted with `tenants.secrets` (never shown again). For OpenID Connect,
    `metadata` is the provider's discovery document as fetched and validated on save (its
    `issuer` is `issuer`); `claims_mapping` maps our attribute names (sub, email,
    email_verified, given_name, surname, display_name, or a custom attribute's name) to the
    provider's claim names. `trusted_for_email`: the provider's `email_verified` may be
    believed for linking to an existing account (Google and Apple always; a custom provider
    only when the admin says so).
    """

    slug = models.SlugField(_("identifier"), max_length=64, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=ProviderKind.choices)
    display_name = models.CharField(_("name"), max_length=128)
    client_id = models.CharField(_("client ID"), max_length=255)
    secret_encrypted = models.TextField(blank=True)
    # Apple: the key's ID and the team ID; private_key_jwt: the key's ID (`kid`).
    key_id = models.CharField(_("key ID"), max_length=64, blank=True)
    team_id = models.CharField(_("team ID"), max_length=64, blank=True)
    client_authentication = models.CharField(
        _("client authentication"),
        max_length=32,
        choices=ClientAuthentication.choices,
        default=ClientAuthentication.CLIENT_SECRET_POST,
    )
    well_known_url = models.URLField(_("well-known configuration URL"), max_length=2048, blank=True)
    issuer = models.CharField(_("issuer"), max_length=2048, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    claims_mapping = models.JSONField(default=dict, blank=True)
    trusted_for_email = models.BooleanField(
        _("trust the provider's verified emails"), default=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # Google, Facebook and Apple once each per tenant; OpenID Providers as many as needed.
            models.UniqueConstraint(
                fields=["kind"],
                condition=~models.Q(kind="openid_connect"),
                name="federation_one_registration_per_social_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.kind})"
