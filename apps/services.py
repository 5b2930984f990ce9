"""Writes about app registrations, their credentials, permissions and signing keys.

Every service runs in the tenant's schema (the caller enters it) and validates before writing.
"""

import ipaddress
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto import jwk

from accounts.attributes import BUILTIN_ATTRIBUTES
from accounts.models import CustomAttribute
from apps import selectors
from apps.models import (
    APP_GRANTABLE,
    PUBLIC_PLATFORMS,
    REDIRECT_PLATFORMS,
    RESERVED_CLAIM_NAMES,
    USER_ASSIGNABLE,
    AccessToken,
    AllowedMemberTypes,
    ApiPermission,
    ApiScope,
    AppCertificate,
    AppClaim,
    AppCustomClaim,
    AppRedirectUri,
    AppRegistration,
    AppRole,
    ClientSecret,
    Grant,
    GroupMembershipClaims,
    OidcScope,
    Platform,
    RefreshToken,
    TokenSettings,
)

MAX_REDIRECT_URIS = 100
SECRET_LIFETIMES_DAYS = (90, 180, 365, 545, 730)
RECOMMENDED_SECRET_LIFETIME_DAYS = 180
MAX_CUSTOM_SECRET_DAYS = 730
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_check(*, platform: str, uri: str) -> None:
    """Raise ValidationError unless `uri` may be registered for the platform.

    Exact URIs only: no fragment (RFC 6749 §3.1.2), no wildcard, https except on loopback; mobile
    and desktop apps may also use a private-use scheme (RFC 8252 §7.1) or loopback http.
    """
    if len(uri) > 256:
        raise ValidationError(_("A redirect URI has at most 256 characters."), code="too_long")
    if not uri.isascii() or any(ch.isspace() for ch in uri):
        raise ValidationError(_("A redirect URI cannot contain spaces or non-ASCII characters."))
    if "*" in uri:
        raise ValidationError(_("Wildcards are not allowed in redirect URIs: register each URI."))
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError as error:
        raise ValidationError(_("“%(uri)s” is not a valid URI.") % {"uri": uri}) from error
    if parts.fragment or "#" in uri:
        raise ValidationError(_("A redirect URI cannot contain a fragment (#)."), code="fragment")
    scheme = parts.scheme.lower()
    if not scheme:
        raise ValidationError(_("“%(uri)s” is not an absolute URI.") % {"uri": uri})
    if scheme == "https" and host:
        return
    if scheme == "http" and _is_loopback(host):
        return
    if platform == Platform.MOBILE and scheme not in {
        "http",
        "https",
        "javascript",
        "data",
        "file",
    }:
        if "." in scheme or scheme.startswith("msal"):
            return
        raise ValidationError(
            _("Use a reverse-domain private scheme such as com.example.app:/callback."),
            code="scheme",
        )
    raise ValidationError(
        _("Redirect URIs must use https (http is allowed only for localhost)."), code="scheme"
    )


def _clean_uris(uris: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for uri in uris:
        uri = uri.strip()
        if uri and uri not in cleaned:
            cleaned.append(uri)
    return cleaned


def app_register(*, name: str, platform: str, redirect_uris: Iterable[str] = ()) -> AppRegistration:
    """Register an app with the platform's grants and the OpenID permissions, consented.

    Daemons get no OpenID permissions: they never sign a user in.
    """
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError({"name": _("Give the app a name of 1 to 120 characters.")})
    if platform not in Platform.values:
        raise ValidationError({"platform": _("Choose a platform.")})
    uris = _clean_uris(redirect_uris)
    _check_uri_list(platform, uris, "redirect_uris")
    is_public = platform in (Platform.SPA, Platform.MOBILE)
    with transaction.atomic():
        app: AppRegistration = AppRegistration.objects.create(
            name=name,
            platform=platform,
            client_type=(
                AppRegistration.CLIENT_PUBLIC if is_public else AppRegistration.CLIENT_CONFIDENTIAL
            ),
            authorization_grant_type=(
                AppRegistration.GRANT_CLIENT_CREDENTIALS
                if platform == Platform.DAEMON
                else AppRegistration.GRANT_AUTHORIZATION_CODE
            ),
            redirect_uris=" ".join(uris),
            client_secret="",
            hash_client_secret=False,
            skip_authorization=True,
            algorithm=AppRegistration.RS256_ALGORITHM,
        )
        AppRedirectUri.objects.bulk_create(
            AppRedirectUri(app=app, platform=platform, uri=uri) for uri in uris
        )
        if platform != Platform.DAEMON:
            now = timezone.now()
            ApiPermission.objects.bulk_create(
                ApiPermission(client=app, oidc_scope=scope, consented_at=now)
                for scope in OidcScope.values
            )
    return app


def _check_uri_list(platform: str, uris: list[str], field: str) -> None:
    if len(uris) > MAX_REDIRECT_URIS:
        raise ValidationError({field: _("An app has at most 100 redirect URIs.")})
    if platform == Platform.DAEMON and uris:
        raise ValidationError({field: _("A daemon signs no user in: it has no redirect URIs.")})
    errors: list[str] = []
    for uri in uris:
        try:
            redirect_uri_check(platform=platform, uri=uri)
        except ValidationError as error:
            errors.extend(f"{uri}: {message}" for message in error.messages)
    if errors:
        raise ValidationError({field: errors})


def app_authentication_update(
    *,
    app: AppRegistration,
    redirect_uris: Iterable[str] | None = None,
    post_logout_redirect_uris: Iterable[str],
    front_channel_logout_url: str,
) -> AppRegistration:
    """Set the app's post-logout and front-channel logout URIs (exact matches) and, when
    `redirect_uris` is given, the redirect URIs of its main platform (`app_platform_update`);
    its other platforms keep theirs."""
    logout_uris = _clean_uris(post_logout_redirect_uris)
    _check_uri_list(app.platform, logout_uris, "post_logout_redirect_uris")
    front_channel_logout_url = front_channel_logout_url.strip()
    if front_channel_logout_url:
        try:
            redirect_uri_check(platform=Platform.WEB, uri=front_channel_logout_url)
        except ValidationError as error:
            raise ValidationError({"front_channel_logout_url": error.messages}) from error
    with transaction.atomic():
        if redirect_uris is not None:
            if app.platform == Platform.DAEMON:
                _check_uri_list(app.platform, _clean_uris(redirect_uris), "redirect_uris")
            else:
                _platform_uris_set(app=app, platform=app.platform, redirect_uris=redirect_uris)
                _platforms_in_step(app, selectors.app_platforms(app))
        app.post_logout_redirect_uris = " ".join(logout_uris)
        app.front_channel_logout_url = front_channel_logout_url
        app.save(update_fields=["post_logout_redirect_uris", "front_channel_logout_url"])
    return app


# --- platforms (Entra's `web`, `spa` and `publicClient` of an application) --------------------


def _platform_uris_set(
    *, app: AppRegistration, platform: str, redirect_uris: Iterable[str]
) -> list[str]:
    """Replace the platform's redirect URIs with these (checked by the platform's rules), keep
    DOT's `redirect_uris` the union of all platforms', and the app's main platform and client
    type in step. Call inside a transaction."""
    uris = _clean_uris(redirect_uris)
    _check_uri_list(platform, uris, "redirect_uris")
    others = {
        uri: other
        for other, other_uris in selectors.app_platforms(app).items()
        if other != platform
        for uri in other_uris
    }
    taken = [uri for uri in uris if uri in others]
    if taken:
        raise ValidationError(
            {
                "redirect_uris": [
                    _("%(uri)s is already a redirect URI of the %(platform)s platform.")
                    % {"uri": uri, "platform": Platform(others[uri]).label}
                    for uri in taken
                ]
            }
        )
    if len(others) + len(uris) > MAX_REDIRECT_URIS:
        raise ValidationError({"redirect_uris": _("An app has at most 100 redirect URIs.")})
    AppRedirectUri.objects.filter(app=app, platform=platform).delete()
    AppRedirectUri.objects.bulk_create(
        AppRedirectUri(app=app, platform=platform, uri=uri) for uri in uris
    )
    return uris


def _platforms_in_step(app: AppRegistration, platforms: Iterable[str]) -> None:
    """DOT's `redirect_uris` as the union of the platforms' URIs (DOT matches the authorization
    request's against it, RFC 6749 §3.1.2.3), and the main platform: web whenever the app has
    one (a confidential client, RFC 6749 §2.1), else its first public platform."""
    configured = set(platforms)
    main = next((p for p in REDIRECT_PLATFORMS if p in configured), app.platform)
    rows = AppRedirectUri.objects.filter(app=app).values_list("platform", "uri")
    ordered = sorted(rows, key=lambda row: REDIRECT_PLATFORMS.index(row[0]))
    app.redirect_uris = " ".join(uri for _platform, uri in ordered)
    app.platform = main
    public = main in PUBLIC_PLATFORMS
    app.client_type = (
        AppRegistration.CLIENT_PUBLIC if public else AppRegistration.CLIENT_CONFIDENTIAL
    )
    app.save(update_fields=["redirect_uris", "platform", "client_type"])


def _redirect_platform_check(app: AppRegistration, platform: str) -> None:
    if app.platform == Platform.DAEMON:
        raise ValidationError(
            {"platform": _("A daemon signs no user in: it has no platforms with redirect URIs.")}
        )
    if platform not in REDIRECT_PLATFORMS:
        raise ValidationError({"platform": _("Choose web, single-page or mobile and desktop.")})


def app_platform_add(
    *, app: AppRegistration, platform: str, redirect_uris: Iterable[str]
) -> AppRegistration:
    """Add a platform (web, spa or mobile) with at least one redirect URI, as Entra's "Add a
    platform" does. Each URI follows the platform's rules (`redirect_uri_check`) and belongs to
    no other platform of the app. Adding web to a public app makes it a confidential client
    (RFC 6749 §2.1); its single-page and mobile URIs still redeem codes as a public client.
    Refused (ValidationError) for a daemon and for a platform the app already has."""
    _redirect_platform_check(app, platform)
    platforms = selectors.app_platforms(app)
    if platform in platforms:
        raise ValidationError(
            {"platform": _("The app already has this platform: edit its redirect URIs.")}
        )
    if not _clean_uris(redirect_uris):
        raise ValidationError({"redirect_uris": _("Give the platform at least one redirect URI.")})
    with transaction.atomic():
        _platform_uris_set(app=app, platform=platform, redirect_uris=redirect_uris)
        _platforms_in_step(app, [*platforms, platform])
    return app


def app_platform_update(
    *, app: AppRegistration, platform: str, redirect_uris: Iterable[str]
) -> AppRegistration:
    """Replace the redirect URIs of one of the app's platforms (the platform's rules, no URI of
    another platform). The main platform may be left with none, as at registration; another
    platform left with none is removed (`app_platform_remove`'s rules)."""
    _redirect_platform_check(app, platform)
    platforms = selectors.app_platforms(app)
    if platform not in platforms:
        raise ValidationError({"platform": _("The app has no such platform: add it first.")})
    if not _clean_uris(redirect_uris) and platform != app.platform:
        return app_platform_remove(app=app, platform=platform)
    with transaction.atomic():
        _platform_uris_set(app=app, platform=platform, redirect_uris=redirect_uris)
        _platforms_in_step(app, platforms)
    return app


def app_platform_remove(*, app: AppRegistration, platform: str) -> AppRegistration:
    """Remove a platform and its redirect URIs; the codes they were issued for fail at the token
    endpoint from now (RFC 6749 §4.1.3: the redirect URI is no longer registered).

    An app keeps one platform at least. Removing web leaves a public client, which holds no
    secret or certificate: refused (ValidationError) while it has any."""
    _redirect_platform_check(app, platform)
    platforms = selectors.app_platforms(app)
    if platform not in platforms:
        raise ValidationError({"platform": _("The app has no such platform.")})
    remaining = [other for other in platforms if other != platform]
    if not remaining:
        raise ValidationError({"platform": _("An app keeps one platform at least.")})
    if platform == Platform.WEB and (app.secrets.exists() or app.certificates.exists()):
        raise ValidationError(
            {
                "platform": _(
                    "Without its web platform the app is a public client, which holds no "
                    "secret or certificate: remove them first."
                )
            }
        )
    with transaction.atomic():
        AppRedirectUri.objects.filter(app=app, platform=platform).delete()
        _platforms_in_step(app, remaining)
    return app


def client_secret_add(
    *,
    app: AppRegistration,
    description: str,
    lifetime_days: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[ClientSecret, str]:
    """Add a client secret; return it with its value, which is never stored or shown again."""
    if app.is_public:
        raise ValidationError(_("Public clients (single-page, mobile) cannot hold secrets."))
    now = timezone.now()
    if expires_at is None:
        if lifetime_days not in SECRET_LIFETIMES_DAYS:
            raise ValidationError({"lifetime": _("Choose one of the offered lifetimes.")})
        expires_at = now + timedelta(days=lifetime_days)
    elif not now < expires_at <= now + timedelta(days=MAX_CUSTOM_SECRET_DAYS):
        raise ValidationError(
            {"expires_at": _("A custom expiry lies between tomorrow and two years from now.")}
        )
    if len(description) > 100:
        raise ValidationError({"description": _("At most 100 characters.")})
    value = secrets.token_urlsafe(32)
    secret = ClientSecret.objects.create(
        app=app,
        description=description.strip(),
        hint=value[:3],
        digest=ClientSecret.digest_of(value),
        expires_at=expires_at,
    )
    return secret, value


def client_secret_remove(*, app: AppRegistration, secret_id: str) -> None:
    ClientSecret.objects.filter(app=app, secret_id=secret_id).delete()


def certificate_add(*, app: AppRegistration, pem: str, description: str = "") -> AppCertificate:
    """Add a public key (PEM) or X.509 certificate the app signs client assertions with.

    Private keys are refused: the platform must never hold an app's private key.
    """
    if app.is_public:
        raise ValidationError(_("Public clients cannot authenticate with certificates."))
    text = pem.strip()
    if "PRIVATE KEY" in text:
        raise ValidationError(
            {"pem": _("Upload the public key or certificate, never the private key.")}
        )
    if len(text) > 20_000:
        raise ValidationError({"pem": _("That file is too large for a certificate.")})
    not_after = None
    try:
        if "BEGIN CERTIFICATE" in text:
            certificate = x509.load_pem_x509_certificate(text.encode())
            not_after = certificate.not_valid_after_utc
            key = jwk.JWK.from_pyca(certificate.public_key())
        else:
            key = jwk.JWK.from_pem(text.encode())
    except (ValueError, TypeError) as error:
        raise ValidationError(
            {"pem": _("This is not a PEM public key or X.509 certificate.")}
        ) from error
    if key.has_private:
        raise ValidationError(
            {"pem": _("Upload the public key or certificate, never the private key.")}
        )
    if key.get("kty") not in {"RSA", "EC"}:
        raise ValidationError({"pem": _("Use an RSA or EC key.")})
    if not_after is not None and not_after <= timezone.now():
        raise ValidationError({"pem": _("This certificate has expired.")})
    public = key.export_public(as_dict=True)
    thumbprint = key.thumbprint()
    public["kid"] = thumbprint
    try:
        with transaction.atomic():
            return AppCertificate.objects.create(
                app=app,
                description=description.strip()[:100],
                public_jwk=public,
                thumbprint=thumbprint,
                not_after=not_after,
            )
    except IntegrityError as error:
        raise ValidationError({"pem": _("This key is already uploaded.")}) from error


def app_id_uri_set(*, app: AppRegistration, app_id_uri: str) -> AppRegistration:
    """Set the application ID URI (Expose an API): `api://…` or an https URI, unique."""
    app_id_uri = app_id_uri.strip().rstrip("/")
    if not (app_id_uri.startswith("api://") or app_id_uri.startswith("https://")):
        raise ValidationError({"app_id_uri": _("Use api://… or an https:// URI.")})
    if len(app_id_uri) > 255 or "#" in app_id_uri or "*" in app_id_uri or " " in app_id_uri:
        raise ValidationError({"app_id_uri": _("This is not a valid application ID URI.")})
    clash = AppRegistration.objects.exclude(pk=app.pk).filter(app_id_uri=app_id_uri).exists()
    clash = clash or (
        app_id_uri.startswith("api://")
        and AppRegistration.objects.exclude(pk=app.pk)
        .filter(app_id_uri="", client_id=app_id_uri.removeprefix("api://"))
        .exists()
    )
    if clash:
        raise ValidationError({"app_id_uri": _("Another app uses this application ID URI.")})
    app.app_id_uri = app_id_uri
    app.save(update_fields=["app_id_uri"])
    return app


_VALUE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _check_value(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 120 or not set(value) <= _VALUE_CHARS or value.startswith("."):
        raise ValidationError(
            {"value": _("Use 1 to 120 letters, digits, dots, hyphens and underscores.")}
        )
    return value


def api_scope_add(
    *, app: AppRegistration, value: str, display_name: str, description: str = ""
) -> ApiScope:
    value = _check_value(value)
    if value.lower() in {"default", ".default"} or value in OidcScope.values:
        raise ValidationError({"value": _("This scope name is reserved.")})
    if not display_name.strip() or len(display_name) > 100:
        raise ValidationError({"display_name": _("Give a display name of 1 to 100 characters.")})
    try:
        with transaction.atomic():
            return ApiScope.objects.create(
                app=app,
                value=value,
                admin_consent_display_name=display_name.strip(),
                admin_consent_description=description.strip()[:1024],
            )
    except IntegrityError as error:
        raise ValidationError({"value": _("This app already has a scope of that name.")}) from error


def _check_member_types(allowed_member_types: str) -> str:
    if allowed_member_types not in AllowedMemberTypes.values:
        raise ValidationError({"allowed_member_types": _("Choose who the role is for.")})
    return allowed_member_types


def app_role_add(
    *,
    app: AppRegistration,
    value: str,
    display_name: str,
    description: str = "",
    allowed_member_types: str = AllowedMemberTypes.APPLICATION,
) -> AppRole:
    """A new enabled role of the app's API, for applications (an application permission),
    for customers and groups (assignments), or both (Entra's `allowedMemberTypes`)."""
    value = _check_value(value)
    if not display_name.strip() or len(display_name) > 100:
        raise ValidationError({"display_name": _("Give a display name of 1 to 100 characters.")})
    member_types = _check_member_types(allowed_member_types)
    try:
        with transaction.atomic():
            return AppRole.objects.create(
                app=app,
                value=value,
                display_name=display_name.strip(),
                description=description.strip()[:1024],
                allowed_member_types=member_types,
            )
    except IntegrityError as error:
        raise ValidationError({"value": _("This app already has a role of that value.")}) from error


def app_role_member_types_set(*, role: AppRole, allowed_member_types: str) -> AppRole:
    """Change who the role is for. Refused (ValidationError) while what it would exclude still
    holds it: customers' or groups' assignments when it stops being for users, applications'
    permissions when it stops being for applications; Entra asks the same, so no token silently
    loses a role an admin still sees granted."""
    member_types = _check_member_types(allowed_member_types)
    if member_types not in USER_ASSIGNABLE and role.assignments.exists():
        raise ValidationError(
            {"allowed_member_types": _("Remove the role's user and group assignments first.")}
        )
    if member_types not in APP_GRANTABLE and ApiPermission.objects.filter(app_role=role).exists():
        raise ValidationError(
            {"allowed_member_types": _("Remove the apps' permissions for this role first.")}
        )
    role.allowed_member_types = member_types
    role.save(update_fields=["allowed_member_types"])
    return role


def group_membership_claims_set(*, app: AppRegistration, value: str) -> AppRegistration:
    """Which groups the app's tokens name in `groups` (Token configuration → groups claim)."""
    if value not in GroupMembershipClaims.values:
        raise ValidationError({"group_membership_claims": _("Choose which groups.")})
    app.group_membership_claims = value
    app.save(update_fields=["group_membership_claims"])
    return app


def api_permission_add(
    *,
    client: AppRegistration,
    oidc_scope: str = "",
    api_scope: ApiScope | None = None,
    app_role: AppRole | None = None,
) -> ApiPermission:
    """Request a permission for the client; tokens carry it once an admin consents."""
    if sum(bool(x) for x in (oidc_scope, api_scope, app_role)) != 1:
        raise ValidationError(_("Choose one permission."))
    if oidc_scope and oidc_scope not in OidcScope.values:
        raise ValidationError(_("Unknown OpenID permission."))
    if app_role is not None and client.is_public:
        raise ValidationError(_("Only confidential apps can hold application permissions."))
    if app_role is not None and not app_role.grantable_to_apps:
        raise ValidationError(_("This role is for users and groups, not for applications."))
    permission, _created = ApiPermission.objects.get_or_create(
        client=client, oidc_scope=oidc_scope, api_scope=api_scope, app_role=app_role
    )
    return permission


def api_permission_remove(*, client: AppRegistration, permission_id: int) -> None:
    ApiPermission.objects.filter(client=client, pk=permission_id).delete()


def admin_consent_grant(*, client: AppRegistration) -> int:
    """Grant admin consent for every permission the client requests; return how many."""
    return ApiPermission.objects.filter(client=client, consented_at__isnull=True).update(
        consented_at=timezone.now()
    )


def admin_consent_revoke(*, client: AppRegistration) -> int:
    return ApiPermission.objects.filter(client=client, consented_at__isnull=False).update(
        consented_at=None
    )


def token_settings_update(
    *,
    access_token_minutes: int,
    id_token_minutes: int,
    spa_refresh_token_hours: int,
    refresh_token_days: int,
) -> TokenSettings:
    """Set the tenant's token lifetimes within Entra's configurable bounds."""
    errors = {}
    if not 10 <= access_token_minutes <= 1440:
        errors["access_token_minutes"] = _("Between 10 and 1,440 minutes.")
    if not 10 <= id_token_minutes <= 1440:
        errors["id_token_minutes"] = _("Between 10 and 1,440 minutes.")
    if not 1 <= spa_refresh_token_hours <= 24:
        errors["spa_refresh_token_hours"] = _("Between 1 and 24 hours.")
    if not 1 <= refresh_token_days <= 365:
        errors["refresh_token_days"] = _("Between 1 and 365 days.")
    if errors:
        raise ValidationError(errors)
    row, _created = TokenSettings.objects.get_or_create(singleton=True)
    row.access_token_minutes = access_token_minutes
    row.id_token_minutes = id_token_minutes
    row.spa_refresh_token_hours = spa_refresh_token_hours
    row.refresh_token_days = refresh_token_days
    row.save()
    return row


def grant_replayed(*, grant: Grant) -> None:
    """An authorization code came back: revoke what it issued (RFC 6749 §4.1.2, §10.5)."""
    token = grant.issued_access_token
    if token is None:
        return
    for refresh in RefreshToken.objects.filter(access_token=token):
        if refresh.token_family:
            RefreshToken.revoke_family(refresh.token_family)
        else:
            refresh.revoke()
    AccessToken.objects.filter(pk=token.pk).delete()


def app_rename(*, app: AppRegistration, name: str) -> AppRegistration:
    """Give the app another display name (1 to 120 characters, as at registration)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError({"name": _("Give the app a name of 1 to 120 characters.")})
    app.name = name
    app.save(update_fields=["name"])
    return app


def app_delete(*, app: AppRegistration) -> None:
    app.delete()


def certificate_remove(*, app: AppRegistration, certificate_id: int) -> None:
    AppCertificate.objects.filter(app=app, pk=certificate_id).delete()


def app_claims_set(
    *, app: AppRegistration, entries: Iterable[tuple[str, bool, bool]]
) -> list[AppClaim]:
    """Set the app's Attributes & claims: (attribute, in ID token, in access token) triples,
    where an attribute is a built-in key or a custom attribute's name. Replaces the old set."""
    customs = {attribute.name: attribute for attribute in CustomAttribute.objects.all()}
    rows: list[AppClaim] = []
    for key, in_id, in_access in entries:
        if not (in_id or in_access):
            continue
        if key in BUILTIN_ATTRIBUTES:
            rows.append(
                AppClaim(app=app, builtin=key, in_id_token=in_id, in_access_token=in_access)
            )
        elif key in customs:
            rows.append(
                AppClaim(
                    app=app,
                    custom_attribute=customs[key],
                    in_id_token=in_id,
                    in_access_token=in_access,
                )
            )
        else:
            raise ValidationError(_("Unknown attribute “%(key)s”.") % {"key": key})
    with transaction.atomic():
        AppClaim.objects.filter(app=app).delete()
        return AppClaim.objects.bulk_create(rows)


_JWT_CLAIM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,99}")
_CLAIM_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def app_custom_claims_set(
    *, app: AppRegistration, entries: Iterable[tuple[str, str, bool, bool]]
) -> list[AppCustomClaim]:
    """Set the app's custom claims provider mappings (Entra's claims-mapping step): (claim ID
    the extension answers, JWT claim name, in ID token, in access token). Replaces the old set.

    Refuses (ValidationError) a JWT claim name that is reserved (`RESERVED_CLAIM_NAMES`: the
    registered and protocol claims, which an extension must never be able to set), malformed,
    or used twice; a row in neither token is dropped."""
    rows: list[AppCustomClaim] = []
    names: set[str] = set()
    for claim_id, jwt_claim_name, in_id, in_access in entries:
        if not (in_id or in_access):
            continue
        if not _CLAIM_ID.fullmatch(claim_id):
            raise ValidationError(
                _("“%(claim)s” is not a valid claim ID: letters, digits, _ . : - only.")
                % {"claim": claim_id[:100]}
            )
        if not _JWT_CLAIM_NAME.fullmatch(jwt_claim_name):
            raise ValidationError(
                _("“%(name)s” is not a valid JWT claim name.") % {"name": jwt_claim_name[:100]}
            )
        if jwt_claim_name.lower() in RESERVED_CLAIM_NAMES:
            raise ValidationError(
                _("“%(name)s” is a reserved claim: a custom claims provider cannot set it.")
                % {"name": jwt_claim_name}
            )
        if jwt_claim_name in names:
            raise ValidationError(_("“%(name)s” is mapped twice.") % {"name": jwt_claim_name})
        names.add(jwt_claim_name)
        rows.append(
            AppCustomClaim(
                app=app,
                claim_id=claim_id,
                jwt_claim_name=jwt_claim_name,
                in_id_token=in_id,
                in_access_token=in_access,
            )
        )
    with transaction.atomic():
        AppCustomClaim.objects.filter(app=app).delete()
        return AppCustomClaim.objects.bulk_create(rows)
