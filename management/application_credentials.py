"""`/applications/{id}/addPassword`, `removePassword`, `addKey`, `removeKey`: an app's client
secrets and public keys. A secret's value is in `addPassword`'s answer only (kept as a digest,
apps.models.ClientSecret); a public client (only spa and publicClient platforms) holds neither."""

import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps import services
from management.applications import (
    APPLICATION_WRITE,
    KeyCredentialSerializer,
    NewPasswordCredentialSerializer,
    api_errors,
    app_or_404,
    app_target,
    key_credential,
    key_id_of,
    password_credential,
)
from management.auditing import api_audit
from management.base import ManagementView
from management.strict import StrictSerializer
from tenants.models import AuditAction


class _PasswordIn(StrictSerializer):
    displayName = serializers.CharField(max_length=100, allow_blank=True, required=False)
    endDateTime = serializers.DateTimeField(
        required=False, help_text="Within two years; 180 days from now when left out."
    )


class AddPasswordSerializer(StrictSerializer):
    passwordCredential = _PasswordIn(required=False)


class KeyIdSerializer(StrictSerializer):
    keyId = serializers.UUIDField()


class _KeyIn(StrictSerializer):
    key = serializers.CharField(
        max_length=20_000, help_text="A PEM public key or X.509 certificate; never a private key."
    )
    displayName = serializers.CharField(max_length=100, allow_blank=True, required=False)


class AddKeySerializer(StrictSerializer):
    keyCredential = _KeyIn()


class ApplicationAddPasswordView(ManagementView):
    roles = APPLICATION_WRITE

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
            app = app_or_404(app_id, lock=True)
            try:
                secret, value = services.client_secret_add(
                    app=app,
                    description=wanted.get("displayName", ""),
                    lifetime_days=None if end else services.RECOMMENDED_SECRET_LIFETIME_DAYS,
                    expires_at=end,
                )
            except ValidationError as error:
                raise api_errors(error) from error
            api_audit(
                request,
                AuditAction.SECRET_ADDED,
                target=app_target(app),
                details={"secret_id": str(secret.secret_id), "description": secret.description},
            )
        return Response(
            {**password_credential(secret), "secretText": value},
            headers={"Cache-Control": "no-store"},
        )


class ApplicationRemovePasswordView(ManagementView):
    roles = APPLICATION_WRITE

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
            app = app_or_404(app_id, lock=True)
            if not app.secrets.filter(secret_id=key_id).exists():
                raise exceptions.NotFound("The app has no client secret with this keyId.")
            services.client_secret_remove(app=app, secret_id=str(key_id))
            api_audit(
                request,
                AuditAction.SECRET_REMOVED,
                target=app_target(app),
                details={"secret_id": str(key_id)},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationAddKeyView(ManagementView):
    roles = APPLICATION_WRITE

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
            app = app_or_404(app_id, lock=True)
            try:
                certificate = services.certificate_add(
                    app=app, pem=wanted["key"], description=wanted.get("displayName", "")
                )
            except ValidationError as error:
                raise api_errors(error) from error
            api_audit(
                request,
                AuditAction.CERTIFICATE_ADDED,
                target=app_target(app),
                details={"thumbprint": certificate.thumbprint},
            )
        return Response(key_credential(app, certificate))


class ApplicationRemoveKeyView(ManagementView):
    roles = APPLICATION_WRITE

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
            app = app_or_404(app_id, lock=True)
            found = next((c for c in app.certificates.all() if key_id_of(app, c) == key_id), None)
            if found is None:
                raise exceptions.NotFound("The app has no key with this keyId.")
            services.certificate_remove(app=app, certificate_id=found.pk)
            api_audit(
                request,
                AuditAction.CERTIFICATE_REMOVED,
                target=app_target(app),
                details={"thumbprint": found.thumbprint},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
