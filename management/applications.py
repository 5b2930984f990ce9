"""`/applications`: the tenant's app registrations, shaped as Graph's application resource.

List, create, read, update (`displayName`, and the platforms: `web` with its `logoutUrl`, `spa`,
`publicClient`, each with its `redirectUris`), delete; client secrets (`addPassword`, whose
answer is the only place the value ever appears, and `removePassword`) and public keys
(`addKey`, `removeKey`). The services in apps/services.py hold every rule (a redirect URI's
platform and its checks, a public client holding no secret); this module shapes JSON and audits.
"""

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps import selectors, services
from apps.models import AppCertificate, AppRegistration, ClientSecret, Platform
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import Conflict, django_validation_errors
from tenants.models import AuditAction

APPLICATION_ROLES = needs(read=("Application.Read.All",), write=("Application.ReadWrite.All",))
_WRITE = needs(write=("Application.ReadWrite.All",))

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


class _Scope(serializers.Serializer):
    id = serializers.UUIDField()
    value = serializers.CharField()
    adminConsentDisplayName = serializers.CharField()
    adminConsentDescription = serializers.CharField(allow_blank=True)
    isEnabled = serializers.BooleanField()
    type = serializers.CharField()


class _Api(serializers.Serializer):
    oauth2PermissionScopes = _Scope(many=True)


class _AppRole(serializers.Serializer):
    id = serializers.UUIDField()
    value = serializers.CharField()
    displayName = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    isEnabled = serializers.BooleanField()
    allowedMemberTypes = serializers.ListField(child=serializers.CharField())


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
    appRoles = _AppRole(many=True)
    passwordCredentials = PasswordCredentialSerializer(many=True)
    keyCredentials = KeyCredentialSerializer(many=True)


def _key_id(app: AppRegistration, certificate: AppCertificate) -> uuid.UUID:
    # Certificates are keyed by their thumbprint; Graph's keyId is a GUID, derived from it.
    return uuid.uuid5(app.object_id, certificate.thumbprint)


def _password(secret: ClientSecret) -> dict[str, Any]:
    return {
        "keyId": str(secret.secret_id),
        "displayName": secret.description,
        "hint": secret.hint,
        "startDateTime": secret.created_at.isoformat(),
        "endDateTime": secret.expires_at.isoformat(),
    }


def _key(app: AppRegistration, certificate: AppCertificate) -> dict[str, Any]:
    return {
        "keyId": str(_key_id(app, certificate)),
        "displayName": certificate.description,
        "customKeyIdentifier": certificate.thumbprint,
        "type": "AsymmetricX509Cert" if certificate.not_after else "AsymmetricKey",
        "usage": "Verify",
        "startDateTime": certificate.added_at.isoformat(),
        "endDateTime": certificate.not_after.isoformat() if certificate.not_after else None,
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
                {
                    "id": str(scope.scope_id),
                    "value": scope.value,
                    "adminConsentDisplayName": scope.admin_consent_display_name,
                    "adminConsentDescription": scope.admin_consent_description,
                    "isEnabled": scope.enabled,
                    "type": "Admin",
                }
                for scope in app.api_scopes.order_by("pk")
            ]
        },
        "appRoles": [
            {
                "id": str(role.role_id),
                "value": role.value,
                "displayName": role.display_name,
                "description": role.description,
                "isEnabled": role.enabled,
                "allowedMemberTypes": ["Application"],
            }
            for role in app.app_roles.order_by("pk")
        ],
        "passwordCredentials": [_password(s) for s in app.secrets.order_by("created_at", "pk")],
        "keyCredentials": [_key(app, c) for c in app.certificates.order_by("added_at", "pk")],
    }


# --- requests ---------------------------------------------------------------------------------

def _uris(*, required: bool = True) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=256, trim_whitespace=False),
        max_length=100,
        required=required,
    )


class _RedirectUrisIn(serializers.Serializer):
    redirectUris = _uris()


class _WebIn(serializers.Serializer):
    redirectUris = _uris(required=False)
    logoutUrl = serializers.CharField(
        max_length=256, allow_null=True, allow_blank=True, required=False
    )


class _Strict(serializers.Serializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["This property cannot be set here."] for name in sorted(unknown)}
            )
        return attrs


class ApplicationUpdateSerializer(_Strict):
    displayName = serializers.CharField(max_length=120, required=False)
    web = _WebIn(required=False, allow_null=True)
    spa = _RedirectUrisIn(required=False, allow_null=True)
    publicClient = _RedirectUrisIn(required=False, allow_null=True)


class ApplicationCreateSerializer(ApplicationUpdateSerializer):
    displayName = serializers.CharField(max_length=120)


class _PasswordIn(serializers.Serializer):
    displayName = serializers.CharField(max_length=100, allow_blank=True, required=False)
    endDateTime = serializers.DateTimeField(
        required=False, help_text="Within two years; 180 days from now when left out."
    )


class AddPasswordSerializer(serializers.Serializer):
    passwordCredential = _PasswordIn(required=False)


class KeyIdSerializer(serializers.Serializer):
    keyId = serializers.UUIDField()


class _KeyIn(serializers.Serializer):
    key = serializers.CharField(
        max_length=20_000, help_text="A PEM public key or X.509 certificate; never a private key."
    )
    displayName = serializers.CharField(max_length=100, allow_blank=True, required=False)


class AddKeySerializer(serializers.Serializer):
    keyCredential = _KeyIn()


_API_FIELD = {
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


def _api_errors(error: ValidationError, prefix: str = "") -> exceptions.ValidationError:
    """A service's field errors under the API's names of the fields."""
    errors: dict[str, list[str]] = {}
    for key, messages in django_validation_errors(error).items():
        name = _API_FIELD.get(key, "" if key == "__all__" else key)
        if name == "redirectUris" and prefix:
            name = f"{prefix}.redirectUris"
        errors.setdefault(name, []).extend(messages)
    return exceptions.ValidationError(errors)


def _app_or_404(app_id: uuid.UUID, *, lock: bool = False) -> AppRegistration:
    apps = selectors.app_list()
    found: AppRegistration | None = (
        (apps.select_for_update() if lock else apps).filter(object_id=app_id).first()
    )
    if found is None:
        raise exceptions.NotFound("No application has this ID.")
    return found


def _target(app: AppRegistration) -> str:
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
            except ValidationError as error:
                raise _api_errors(error, first_object) from error
            api_audit(
                request,
                AuditAction.APP_REGISTERED,
                target=_target(app),
                details={"platform": app.platform, **_by_platform(app)},
            )
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
        representation = application_representation(_app_or_404(app_id))
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
            app = _app_or_404(app_id, lock=True)
            precondition_check(request, application_representation(app))
            before_name, before = app.name, _by_platform(app)
            try:
                if "displayName" in data:
                    services.app_rename(app=app, name=data["displayName"])
                _platforms_set(app, data)
                _logout_url_set(app, data)
            except ValidationError as error:
                raise _api_errors(error) from error
            if app.name != before_name:
                api_audit(
                    request,
                    AuditAction.APP_UPDATED,
                    target=_target(app),
                    before={"name": before_name},
                    after={"name": app.name},
                )
            after = _by_platform(app)
            if after != before:
                api_audit(
                    request,
                    AuditAction.APP_AUTHENTICATION_UPDATED,
                    target=_target(app),
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
            app = _app_or_404(app_id, lock=True)
            precondition_check(request, application_representation(app))
            target = _target(app)
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


class ApplicationAddPasswordView(ManagementView):
    roles = _WRITE

    @extend_schema(
        operation_id="applications_add_password",
        summary="Add a client secret",
        description=(
            "The answer's `secretText` is the secret: shown this once, kept only as a digest. "
            "A public client (only spa and publicClient platforms) holds none."
        ),
        request=AddPasswordSerializer,
        responses=NewPasswordCredentialSerializer,
    )
    def post(self, request: Request, app_id: uuid.UUID) -> Response:
        incoming = AddPasswordSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        wanted = incoming.validated_data.get("passwordCredential") or {}
        end: datetime | None = wanted.get("endDateTime")
        with transaction.atomic():
            app = _app_or_404(app_id, lock=True)
            try:
                secret, value = services.client_secret_add(
                    app=app,
                    description=wanted.get("displayName", ""),
                    lifetime_days=None if end else services.RECOMMENDED_SECRET_LIFETIME_DAYS,
                    expires_at=end,
                )
            except ValidationError as error:
                raise _api_errors(error) from error
            api_audit(
                request,
                AuditAction.SECRET_ADDED,
                target=_target(app),
                details={"secret_id": str(secret.secret_id), "description": secret.description},
            )
        return Response(
            {**_password(secret), "secretText": value}, headers={"Cache-Control": "no-store"}
        )


class ApplicationRemovePasswordView(ManagementView):
    roles = _WRITE

    @extend_schema(
        operation_id="applications_remove_password",
        summary="Remove a client secret",
        request=KeyIdSerializer,
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def post(self, request: Request, app_id: uuid.UUID) -> Response:
        incoming = KeyIdSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        key_id = incoming.validated_data["keyId"]
        with transaction.atomic():
            app = _app_or_404(app_id, lock=True)
            if not app.secrets.filter(secret_id=key_id).exists():
                raise exceptions.NotFound("The app has no client secret with this keyId.")
            services.client_secret_remove(app=app, secret_id=str(key_id))
            api_audit(
                request,
                AuditAction.SECRET_REMOVED,
                target=_target(app),
                details={"secret_id": str(key_id)},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationAddKeyView(ManagementView):
    roles = _WRITE

    @extend_schema(
        operation_id="applications_add_key",
        summary="Add a public key or certificate",
        description="For `private_key_jwt` client assertions (RFC 7523 §2.2).",
        request=AddKeySerializer,
        responses=KeyCredentialSerializer,
    )
    def post(self, request: Request, app_id: uuid.UUID) -> Response:
        incoming = AddKeySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        wanted = incoming.validated_data["keyCredential"]
        with transaction.atomic():
            app = _app_or_404(app_id, lock=True)
            try:
                certificate = services.certificate_add(
                    app=app, pem=wanted["key"], description=wanted.get("displayName", "")
                )
            except ValidationError as error:
                raise _api_errors(error) from error
            api_audit(
                request,
                AuditAction.CERTIFICATE_ADDED,
                target=_target(app),
                details={"thumbprint": certificate.thumbprint},
            )
        return Response(_key(app, certificate))


class ApplicationRemoveKeyView(ManagementView):
    roles = _WRITE

    @extend_schema(
        operation_id="applications_remove_key",
        summary="Remove a public key or certificate",
        request=KeyIdSerializer,
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def post(self, request: Request, app_id: uuid.UUID) -> Response:
        incoming = KeyIdSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        key_id = incoming.validated_data["keyId"]
        with transaction.atomic():
            app = _app_or_404(app_id, lock=True)
            found = next((c for c in app.certificates.all() if _key_id(app, c) == key_id), None)
            if found is None:
                raise exceptions.NotFound("The app has no key with this keyId.")
            services.certificate_remove(app=app, certificate_id=found.pk)
            api_audit(
                request,
                AuditAction.CERTIFICATE_REMOVED,
                target=_target(app),
                details={"thumbprint": found.thumbprint},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
