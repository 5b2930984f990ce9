"""App registrations, their credentials and permissions, and the tenant's signing keys.

django-oauth-toolkit's six models are swapped for the ones here in migration 0001. Everything
lives in a tenant's schema, so an app, its grants and its tokens are invisible to every other
tenant by construction.
"""

import hashlib
import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractDeviceGrant,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
)


def new_client_id() -> str:
    # Entra's application (client) IDs are GUIDs; DOT's default is a 40-character random string.
    return str(uuid.uuid4())


class Platform(models.TextChoices):
    WEB = "web", _("Web")
    SPA = "spa", _("Single-page application")
    MOBILE = "mobile", _("Mobile and desktop applications")
    DAEMON = "daemon", _("Daemon (client credentials only)")


PUBLIC_PLATFORMS = frozenset({Platform.SPA, Platform.MOBILE})
# The platforms a redirect URI belongs to (Entra's `web`, `spa` and `publicClient`), in the order
# the admin center and the union in DOT's `redirect_uris` list them.
REDIRECT_PLATFORMS: tuple[str, ...] = (
    Platform.WEB.value,
    Platform.SPA.value,
    Platform.MOBILE.value,
)

# What each platform may do (DOT's grant-type names). Refresh tokens follow the code grant.
PLATFORM_GRANTS: dict[str, frozenset[str]] = {
    Platform.WEB: frozenset(
        {AbstractApplication.GRANT_AUTHORIZATION_CODE, AbstractApplication.GRANT_CLIENT_CREDENTIALS}
    ),
    Platform.SPA: frozenset({AbstractApplication.GRANT_AUTHORIZATION_CODE}),
    Platform.MOBILE: frozenset({AbstractApplication.GRANT_AUTHORIZATION_CODE}),
    Platform.DAEMON: frozenset({AbstractApplication.GRANT_CLIENT_CREDENTIALS}),
}


class GroupMembershipClaims(models.TextChoices):
    """Which groups a customer's tokens name in `groups` (Entra's `groupMembershipClaims`)."""

    NONE = "none", "None"
    ALL = "all", "All groups"
    APPLICATION_GROUP = "application_group", "Groups assigned to the application"


class AppRegistration(AbstractApplication):
    """A registered application: a client of the tenant and, optionally, an API it exposes."""

    client_id = models.CharField(
        _("application (client) ID"), max_length=100, unique=True, default=new_client_id
    )
    object_id = models.UUIDField(_("object ID"), default=uuid.uuid4, unique=True, editable=False)
    # The app's main platform, which makes it a confidential or a public client: web whenever
    # it has a web platform, else its first public one; a daemon stays a daemon. Each redirect
    # URI has its own platform (AppRedirectUri); DOT's `redirect_uris` holds their union.
    platform = models.CharField(max_length=16, choices=Platform.choices, default=Platform.WEB)
    front_channel_logout_url = models.URLField(_("front-channel logout URL"), blank=True)
    app_id_uri = models.CharField(_("application ID URI"), max_length=255, blank=True)
    # One user flow per app; a flow serves many apps (as in Entra).
    user_flow = models.ForeignKey(
        "userflows.UserFlow", null=True, blank=True, on_delete=models.SET_NULL, related_name="apps"
    )
    group_membership_claims = models.CharField(
        "groups claim",
        max_length=20,
        choices=GroupMembershipClaims.choices,
        default=GroupMembershipClaims.NONE,
    )

    class Meta(AbstractApplication.Meta):
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["app_id_uri"],
                condition=~models.Q(app_id_uri=""),
                name="apps_app_id_uri_unique",
            ),
        ]

    @property
    def is_public(self) -> bool:
        return self.platform in PUBLIC_PLATFORMS

    def allows_grant_type(self, *grant_types: str) -> bool:
        return bool(PLATFORM_GRANTS[self.platform] & set(grant_types))

    @property
    def effective_app_id_uri(self) -> str:
        return self.app_id_uri or f"api://{self.client_id}"


class AppRedirectUri(models.Model):
    """One of an app's redirect URIs and the platform it belongs to (Entra's `web.redirectUris`,
    `spa.redirectUris`, `publicClient.redirectUris`).

    The protocol decides per URI: a code issued for a single-page or mobile URI is redeemed by a
    public client (no secret, PKCE), one for a web URI by the authenticated client (RFC 6749
    §2.1). A URI belongs to one platform only, which the unique key holds.
    """

    app = models.ForeignKey(
        AppRegistration, on_delete=models.CASCADE, related_name="platform_redirect_uris"
    )
    platform = models.CharField(
        max_length=16,
        choices=[(value, label) for value, label in Platform.choices if value != Platform.DAEMON],
    )
    uri = models.CharField(max_length=256)

    class Meta:
        ordering: ClassVar[list[str]] = ["pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["app", "uri"], name="apps_redirect_uri_once"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}: {self.uri}"


class ClientSecret(models.Model):
    """One of an app's client secrets. Only a SHA-256 digest is kept; the value is shown once.

    A fast hash is right here: the secret is 256 random bits, so there is nothing to brute-force,
    and a password hasher would cost hundreds of milliseconds per token request.
    """

    app = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="secrets")
    secret_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    description = models.CharField(_("description"), max_length=100, blank=True)
    hint = models.CharField(max_length=3)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["expires_at"]

    def __str__(self) -> str:
        return f"{self.hint}*** ({self.description})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @staticmethod
    def digest_of(secret: str) -> str:
        """What is kept of a secret value, and what a presented one is compared with."""
        return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class AppCertificate(models.Model):
    """A public key an app authenticates with by `private_key_jwt` (RFC 7523 §2.2)."""

    app = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="certificates")
    description = models.CharField(_("description"), max_length=100, blank=True)
    public_jwk = models.JSONField()
    thumbprint = models.CharField(max_length=64)
    not_after = models.DateTimeField(null=True, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["app", "thumbprint"], name="apps_certificate_unique"),
        ]

    def __str__(self) -> str:
        return self.thumbprint


class SpentClientAssertion(models.Model):
    """The `jti` of a client assertion that authenticated a request (RFC 7523 §3 item 7), kept
    until the assertion has expired, so that it is accepted once (apps/oidc/client_auth.py).

    A table rather than a cache: the unique key refuses the second use in one INSERT, in every
    process of every node, and no row is evicted before it expires, however many come after.
    """

    client_id = models.CharField(max_length=100)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["client_id", "jti"], name="apps_assertion_once"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["expires_at"], name="apps_assertion_expires"),  # housekeeping
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.jti}"


class ApiScope(models.Model):
    """A delegated permission an app's API exposes (Expose an API → Scopes)."""

    app = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="api_scopes")
    scope_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    value = models.CharField(_("scope name"), max_length=120)
    admin_consent_display_name = models.CharField(_("admin consent display name"), max_length=100)
    admin_consent_description = models.CharField(
        _("admin consent description"), max_length=1024, blank=True
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["app", "value"], name="apps_scope_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.app.effective_app_id_uri}/{self.value}"


class AllowedMemberTypes(models.TextChoices):
    """Who an app role may be given to (Entra's `allowedMemberTypes`)."""

    APPLICATION = "application", "Applications"
    USER = "user", "Users/Groups"
    BOTH = "both", "Both (Users/Groups + Applications)"


class AppRole(models.Model):
    """A role an app's API defines (App roles): granted to daemons as an application permission,
    assigned to customers and groups (AppRoleAssignment), or both, as `allowed_member_types`
    says. Tokens carry its value in `roles`."""

    app = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="app_roles")
    role_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    value = models.CharField(_("value"), max_length=120)
    display_name = models.CharField(_("display name"), max_length=100)
    description = models.CharField(_("description"), max_length=1024, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    allowed_member_types = models.CharField(
        "allowed member types",
        max_length=12,
        choices=AllowedMemberTypes.choices,
        default=AllowedMemberTypes.APPLICATION,
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["app", "value"], name="apps_role_unique"),
        ]

    def __str__(self) -> str:
        return self.value

    @property
    def assignable_to_users(self) -> bool:
        return self.allowed_member_types in USER_ASSIGNABLE

    @property
    def grantable_to_apps(self) -> bool:
        return self.allowed_member_types in APP_GRANTABLE


USER_ASSIGNABLE = frozenset({AllowedMemberTypes.USER, AllowedMemberTypes.BOTH})
APP_GRANTABLE = frozenset({AllowedMemberTypes.APPLICATION, AllowedMemberTypes.BOTH})


class AppRoleAssignment(models.Model):
    """An app role assigned to a customer or to a group of customers (Enterprise applications →
    Users and groups). The customer's tokens for the role's app carry its value in `roles`,
    through a group for each of its members."""

    role = models.ForeignKey(AppRole, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="app_role_assignments",
    )
    group = models.ForeignKey(
        "accounts.CustomerGroup",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="app_role_assignments",
    )
    assignment_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, group__isnull=True)
                    | models.Q(user__isnull=True, group__isnull=False)
                ),
                name="apps_assignment_one_principal",
            ),
            models.UniqueConstraint(
                fields=["role", "user"],
                condition=models.Q(user__isnull=False),
                name="apps_assignment_user_once",
            ),
            models.UniqueConstraint(
                fields=["role", "group"],
                condition=models.Q(group__isnull=False),
                name="apps_assignment_group_once",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # A customer's roles at token issuance: their own, and their groups'.
            models.Index(
                fields=["user", "role"],
                condition=models.Q(user__isnull=False),
                name="apps_assignment_by_user",
            ),
            models.Index(
                fields=["group", "role"],
                condition=models.Q(group__isnull=False),
                name="apps_assignment_by_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role_id} → {self.user_id or self.group_id}"


class OidcScope(models.TextChoices):
    OPENID = "openid", _("Sign users in")
    PROFILE = "profile", _("View users' basic profile")
    EMAIL = "email", _("View users' email address")
    OFFLINE_ACCESS = "offline_access", _("Maintain access to data you have given it access to")


class ApiPermission(models.Model):
    """A permission an app requests (API permissions): an OpenID scope, another app's delegated
    scope, or another app's app role. Tokens carry it only once an admin consented."""

    client = models.ForeignKey(
        AppRegistration, on_delete=models.CASCADE, related_name="api_permissions"
    )
    oidc_scope = models.CharField(max_length=20, choices=OidcScope.choices, blank=True)
    api_scope = models.ForeignKey(ApiScope, null=True, blank=True, on_delete=models.CASCADE)
    app_role = models.ForeignKey(AppRole, null=True, blank=True, on_delete=models.CASCADE)
    consented_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=(
                    models.Q(~models.Q(oidc_scope=""), api_scope=None, app_role=None)
                    | models.Q(oidc_scope="", api_scope__isnull=False, app_role=None)
                    | models.Q(oidc_scope="", api_scope=None, app_role__isnull=False)
                ),
                name="apps_permission_one_kind",
            ),
            models.UniqueConstraint(
                fields=["client", "oidc_scope"],
                condition=~models.Q(oidc_scope=""),
                name="apps_permission_oidc_unique",
            ),
            models.UniqueConstraint(
                fields=["client", "api_scope"], name="apps_permission_scope_unique"
            ),
            models.UniqueConstraint(
                fields=["client", "app_role"], name="apps_permission_role_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.oidc_scope or str(self.api_scope or self.app_role)


class AppClaim(models.Model):
    """An attribute an app receives as a claim (Attributes & claims), in ID and/or access tokens.

    Custom attributes are emitted as `extension_<extensions app ID>_<name>`; userinfo returns
    the ID token's set.
    """

    app = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="claims")
    builtin = models.CharField(max_length=32, blank=True)
    custom_attribute = models.ForeignKey(
        "accounts.CustomAttribute",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    in_id_token = models.BooleanField(default=True)
    in_access_token = models.BooleanField(default=False)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["app", "builtin"],
                condition=~models.Q(builtin=""),
                name="apps_claim_builtin_once",
            ),
            models.UniqueConstraint(
                fields=["app", "custom_attribute"], name="apps_claim_custom_once"
            ),
        ]

    def __str__(self) -> str:
        return self.builtin or str(self.custom_attribute)


# JWT claim names a custom claims provider's claim may never be mapped to: the registered
# claims (RFC 7519 §4.1), those OIDC Core §2 and RFC 9068 §2.2 give a meaning, and the ones
# this platform sets itself (Entra's reserved set, plus ours).
RESERVED_CLAIM_NAMES = frozenset(
    {
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "nonce", "azp", "acr", "amr",
        "auth_time", "at_hash", "c_hash", "s_hash", "sid", "tid", "oid", "ver", "idp",
        "scp", "roles", "client_id", "appid", "idtyp", "typ", "cnf", "email",
        "email_verified", "name", "preferred_username", "uti", "rh", "xms_cc",
    }
)  # fmt: skip


class AppCustomClaim(models.Model):
    """Entra's claims-mapping step for a custom claims provider (OnTokenIssuanceStart): the
    claim the extension answers under `claim_id` goes into the app's ID and/or access token
    as `jwt_claim_name`. A claim no row maps never reaches a token."""

    app = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="custom_claims")
    claim_id = models.CharField(_("claim ID"), max_length=100)
    jwt_claim_name = models.CharField(_("JWT claim name"), max_length=100)
    in_id_token = models.BooleanField(default=True)
    in_access_token = models.BooleanField(default=False)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["app", "jwt_claim_name"], name="apps_custom_claim_name_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} → {self.jwt_claim_name}"


class KeyStatus(models.TextChoices):
    NEXT = "next", _("Next")
    ACTIVE = "active", _("Active")
    RETIRING = "retiring", _("Retiring")
    RETIRED = "retired", _("Retired")


class SigningKey(models.Model):
    """One RSA signing key of the tenant, with its lifecycle: next → active → retiring → retired.

    The JWKS publishes next, active and retiring keys, so relying parties learn a key before it
    signs and can still verify what a retiring key signed. The private key is encrypted at rest
    with the deployment's key-encryption key.
    """

    kid = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=KeyStatus.choices)
    algorithm = models.CharField(max_length=10, default="RS256")
    public_jwk = models.JSONField()
    private_key_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    retiring_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status__in=["next", "active"]),
                name="apps_one_next_and_one_active_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.status})"


class TokenSettings(models.Model):
    """The tenant's token lifetimes (one row). Defaults follow Entra."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    access_token_minutes = models.PositiveIntegerField(default=60)
    id_token_minutes = models.PositiveIntegerField(default=60)
    spa_refresh_token_hours = models.PositiveIntegerField(default=24)
    refresh_token_days = models.PositiveIntegerField(default=90)

    def __str__(self) -> str:
        return "Token lifetimes"


def _session_id_field() -> "models.CharField[str, str]":
    return models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The browser session the customer signed in with (apps/oidc/sessions.py); "
        "empty for what no browser session issued.",
    )


def _identity_provider_field() -> "models.CharField[str, str]":
    return models.CharField(
        max_length=2048,
        blank=True,
        default="",
        help_text="The issuer of the identity provider the customer signed in through (the "
        "ID token's `idp`, apps/oidc/sessions.py); empty for a sign-in here.",
    )


def _sign_in_methods_field() -> "models.CharField[str, str]":
    return models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The methods the customer's sign-in used, RFC 8176 values separated by "
        "spaces (the tokens' `amr`, and the `acr` they add up to: apps/oidc/acr.py); empty for "
        "a session signed in before they were recorded.",
    )


def _redirect_platform_field() -> "models.CharField[str, str]":
    return models.CharField(
        max_length=16,
        blank=True,
        default="",
        help_text="The platform of the redirect URI the code was issued for (AppRedirectUri): "
        "spa and mobile are redeemed and refreshed as a public client; empty for what was "
        "issued before platforms were per URI (the app's platform then decides).",
    )


def _by_session_id(name: str) -> models.Index:
    # RP-initiated logout ends what one session issued; rows of no session are not indexed.
    return models.Index(fields=["session_id"], name=name, condition=~models.Q(session_id=""))


class Grant(AbstractGrant):
    """An authorization code. Kept after use, so that a replay can revoke what it issued."""

    used_at = models.DateTimeField(null=True, blank=True)
    platform = _redirect_platform_field()
    issued_access_token = models.ForeignKey(
        "apps.AccessToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session_id = _session_id_field()
    identity_provider = _identity_provider_field()
    sign_in_methods = _sign_in_methods_field()

    class Meta(AbstractGrant.Meta):
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["expires"], name="apps_grant_expires"),  # housekeeping
            _by_session_id("apps_grant_session"),
        ]


class AccessToken(AbstractAccessToken):
    """Swapped in for django-oauth-toolkit's model of the same role."""

    session_id = _session_id_field()

    class Meta(AbstractAccessToken.Meta):
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["expires"], name="apps_access_expires"),  # housekeeping
            _by_session_id("apps_access_session"),
        ]


class RefreshToken(AbstractRefreshToken):
    """Swapped in for django-oauth-toolkit's model of the same role."""

    session_id = _session_id_field()
    identity_provider = _identity_provider_field()
    sign_in_methods = _sign_in_methods_field()
    platform = _redirect_platform_field()

    class Meta(AbstractRefreshToken.Meta):
        indexes: ClassVar[list[models.Index]] = [
            # A family's start (its lifetime) on every refresh and revoking a family (this
            # replaces django-oauth-toolkit's index on token_family alone); housekeeping.
            models.Index(fields=["token_family", "created"], name="apps_refresh_family"),
            models.Index(fields=["created"], name="apps_refresh_created"),
            _by_session_id("apps_refresh_session"),
        ]


class IDToken(AbstractIDToken):
    """Swapped in for django-oauth-toolkit's model of the same role."""

    class Meta(AbstractIDToken.Meta):
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["expires"], name="apps_idtoken_expires"),  # housekeeping
        ]


class DeviceGrant(AbstractDeviceGrant):
    """Swapped in for django-oauth-toolkit's model of the same role."""
