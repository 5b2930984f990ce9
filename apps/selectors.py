"""Reads about app registrations, their credentials and permissions (in the tenant's schema)."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.management_api import MANAGEMENT_API_CLIENT_ID
from apps.models import (
    APP_GRANTABLE,
    REDIRECT_PLATFORMS,
    ApiPermission,
    ApiScope,
    AppRedirectUri,
    AppRegistration,
    AppRole,
    OidcScope,
    Platform,
    TokenSettings,
)
from tenants.endpoints import TOKEN
from tenants.models import Tenant
from tenants.selectors import tenant_endpoint_url

OIDC_SCOPES = frozenset(OidcScope.values)
DEFAULT_SCOPE_SUFFIX = "/.default"


def client_assertion_keys(*, app: AppRegistration) -> list[dict[str, str]]:
    """Public keys the app may sign `private_key_jwt` assertions with (unexpired certificates)."""
    now = timezone.now()
    return list(
        app.certificates.filter(Q(not_after__isnull=True) | Q(not_after__gt=now)).values_list(
            "public_jwk", flat=True
        )
    )


def scope_descriptions() -> dict[str, str]:
    """Every scope of the tenant with what a customer is told it allows: the OpenID scopes and
    the enabled delegated scopes of its APIs (DOT's scopes backend, through apps.lookups)."""
    scopes = {scope.value: str(scope.label) for scope in OidcScope}
    for scope in ApiScope.objects.select_related("app").filter(enabled=True):
        scopes[str(scope)] = scope.admin_consent_display_name
    return scopes


def token_endpoint_url(tenant: Tenant) -> str:
    """The tenant's token endpoint: the audience a client assertion names (RFC 7523 §3)."""
    return tenant_endpoint_url(tenant, TOKEN)


def token_settings() -> TokenSettings:
    settings_row, _ = TokenSettings.objects.get_or_create(singleton=True)
    return settings_row


def app_by_app_id_uri(app_id_uri: str) -> AppRegistration | None:
    """The app whose API answers to this application ID URI (explicit, or `api://<client-id>`)."""
    app: AppRegistration | None = AppRegistration.objects.filter(app_id_uri=app_id_uri).first()
    if app is None and app_id_uri.startswith("api://"):
        app = AppRegistration.objects.filter(
            app_id_uri="", client_id=app_id_uri.removeprefix("api://")
        ).first()
    return app


def resource_for_default_scope(scopes: list[str]) -> AppRegistration | None:
    """Client credentials ask for exactly `<application ID URI>/.default` (as in Entra)."""
    if len(scopes) != 1 or not scopes[0].endswith(DEFAULT_SCOPE_SUFFIX):
        return None
    return app_by_app_id_uri(scopes[0].removesuffix(DEFAULT_SCOPE_SUFFIX))


def granted_roles(*, client: AppRegistration, resource: AppRegistration) -> list[str]:
    """App roles of `resource` an admin consented to for `client` (those apps may hold)."""
    return sorted(
        AppRole.objects.filter(
            app=resource,
            enabled=True,
            allowed_member_types__in=APP_GRANTABLE,
            apipermission__client=client,
            apipermission__consented_at__isnull=False,
        ).values_list("value", flat=True)
    )


@dataclass(frozen=True)
class DelegatedGrant:
    """What an authorization request may receive: OpenID scopes and one API's scopes."""

    resource: AppRegistration | None
    api_scopes: list[str] = field(default_factory=list)
    oidc_scopes: list[str] = field(default_factory=list)


def granted_delegated(*, client: AppRegistration, scopes: list[str]) -> DelegatedGrant | None:
    """The grant for these requested scopes, or None when any is not consented for the client.

    API scopes are written `<application ID URI>/<scope>`; all must belong to one API, since an
    access token has one audience (RFC 9068 §3). `<application ID URI>/.default` means every
    consented scope of that API.
    """
    oidc = [scope for scope in scopes if scope in OIDC_SCOPES]
    api = [scope for scope in scopes if scope not in OIDC_SCOPES]
    consented = ApiPermission.objects.filter(client=client, consented_at__isnull=False)
    consented_oidc = set(consented.exclude(oidc_scope="").values_list("oidc_scope", flat=True))
    if not set(oidc) <= consented_oidc:
        return None
    if not api:
        return DelegatedGrant(resource=None, oidc_scopes=oidc)
    prefixes = {scope.rsplit("/", 1)[0] for scope in api if "/" in scope}
    if len(prefixes) != 1 or any("/" not in scope for scope in api):
        return None
    resource = app_by_app_id_uri(prefixes.pop())
    if resource is None:
        return None
    available = set(
        consented.filter(api_scope__app=resource, api_scope__enabled=True).values_list(
            "api_scope__value", flat=True
        )
    )
    wanted = {scope.rsplit("/", 1)[1] for scope in api}
    if wanted == {".default"}:
        wanted = available
    if not wanted or not wanted <= available:
        return None
    return DelegatedGrant(resource=resource, api_scopes=sorted(wanted), oidc_scopes=oidc)


def app_platforms(app: AppRegistration) -> dict[str, list[str]]:
    """The app's platforms with their redirect URIs, web, spa, mobile in that order (Entra's
    `web`, `spa` and `publicClient`). The main platform is listed even without a URI, as after
    registration; a daemon has none."""
    if app.platform not in REDIRECT_PLATFORMS:
        return {}
    platforms: dict[str, list[str]] = {platform: [] for platform in REDIRECT_PLATFORMS}
    for platform, uri in AppRedirectUri.objects.filter(app=app).values_list("platform", "uri"):
        platforms[platform].append(uri)
    return {
        platform: uris for platform, uris in platforms.items() if uris or platform == app.platform
    }


def redirect_uri_platforms(app: AppRegistration) -> dict[str, str]:
    """Each registered redirect URI of the app with its platform. A URI of DOT's union that no
    platform row holds (written before platforms were per URI) is the main platform's."""
    platforms = dict.fromkeys(app.redirect_uris.split(), app.platform)
    platforms.update(AppRedirectUri.objects.filter(app=app).values_list("uri", "platform"))
    return platforms


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def spa_origins(app: AppRegistration) -> frozenset[str]:
    """The origins of the app's single-page redirect URIs: the only ones that may call the
    token endpoint from a browser (OAuth 2.0 for Browser-Based Apps §6.2: the authorization
    server supports CORS for the token endpoint; Entra, for `spa` redirect URIs only)."""
    return frozenset(
        _origin(uri)
        for uri in AppRedirectUri.objects.filter(app=app, platform=Platform.SPA).values_list(
            "uri", flat=True
        )
    )


def cors_origin_allowed(*, app: AppRegistration, origin: str) -> bool:
    """Only the origins of the app's single-page redirect URIs may call the token endpoint."""
    return origin in spa_origins(app)


def tenant_spa_origins() -> frozenset[str]:
    """The origins of every single-page redirect URI of the tenant (CORS preflight, which
    names no client)."""
    return frozenset(
        _origin(uri)
        for uri in AppRedirectUri.objects.filter(platform=Platform.SPA).values_list(
            "uri", flat=True
        )
    )


def app_list() -> QuerySet[AppRegistration]:
    """The tenant's app registrations; not the platform's management API app
    (apps/management_api.py), which is no registration of the tenant's."""
    apps: QuerySet[AppRegistration] = AppRegistration.objects.exclude(
        client_id=MANAGEMENT_API_CLIENT_ID
    ).order_by("name", "pk")
    return apps
