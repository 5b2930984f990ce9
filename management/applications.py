"""`/applications`: the tenant's app registrations, shaped as Graph's application resource.

List, create, read, update (`displayName`, and the platforms: `web` with its `logoutUrl`, `spa`,
`publicClient`, each with its `redirectUris`), delete; client secrets (`addPassword`, whose
answer is the only place the value ever appears, and `removePassword`) and public keys
(`addKey`, `removeKey`). The services in apps/services.py hold every rule (a redirect URI's
platform and its checks, a public client holding no secret); this module shapes JSON and audits.
"""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps import selectors, services
from apps.models import (
    ApiPermission,
    ApiScope,
    AppCertificate,
    AppClaim,
    AppRegistration,
    AppRole,
    ClientSecret,
    Platform,
)
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import Conflict, django_validation_errors
from management.strict import StrictSerializer
from tenants.models import AuditAction

APPLICATION_ROLES = needs(read=("Application.Read.All",), write=("Application.ReadWrite.All",))
APPLICATION_WRITE = needs(write=("Application.ReadWrite.All",))

# Graph's platform objects and ours.
_PLATFORM_OF_OBJECT: dict[str, str] = {
    "web": Platform.WEB,
    "spa": Platform.SPA,
    "publicClient": Platform.MOBILE,
}


# --- representations --------------------------------------------------------------------------


class _RedirectUris(serializers.Serializer):
    redirectUris = serializers.ListField(child=serializers.CharField())


class _Web(_RedirectUris):
    logoutUrl = serializers.CharField(allow_null=True)


class PasswordCredentialSerializer(serializers.Serializer):
    keyId = serializers.UUIDField()
    displayName = serializers.CharField(allow_blank=True)
    hint = serializers.CharField()
    startDateTime = serializers.DateTimeField()
    endDateTime = serializers.DateTimeField()


class NewPasswordCredentialSerializer(PasswordCredentialSerializer):
    secretText = serializers.CharField(help_text="The secret: answered this once, never again.")


class KeyCredentialSerializer(serializers.Serializer):
    keyId = serializers.UUIDField()
    displayName = serializers.CharField(allow_blank=True)
    customKeyIdentifier = serializers.CharField(help_text="The key's JWK thumbprint (RFC 7638).")
    type = serializers.CharField()
    usage = serializers.CharField()
    startDateTime = serializers.DateTimeField()
    endDateTime = serializers.DateTimeField(allow_null=True)


class ScopeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    value = serializers.CharField()
    adminConsentDisplayName = serializers.CharField()
    adminConsentDescription = serializers.CharField(allow_blank=True)
    isEnabled = serializers.BooleanField()
    type = serializers.CharField()


class _Api(serializers.Serializer):
    oauth2PermissionScopes = ScopeSerializer(many=True)


class AppRoleSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    value = serializers.CharField()
    displayName = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    isEnabled = serializers.BooleanField()
    allowedMemberTypes = serializers.ListField(child=serializers.CharField())


class _OptionalClaim(StrictSerializer):
    name = serializers.CharField(
        max_length=100, help_text="A built-in attribute's key or a custom attribute's name."
    )


class _OptionalClaims(serializers.Serializer):
    idToken = _OptionalClaim(many=True)
    accessToken = _OptionalClaim(many=True)


class _ResourceAccess(StrictSerializer):
    id = serializers.UUIDField(help_text="The scope's or the app role's ID.")
    type = serializers.ChoiceField(choices=["Scope", "Role"])


class _ResourceAccessOut(_ResourceAccess):
    adminConsented = serializers.BooleanField()


class _RequiredResourceAccess(StrictSerializer):
    resourceAppId = serializers.CharField(help_text="The API app's application (client) ID.")
    resourceAccess = _ResourceAccess(many=True)


class _RequiredResourceAccessOut(serializers.Serializer):
    resourceAppId = serializers.CharField()
    resourceAccess = _ResourceAccessOut(many=True)


class ApplicationSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The app's object ID.")
    appId = serializers.CharField(help_text="The application (client) ID.")
    displayName = serializers.CharField()
    createdDateTime = serializers.DateTimeField()
    isFallbackPublicClient = serializers.BooleanField(
        help_text="True when the app has only public platforms (spa, publicClient): it holds "
        "no secret, and every code is redeemed with PKCE alone."
    )
    web = _Web()
    spa = _RedirectUris()
    publicClient = _RedirectUris()
    identifierUris = serializers.ListField(child=serializers.CharField())
    api = _Api()
    appRoles = AppRoleSerializer(many=True)
    passwordCredentials = PasswordCredentialSerializer(many=True)
    keyCredentials = KeyCredentialSerializer(many=True)
    optionalClaims = _OptionalClaims()
    requiredResourceAccess = _RequiredResourceAccessOut(
        many=True,
        help_text="The other APIs' scopes and app roles the app requests (API permissions); "
        "tokens carry them once an admin consented. The OpenID permissions are not listed.",
    )


def _optional_claims(app: AppRegistration) -> dict[str, list[dict[str, str]]]:
    claims: dict[str, list[dict[str, str]]] = {"idToken": [], "accessToken": []}
    for row in AppClaim.objects.filter(app=app).select_related("custom_attribute").order_by("pk"):
        name = row.builtin or (row.custom_attribute.name if row.custom_attribute else "")
        if row.in_id_token:
            claims["idToken"].append({"name": name})
        if row.in_access_token:
            claims["accessToken"].append({"name": name})
    return claims


def _required_resource_access(app: AppRegistration) -> list[dict[str, Any]]:
    by_resource: dict[str, list[dict[str, Any]]] = {}
    rows = (
        ApiPermission.objects.filter(client=app, oidc_scope="")
        .select_related("api_scope__app", "app_role__app")
        .order_by("pk")
    )
    for row in rows:
        if row.api_scope is not None:
            resource, item_id, kind = row.api_scope.app, row.api_scope.scope_id, "Scope"
        elif row.app_role is not None:
            resource, item_id, kind = row.app_role.app, row.app_role.role_id, "Role"
        else:
            continue
        by_resource.setdefault(resource.client_id, []).append(
            {"id": str(item_id), "type": kind, "adminConsented": row.consented_at is not None}
        )
    return [
        {"resourceAppId": resource, "resourceAccess": access}
        for resource, access in by_resource.items()
    ]


def key_id_of(app: AppRegistration, certificate: AppCertificate) -> uuid.UUID:
    # Certificates are keyed by their thumbprint; Graph's keyId is a GUID, derived from it.
    return uuid.uuid5(app.object_id, certificate.thumbprint)


def password_credential(secret: ClientSecret) -> dict[str, Any]:
    return {
        "keyId": str(secret.secret_id),
        "displayName": secret.description,
        "hint": secret.hint,
        "startDateTime": secret.created_at.isoformat(),
        "endDateTime": secret.expires_at.isoformat(),
    }


def key_credential(app: AppRegistration, certificate: AppCertificate) -> dict[str, Any]:
    return {
        "keyId": str(key_id_of(app, certificate)),
        "displayName": certificate.description,
        "customKeyIdentifier": certificate.thumbprint,
        "type": "AsymmetricX509Cert" if certificate.not_after else "AsymmetricKey",
        "usage": "Verify",
        "startDateTime": certificate.added_at.isoformat(),
        "endDateTime": certificate.not_after.isoformat() if certificate.not_after else None,
    }


def scope_representation(scope: ApiScope) -> dict[str, Any]:
    """A delegated scope the app's API exposes, as Graph's `oauth2PermissionScopes` shows it."""
    return {
        "id": str(scope.scope_id),
        "value": scope.value,
        "adminConsentDisplayName": scope.admin_consent_display_name,
        "adminConsentDescription": scope.admin_consent_description,
        "isEnabled": scope.enabled,
        "type": "Admin",
    }


def app_role_representation(role: AppRole) -> dict[str, Any]:
    """An app role as Graph's `appRoles` shows it: `allowedMemberTypes` from the role (User for
    customers and groups, Application for daemons, or both)."""
    members = [
        kind
        for kind, allowed in (
            ("User", role.assignable_to_users),
            ("Application", role.grantable_to_apps),
        )
        if allowed
    ]
    return {
        "id": str(role.role_id),
        "value": role.value,
        "displayName": role.display_name,
        "description": role.description,
        "isEnabled": role.enabled,
        "allowedMemberTypes": members,
    }


def application_representation(app: AppRegistration) -> dict[str, Any]:
    """The app as the API shows it (call in the tenant's schema): Graph's names, the platforms'
    redirect URIs, the credentials' metadata (never a secret's value)."""
    platforms = selectors.app_platforms(app)
    return {
        "id": str(app.object_id),
        "appId": app.client_id,
        "displayName": app.name,
        "createdDateTime": app.created.isoformat(),
        "isFallbackPublicClient": app.is_public,
        "web": {
            "redirectUris": platforms.get(Platform.WEB, []),
            "logoutUrl": app.front_channel_logout_url or None,
        },
        "spa": {"redirectUris": platforms.get(Platform.SPA, [])},
        "publicClient": {"redirectUris": platforms.get(Platform.MOBILE, [])},
        "identifierUris": [app.app_id_uri] if app.app_id_uri else [],
        "api": {
            "oauth2PermissionScopes": [
                scope_representation(scope) for scope in app.api_scopes.order_by("pk")
            ]
        },
        "appRoles": [app_role_representation(role) for role in app.app_roles.order_by("pk")],
        "passwordCredentials": [
            password_credential(s) for s in app.secrets.order_by("created_at", "pk")
        ],
        "keyCredentials": [
            key_credential(app, c) for c in app.certificates.order_by("added_at", "pk")
        ],
        "optionalClaims": _optional_claims(app),
        "requiredResourceAccess": _required_resource_access(app),
    }


# --- requests ---------------------------------------------------------------------------------


def _uris(*, required: bool = True) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=256, trim_whitespace=False),
        max_length=100,
        required=required,
    )


class _RedirectUrisIn(StrictSerializer):
    redirectUris = _uris()


class _WebIn(StrictSerializer):
    redirectUris = _uris(required=False)
    logoutUrl = serializers.CharField(
        max_length=256, allow_null=True, allow_blank=True, required=False
    )


class _OptionalClaimsIn(StrictSerializer):
    idToken = _OptionalClaim(many=True, required=False)
    accessToken = _OptionalClaim(many=True, required=False)


class ApplicationUpdateSerializer(StrictSerializer):
    displayName = serializers.CharField(max_length=120, required=False)
    identifierUris = serializers.ListField(
        child=serializers.CharField(max_length=255),
        max_length=1,
        required=False,
        help_text="The application ID URI (one): api://… or https://….",
    )
    optionalClaims = _OptionalClaimsIn(required=False, help_text="Replaces the set.")
    requiredResourceAccess = _RequiredResourceAccess(
        many=True,
        required=False,
        help_text="Replaces the requested scopes and app roles; new ones await admin consent.",
    )
    web = _WebIn(required=False, allow_null=True)
    spa = _RedirectUrisIn(required=False, allow_null=True)
    publicClient = _RedirectUrisIn(required=False, allow_null=True)


class ApplicationCreateSerializer(ApplicationUpdateSerializer):
    displayName = serializers.CharField(max_length=120)


_API_FIELD = {
    "app_id_uri": "identifierUris",
    "name": "displayName",
    "redirect_uris": "redirectUris",
    "front_channel_logout_url": "web.logoutUrl",
    "post_logout_redirect_uris": "web.logoutUrl",
    "platform": "platform",
    "expires_at": "passwordCredential.endDateTime",
    "lifetime": "passwordCredential.endDateTime",
    "description": "displayName",
    "pem": "keyCredential.key",
}


def api_errors(error: ValidationError, prefix: str = "") -> exceptions.ValidationError:
    """A service's field errors under the API's names of the fields."""
    errors: dict[str, list[str]] = {}
    for key, messages in django_validation_errors(error).items():
        name = _API_FIELD.get(key, "" if key == "__all__" else key)
        if name == "redirectUris" and prefix:
            name = f"{prefix}.redirectUris"
        errors.setdefault(name, []).extend(messages)
    return exceptions.ValidationError(errors)


def app_or_404(app_id: uuid.UUID, *, lock: bool = False) -> AppRegistration:
    apps = selectors.app_list()
    found: AppRegistration | None = (
        (apps.select_for_update() if lock else apps).filter(object_id=app_id).first()
    )
    if found is None:
        raise exceptions.NotFound("No application has this ID.")
    return found


def app_target(app: AppRegistration) -> str:
    return f"{app.name} ({app.client_id})"


def _by_platform(app: AppRegistration) -> dict[str, object]:
    platforms = selectors.app_platforms(app)
    return {
        "web_redirect_uris": platforms.get(Platform.WEB),
        "spa_redirect_uris": platforms.get(Platform.SPA),
        "mobile_redirect_uris": platforms.get(Platform.MOBILE),
        "front_channel_logout_url": app.front_channel_logout_url,
    }


def _platforms_set(app: AppRegistration, data: dict[str, Any]) -> None:
    """Apply the request's platform objects: a list replaces the platform's redirect URIs
    (adding the platform when the app lacks it), `null` removes the platform. URIs leaving one
    platform are taken from it before any platform receives its new ones, so a URI may move
    between platforms in one request."""
    wanted: dict[str, list[str] | None] = {}
    for name, platform in _PLATFORM_OF_OBJECT.items():
        if name not in data:
            continue
        value = data[name]
        if value is None:
            wanted[platform] = None
        elif "redirectUris" in value:
            wanted[platform] = list(value["redirectUris"])
    current = selectors.app_platforms(app)
    for platform, uris in wanted.items():
        if platform not in current:
            continue
        kept = [uri for uri in current[platform] if uris is not None and uri in uris]
        if uris is None:
            services.app_platform_remove(app=app, platform=platform)
        elif kept != current[platform]:
            if kept or platform == app.platform:
                services.app_platform_update(app=app, platform=platform, redirect_uris=kept)
            else:  # a public platform beside the main one: back below, if it keeps a URI
                services.app_platform_remove(app=app, platform=platform)
    for platform, uris in wanted.items():
        if uris is None:
            continue
        configured = selectors.app_platforms(app)
        if platform in configured:
            if uris != configured[platform]:
                services.app_platform_update(app=app, platform=platform, redirect_uris=uris)
        elif uris:
            services.app_platform_add(app=app, platform=platform, redirect_uris=uris)


def _logout_url_set(app: AppRegistration, data: dict[str, Any]) -> None:
    web = data.get("web") or {}
    if "logoutUrl" in web:
        services.app_authentication_update(
            app=app,
            post_logout_redirect_uris=app.post_logout_redirect_uris.split(),
            front_channel_logout_url=web["logoutUrl"] or "",
        )


def _permissions_set(app: AppRegistration, wanted: list[dict[str, Any]]) -> tuple[int, int]:
    """Make the app's requested scopes and app roles those of `wanted` (Graph's
    requiredResourceAccess); the OpenID permissions stay. How many were added and removed."""
    targets: list[ApiScope | AppRole] = []
    for resource in wanted:
        for access in resource["resourceAccess"]:
            model = ApiScope if access["type"] == "Scope" else AppRole
            key = "scope_id" if access["type"] == "Scope" else "role_id"
            found = model.objects.filter(
                app__client_id=resource["resourceAppId"], **{key: access["id"]}
            ).first()
            if found is None:
                raise exceptions.ValidationError(
                    {"requiredResourceAccess": [f"No {access['type']} {access['id']} there."]}
                )
            targets.append(found)
    current = ApiPermission.objects.filter(client=app, oidc_scope="")
    keep: set[int] = set()
    added = 0
    for target in targets:
        existing = current.filter(
            api_scope=target if isinstance(target, ApiScope) else None,
            app_role=target if isinstance(target, AppRole) else None,
        ).first()
        if existing is None:
            if isinstance(target, ApiScope):
                existing = services.api_permission_add(client=app, api_scope=target)
            else:
                existing = services.api_permission_add(client=app, app_role=target)
            added += 1
        keep.add(existing.pk)
    removed = 0
    for permission_id in current.exclude(pk__in=keep).values_list("pk", flat=True):
        services.api_permission_remove(client=app, permission_id=permission_id)
        removed += 1
    return added, removed


def _api_settings_set(request: Request, app: AppRegistration, data: dict[str, Any]) -> None:
    """identifierUris, optionalClaims and requiredResourceAccess, each audited as the admin
    center audits it."""
    if data.get("identifierUris"):
        before = app.effective_app_id_uri
        services.app_id_uri_set(app=app, app_id_uri=data["identifierUris"][0])
        if app.effective_app_id_uri != before:
            api_audit(
                request,
                AuditAction.APP_ID_URI_SET,
                target=app_target(app),
                before={"app_id_uri": before},
                after={"app_id_uri": app.effective_app_id_uri},
            )
    if "optionalClaims" in data:
        wanted = data["optionalClaims"]
        before_claims = _optional_claims(app)
        id_names = [claim["name"] for claim in wanted.get("idToken", [])]
        access_names = [claim["name"] for claim in wanted.get("accessToken", [])]
        names = list(dict.fromkeys([*id_names, *access_names]))
        services.app_claims_set(
            app=app,
            entries=[(name, name in id_names, name in access_names) for name in names],
        )
        after_claims = _optional_claims(app)
        if after_claims != before_claims:
            api_audit(
                request,
                AuditAction.APP_CLAIMS_UPDATED,
                target=app_target(app),
                before={k: [c["name"] for c in v] for k, v in before_claims.items()},
                after={k: [c["name"] for c in v] for k, v in after_claims.items()},
            )
    if "requiredResourceAccess" in data:
        added, removed = _permissions_set(app, data["requiredResourceAccess"])
        if added:
            api_audit(
                request,
                AuditAction.PERMISSION_ADDED,
                target=app_target(app),
                details={"count": added},
            )
        if removed:
            api_audit(
                request,
                AuditAction.PERMISSION_REMOVED,
                target=app_target(app),
                details={"count": removed},
            )


# --- views ------------------------------------------------------------------------------------


class ApplicationsView(ManagementView):
    roles = APPLICATION_ROLES

    @extend_schema(
        operation_id="applications_list",
        summary="List app registrations",
        description="In the order they were registered.",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(ApplicationSerializer, "ApplicationPage"),
    )
    def get(self, request: Request) -> Response:
        page = id_page(selectors.app_list(), request=request)
        return paged_response(request, page, application_representation)

    @extend_schema(
        operation_id="applications_create",
        summary="Register an app",
        description=(
            "Its platforms are those sent: `web` makes it a confidential client, `spa` and "
            "`publicClient` alone a public one; with none it is a confidential client without "
            "redirect URIs (client credentials)."
        ),
        request=ApplicationCreateSerializer,
        responses={201: ApplicationSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = ApplicationCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        sent = [p for name, p in _PLATFORM_OF_OBJECT.items() if data.get(name) is not None]
        first = sent[0] if sent else Platform.WEB
        first_object = next(name for name, p in _PLATFORM_OF_OBJECT.items() if p == first)
        first_uris = (data.get(first_object) or {}).get("redirectUris", [])
        with transaction.atomic():
            try:
                app = services.app_register(
                    name=data["displayName"], platform=first, redirect_uris=first_uris
                )
                _platforms_set(app, data)
                _logout_url_set(app, data)
                api_audit(
                    request,
                    AuditAction.APP_REGISTERED,
                    target=app_target(app),
                    details={"platform": app.platform, **_by_platform(app)},
                )
                _api_settings_set(request, app, data)
            except ValidationError as error:
                raise api_errors(error, first_object) from error
            representation = application_representation(app)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{app.object_id}"},
        )
        return with_etag(response, representation)


class ApplicationView(ManagementView):
    roles = APPLICATION_ROLES

    @extend_schema(
        operation_id="applications_get",
        summary="Read an app registration",
        responses=ApplicationSerializer,
    )
    def get(self, request: Request, app_id: uuid.UUID) -> Response:
        representation = application_representation(app_or_404(app_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="applications_update",
        summary="Update an app registration",
        description=(
            "Only what is sent changes. A platform's `redirectUris` replace its own (adding "
            "the platform when the app lacks it; each URI belongs to one platform); a platform "
            "sent as `null` is removed. Send `If-Match` with the ETag you read."
        ),
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        request=ApplicationUpdateSerializer,
        responses=ApplicationSerializer,
    )
    def patch(self, request: Request, app_id: uuid.UUID) -> Response:
        incoming = ApplicationUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            app = app_or_404(app_id, lock=True)
            precondition_check(request, application_representation(app))
            before_name, before = app.name, _by_platform(app)
            try:
                if "displayName" in data:
                    services.app_rename(app=app, name=data["displayName"])
                _platforms_set(app, data)
                _logout_url_set(app, data)
                _api_settings_set(request, app, data)
            except ValidationError as error:
                raise api_errors(error) from error
            if app.name != before_name:
                api_audit(
                    request,
                    AuditAction.APP_UPDATED,
                    target=app_target(app),
                    before={"name": before_name},
                    after={"name": app.name},
                )
            after = _by_platform(app)
            if after != before:
                api_audit(
                    request,
                    AuditAction.APP_AUTHENTICATION_UPDATED,
                    target=app_target(app),
                    before=before,
                    after=after,
                )
            representation = application_representation(app)
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="applications_delete",
        summary="Delete an app registration",
        description="Its tokens and codes stop working at once.",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, app_id: uuid.UUID) -> Response:
        with transaction.atomic():
            app = app_or_404(app_id, lock=True)
            precondition_check(request, application_representation(app))
            target = app_target(app)
            try:
                with transaction.atomic():
                    services.app_delete(app=app)
            except ProtectedError as error:
                raise Conflict(
                    "Custom authentication extensions name this app as their API: change them "
                    "first."
                ) from error
            api_audit(request, AuditAction.APP_DELETED, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)
