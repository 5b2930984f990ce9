"""`/applications/{id}/api/oauth2PermissionScopes`, `appRoles`, `grantAdminConsent`,
`revokeAdminConsent`: what an app's API exposes, and admin consent for what an app requests
(its `requiredResourceAccess`, set through PATCH /applications/{id})."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps import services
from apps.models import AllowedMemberTypes
from management.applications import (
    APPLICATION_WRITE,
    AppRoleSerializer,
    ScopeSerializer,
    api_errors,
    app_or_404,
    app_role_representation,
    app_target,
    scope_representation,
)
from management.auditing import api_audit
from management.base import ManagementView
from management.permissions import needs
from management.strict import StrictSerializer
from tenants.models import AuditAction


class _ConsentSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="How many permissions changed state.")


class ApplicationAdminConsentView(ManagementView):
    """Grant (POST) admin consent for every permission the app requests, as the admin center's
    "Grant admin consent" does; tokens carry them from the next sign-in or token request."""

    roles = needs(write=("Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"))
    grant = True

    @extend_schema(
        operation_id="applications_grant_admin_consent",
        summary="Grant admin consent",
        request=None,
        responses=_ConsentSerializer,
    )
    def post(self, request: Request, app_id: uuid.UUID) -> Response:
        with transaction.atomic():
            app = app_or_404(app_id, lock=True)
            if self.grant:
                changed = services.admin_consent_grant(client=app)
                action = AuditAction.CONSENT_GRANTED
            else:
                changed = services.admin_consent_revoke(client=app)
                action = AuditAction.CONSENT_REVOKED
            if changed:
                api_audit(request, action, target=app_target(app), details={"count": changed})
        return Response({"changed": changed})


class ApplicationRevokeAdminConsentView(ApplicationAdminConsentView):
    grant = False

    @extend_schema(
        operation_id="applications_revoke_admin_consent",
        summary="Revoke admin consent",
        request=None,
        responses=_ConsentSerializer,
    )
    def post(self, request: Request, app_id: uuid.UUID) -> Response:
        return super().post(request, app_id)


class _ScopeIn(StrictSerializer):
    value = serializers.CharField(max_length=120)
    adminConsentDisplayName = serializers.CharField(max_length=100)
    adminConsentDescription = serializers.CharField(
        max_length=1024, allow_blank=True, required=False
    )


class ApplicationScopesView(ManagementView):
    roles = APPLICATION_WRITE

    @extend_schema(
        operation_id="applications_add_scope",
        summary="Expose a delegated scope",
        description="Written `<identifierUri>/<value>` in authorization requests.",
        request=_ScopeIn,
        responses={201: ScopeSerializer},
    )
    def post(self, request: Request, app_id: uuid.UUID) -> Response:
        incoming = _ScopeIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            app = app_or_404(app_id, lock=True)
            try:
                scope = services.api_scope_add(
                    app=app,
                    value=data["value"],
                    display_name=data["adminConsentDisplayName"],
                    description=data.get("adminConsentDescription", ""),
                )
            except ValidationError as error:
                raise api_errors(error) from error
            api_audit(
                request,
                AuditAction.API_SCOPE_ADDED,
                target=app_target(app),
                details={"value": scope.value},
            )
        return Response(scope_representation(scope), status=status.HTTP_201_CREATED)


class _AppRoleIn(StrictSerializer):
    value = serializers.CharField(max_length=120)
    displayName = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=1024, allow_blank=True, required=False)
    allowedMemberTypes = serializers.ListField(
        child=serializers.ChoiceField(choices=["User", "Application"]),
        min_length=1,
        max_length=2,
        required=False,
        help_text="Who the role is for: customers and groups (User), daemons (Application).",
    )


def _member_types(kinds: list[str]) -> str:
    """Graph's `allowedMemberTypes` as the role stores it (Application when not given)."""
    wanted = set(kinds or ["Application"])
    if wanted == {"User", "Application"}:
        return AllowedMemberTypes.BOTH
    return AllowedMemberTypes.USER if wanted == {"User"} else AllowedMemberTypes.APPLICATION


class ApplicationAppRolesView(ManagementView):
    roles = APPLICATION_WRITE

    @extend_schema(
        operation_id="applications_add_app_role",
        summary="Define an app role",
        description="A role of the app's API: an application permission granted to daemons, "
        "a role assigned to customers and groups (the `roles` claim), or both.",
        request=_AppRoleIn,
        responses={201: AppRoleSerializer},
    )
    def post(self, request: Request, app_id: uuid.UUID) -> Response:
        incoming = _AppRoleIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            app = app_or_404(app_id, lock=True)
            try:
                role = services.app_role_add(
                    app=app,
                    value=data["value"],
                    display_name=data["displayName"],
                    description=data.get("description", ""),
                    allowed_member_types=_member_types(data.get("allowedMemberTypes", [])),
                )
            except ValidationError as error:
                raise api_errors(error) from error
            api_audit(
                request,
                AuditAction.APP_ROLE_ADDED,
                target=app_target(app),
                details={"value": role.value},
            )
        return Response(app_role_representation(role), status=status.HTTP_201_CREATED)
