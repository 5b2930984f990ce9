"""`/applications/{id}/appRoleAssignedTo`: an app's roles assigned to customers and groups
(Graph's appRoleAssignment, on the app whose roles they are). `{id}` is the app registration's
object ID; the work is apps/assignments.py's, which holds the rules (only roles for users,
each pair once)."""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import CustomerGroup, User
from apps.assignments import app_role_assign, app_role_unassign
from apps.models import AppRegistration, AppRoleAssignment
from apps.selectors import app_list
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import Conflict, django_validation_errors
from tenants.models import AuditAction

ASSIGNMENT_ROLES = needs(
    read=("Application.Read.All", "Application.ReadWrite.All"),
    write=("AppRoleAssignment.ReadWrite.All",),
)


class AssignmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The assignment's ID.")
    appRoleId = serializers.UUIDField()
    appRoleValue = serializers.CharField()
    principalId = serializers.UUIDField(help_text="The customer's or the group's object ID.")
    principalType = serializers.ChoiceField(choices=["User", "Group"])
    principalDisplayName = serializers.CharField(allow_blank=True)
    resourceId = serializers.UUIDField(help_text="The app's object ID.")
    resourceDisplayName = serializers.CharField()
    createdDateTime = serializers.DateTimeField()


class AssignmentCreateSerializer(serializers.Serializer):
    principalId = serializers.UUIDField(help_text="A customer's or a group's object ID.")
    appRoleId = serializers.UUIDField(help_text="One of the app's roles for users.")


def assignment_representation(assignment: AppRoleAssignment) -> dict[str, Any]:
    role, user, group = assignment.role, assignment.user, assignment.group
    if user is not None:
        principal: dict[str, Any] = {
            "principalId": str(user.object_id),
            "principalType": "User",
            "principalDisplayName": user.display_name or user.email,
        }
    elif group is not None:  # the table's check constraint: one or the other
        principal = {
            "principalId": str(group.object_id),
            "principalType": "Group",
            "principalDisplayName": group.display_name,
        }
    else:
        raise ValueError("An assignment names a customer or a group.")
    return {
        "id": str(assignment.assignment_id),
        "appRoleId": str(role.role_id),
        "appRoleValue": role.value,
        **principal,
        "resourceId": str(role.app.object_id),
        "resourceDisplayName": role.app.name,
        "createdDateTime": assignment.created_at.isoformat(),
    }


def _app_or_404(app_id: uuid.UUID) -> AppRegistration:
    app: AppRegistration | None = app_list().filter(object_id=app_id).first()
    if app is None:
        raise exceptions.NotFound("No application has this ID.")
    return app


def _target(app: AppRegistration) -> str:
    return f"{app.name} ({app.client_id})"


def _details(assignment: AppRoleAssignment) -> dict[str, object]:
    representation = assignment_representation(assignment)
    return {
        "role": assignment.role.value,
        "principal_type": representation["principalType"],
        "object_id": representation["principalId"],
    }


def _assignments(app: AppRegistration) -> Any:
    return AppRoleAssignment.objects.filter(role__app=app).select_related(
        "role__app", "user", "group"
    )


class AppRoleAssignedToView(ManagementView):
    roles = ASSIGNMENT_ROLES

    @extend_schema(
        operation_id="applications_app_role_assigned_to_list",
        summary="List the app's role assignments",
        description="Customers and groups holding one of the app's roles, in creation order.",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(AssignmentSerializer, "AppRoleAssignmentPage"),
    )
    def get(self, request: Request, app_id: uuid.UUID) -> Response:
        app = _app_or_404(app_id)
        page = id_page(_assignments(app), request=request)
        return paged_response(request, page, assignment_representation)

    @extend_schema(
        operation_id="applications_app_role_assigned_to_create",
        summary="Assign one of the app's roles to a customer or a group",
        request=AssignmentCreateSerializer,
        responses={201: AssignmentSerializer},
    )
    def post(self, request: Request, app_id: uuid.UUID) -> Response:
        incoming = AssignmentCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            app = _app_or_404(app_id)
            role = app.app_roles.filter(role_id=data["appRoleId"]).first()
            if role is None:
                raise exceptions.ValidationError({"appRoleId": ["No role of this app."]})
            user = User.objects.filter(object_id=data["principalId"]).first()
            group = (
                None
                if user is not None
                else CustomerGroup.objects.filter(object_id=data["principalId"]).first()
            )
            if user is None and group is None:
                raise exceptions.ValidationError(
                    {"principalId": ["No customer or group has this ID."]}
                )
            taken = AppRoleAssignment.objects.filter(role=role, user=user, group=group)
            if taken.exists():
                raise Conflict("The role is already assigned to them.")
            try:
                assignment = app_role_assign(role=role, user=user, group=group)
            except ValidationError as error:
                raise exceptions.ValidationError(
                    {
                        {"role": "appRoleId", "user": "principalId"}.get(key, key)
                        if key != "__all__"
                        else "": messages
                        for key, messages in django_validation_errors(error).items()
                    }
                ) from error
            assignment = _assignments(app).get(pk=assignment.pk)
            api_audit(
                request,
                AuditAction.APP_ROLE_ASSIGNED,
                target=_target(app),
                details=_details(assignment),
            )
        representation = assignment_representation(assignment)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{assignment.assignment_id}"},
        )
        return with_etag(response, representation)


class AppRoleAssignmentView(ManagementView):
    roles = needs(write=("AppRoleAssignment.ReadWrite.All",))

    @extend_schema(
        operation_id="applications_app_role_assigned_to_delete",
        summary="Remove a role assignment",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def delete(self, request: Request, app_id: uuid.UUID, assignment_id: uuid.UUID) -> Response:
        with transaction.atomic():
            app = _app_or_404(app_id)
            assignment = _assignments(app).filter(assignment_id=assignment_id).first()
            if assignment is None:
                raise exceptions.NotFound("No assignment of this app has this ID.")
            precondition_check(request, assignment_representation(assignment))
            app_role_unassign(role=assignment.role, user=assignment.user, group=assignment.group)
            api_audit(
                request,
                AuditAction.APP_ROLE_UNASSIGNED,
                target=_target(app),
                details=_details(assignment),
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
