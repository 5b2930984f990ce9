"""`/groups`, `/groups/{id}/members` and `/users/{id}/memberOf`: groups of customers (Graph's
group resource, as far as a CIAM tenant's security groups go).

The services in accounts/services/groups.py do the work and hold the rules (names unique
ignoring case, the lengths); this module only shapes JSON, checks `If-Match` and audits.
"""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.models import CustomerGroup, User
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import Conflict, django_validation_errors
from tenants.models import AuditAction

GROUP_ROLES = needs(read=("Group.Read.All",), write=("Group.ReadWrite.All",))
_API_FIELD = {"display_name": "displayName", "description": "description"}


class GroupSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The group's object ID (the `groups` claim's value).")
    displayName = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    createdDateTime = serializers.DateTimeField()


class GroupCreateSerializer(serializers.Serializer):
    displayName = serializers.CharField(max_length=256)
    description = serializers.CharField(
        max_length=1024, required=False, allow_blank=True, default=""
    )


class GroupUpdateSerializer(serializers.Serializer):
    displayName = serializers.CharField(max_length=256, required=False)
    description = serializers.CharField(max_length=1024, required=False, allow_blank=True)


class MemberSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The customer's object ID.")
    mail = serializers.EmailField()
    displayName = serializers.CharField(allow_blank=True)


class MemberAddSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The object ID of the customer to add.")


def group_representation(group: CustomerGroup) -> dict[str, Any]:
    return {
        "id": str(group.object_id),
        "displayName": group.display_name,
        "description": group.description,
        "createdDateTime": group.created_at.isoformat(),
    }


def _member_representation(user: User) -> dict[str, Any]:
    return {"id": str(user.object_id), "mail": user.email, "displayName": user.display_name}


def _target(group: CustomerGroup) -> str:
    return f"{group.display_name} ({group.object_id})"


def _api_errors(error: ValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {
            _API_FIELD.get(key, key if key != "__all__" else ""): messages
            for key, messages in django_validation_errors(error).items()
        }
    )


def _group_or_404(group_id: uuid.UUID, *, lock: bool = False) -> CustomerGroup:
    groups = CustomerGroup.objects.select_for_update() if lock else CustomerGroup.objects.all()
    group: CustomerGroup | None = groups.filter(object_id=group_id).first()
    if group is None:
        raise exceptions.NotFound("No group has this ID.")
    return group


def _customer_or_404(user_id: uuid.UUID) -> User:
    user: User | None = User.objects.filter(object_id=user_id).first()
    if user is None:
        raise exceptions.NotFound("No customer has this ID.")
    return user


class GroupsView(ManagementView):
    roles = GROUP_ROLES

    @extend_schema(
        operation_id="groups_list",
        summary="List groups",
        description="In creation order. `search` matches the start of the name, ignoring case.",
        parameters=[
            OpenApiParameter("search", str, description="A prefix of the display name."),
            *PAGING_PARAMETERS,
        ],
        responses=paged_serializer(GroupSerializer, "GroupPage"),
    )
    def get(self, request: Request) -> Response:
        search = request.query_params.get("search", "")
        if len(search) > 256 or "\x00" in search:
            raise exceptions.ValidationError({"search": ["At most 256 characters of text."]})
        groups = CustomerGroup.objects.all()
        if search.strip():
            groups = groups.alias(name_lower=Lower("display_name")).filter(
                name_lower__startswith=search.strip().lower()
            )
        return paged_response(request, id_page(groups, request=request), group_representation)

    @extend_schema(
        operation_id="groups_create",
        summary="Create a group",
        description="The display name must differ, ignoring case, from every other group's.",
        request=GroupCreateSerializer,
        responses={201: GroupSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = GroupCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            try:
                group = services.group_create(
                    display_name=data["displayName"], description=data["description"]
                )
            except ValidationError as error:
                raise _api_errors(error) from error
            api_audit(request, AuditAction.GROUP_CREATED, target=_target(group))
        representation = group_representation(group)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{group.object_id}"},
        )
        return with_etag(response, representation)


class GroupView(ManagementView):
    roles = GROUP_ROLES

    @extend_schema(operation_id="groups_get", summary="Read a group", responses=GroupSerializer)
    def get(self, request: Request, group_id: uuid.UUID) -> Response:
        representation = group_representation(_group_or_404(group_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="groups_update",
        summary="Rename or describe a group",
        description="Only the properties sent change. Send `If-Match` with the ETag you read.",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        request=GroupUpdateSerializer,
        responses=GroupSerializer,
    )
    def patch(self, request: Request, group_id: uuid.UUID) -> Response:
        incoming = GroupUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if not data:
            raise exceptions.ValidationError({"": ["Send displayName or description."]})
        with transaction.atomic():
            group = _group_or_404(group_id, lock=True)
            before = group_representation(group)
            precondition_check(request, before)
            try:
                group = services.group_update(
                    group=group,
                    display_name=data.get("displayName", group.display_name),
                    description=data.get("description", group.description),
                )
            except ValidationError as error:
                raise _api_errors(error) from error
            representation = group_representation(group)
            api_audit(
                request,
                AuditAction.GROUP_UPDATED,
                target=_target(group),
                before={key: before[key] for key in ("displayName", "description")},
                after={key: representation[key] for key in ("displayName", "description")},
            )
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="groups_delete",
        summary="Delete a group",
        description="With its memberships and app role assignments.",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, group_id: uuid.UUID) -> Response:
        with transaction.atomic():
            group = _group_or_404(group_id, lock=True)
            precondition_check(request, group_representation(group))
            target = _target(group)
            services.group_delete(group=group)
            api_audit(request, AuditAction.GROUP_DELETED, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMembersView(ManagementView):
    roles = GROUP_ROLES

    @extend_schema(
        operation_id="groups_members_list",
        summary="List a group's members",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(MemberSerializer, "MemberPage"),
    )
    def get(self, request: Request, group_id: uuid.UUID) -> Response:
        group = _group_or_404(group_id)
        members = User.objects.filter(group_memberships__group=group)
        return paged_response(request, id_page(members, request=request), _member_representation)

    @extend_schema(
        operation_id="groups_members_add",
        summary="Add a customer to a group",
        request=MemberAddSerializer,
        responses={204: OpenApiResponse(description="Added.")},
    )
    def post(self, request: Request, group_id: uuid.UUID) -> Response:
        incoming = MemberAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            group = _group_or_404(group_id, lock=True)
            user = _customer_or_404(incoming.validated_data["id"])
            try:
                added = services.group_member_add(group=group, user=user)
            except services.GroupMemberDeleted as error:
                raise Conflict("The customer is deleted: restore it first.") from error
            if not added:
                raise Conflict("The customer is a member already.")
            api_audit(
                request,
                AuditAction.GROUP_MEMBER_ADDED,
                target=_target(group),
                details={"member": user.email, "member_object_id": str(user.object_id)},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMemberView(ManagementView):
    roles = needs(write=("Group.ReadWrite.All",))

    @extend_schema(
        operation_id="groups_members_remove",
        summary="Remove a customer from a group",
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def delete(self, request: Request, group_id: uuid.UUID, user_id: uuid.UUID) -> Response:
        with transaction.atomic():
            group = _group_or_404(group_id, lock=True)
            user = _customer_or_404(user_id)
            if not services.group_member_remove(group=group, user=user):
                raise exceptions.NotFound("The customer is no member of this group.")
            api_audit(
                request,
                AuditAction.GROUP_MEMBER_REMOVED,
                target=_target(group),
                details={"member": user.email, "member_object_id": str(user.object_id)},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserMemberOfView(ManagementView):
    # Where a token's groups overage points (apps/oidc/claims.py): readable with either room's
    # roles, as Graph's memberOf is with User.Read.All or GroupMember.Read.All.
    roles = needs(
        read=("Group.Read.All", "User.Read.All", "Group.ReadWrite.All", "User.ReadWrite.All")
    )

    @extend_schema(
        operation_id="users_member_of",
        summary="List a customer's groups",
        description="The groups a token's `groups` claim would name; where its overage points.",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(GroupSerializer, "MemberOfPage"),
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        user = _customer_or_404(user_id)
        groups = CustomerGroup.objects.filter(memberships__user=user)
        return paged_response(request, id_page(groups, request=request), group_representation)
