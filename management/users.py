"""`/users`: the tenant's customers (Graph's user resource, as far as a CIAM customer goes).

List (keyset-paged, prefix search, filters), create, read, update (profile, custom attributes,
`accountEnabled`), delete (soft, restorable for 30 days), restore, reset the password, and
revoke sign-in sessions. The services in accounts/services do the work and hold the rules;
this module only shapes JSON and audits.
"""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.api import API_NAMES, FIELD_FOR_API_NAME
from accounts.attributes import ATTRIBUTE_TYPES
from accounts.models import CustomAttribute, User
from accounts.selectors import Cursor, PrefixCursor, customer_list, customer_prefix_page
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, Page, limit_of, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import Conflict, django_validation_errors
from tenants.models import AuditAction

USER_ROLES = needs(read=("User.Read.All",), write=("User.ReadWrite.All",))


class UserSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The customer's object ID.")
    mail = serializers.EmailField()
    displayName = serializers.CharField(allow_blank=True)
    givenName = serializers.CharField(allow_blank=True)
    surname = serializers.CharField(allow_blank=True)
    jobTitle = serializers.CharField(allow_blank=True)
    streetAddress = serializers.CharField(allow_blank=True)
    city = serializers.CharField(allow_blank=True)
    state = serializers.CharField(allow_blank=True)
    postalCode = serializers.CharField(allow_blank=True)
    country = serializers.CharField(allow_blank=True)
    preferredLanguage = serializers.CharField(allow_blank=True)
    accountEnabled = serializers.BooleanField()
    createdDateTime = serializers.DateTimeField()
    deletedDateTime = serializers.DateTimeField(allow_null=True)
    customAttributes = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Custom attributes by name, typed as their claims carry them.",
    )


class _ProfileFields(serializers.Serializer):
    displayName = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    givenName = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    surname = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    jobTitle = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    streetAddress = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    city = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    state = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    postalCode = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    country = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    customAttributes = serializers.DictField(child=serializers.JSONField(), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["This attribute cannot be set here."] for name in sorted(unknown)}
            )
        return attrs


class UserCreateSerializer(_ProfileFields):
    mail = serializers.CharField(max_length=254)
    accountEnabled = serializers.BooleanField(required=False, default=True)


class UserUpdateSerializer(_ProfileFields):
    accountEnabled = serializers.BooleanField(required=False)


class TemporaryPasswordSerializer(serializers.Serializer):
    temporaryPassword = serializers.CharField(
        help_text="Shown this once; the customer must change it at the next sign-in."
    )


class CreatedUserSerializer(UserSerializer):
    passwordProfile = TemporaryPasswordSerializer()


class RevokedSerializer(serializers.Serializer):
    value = serializers.BooleanField()
    sessions = serializers.IntegerField()
    refreshTokens = serializers.IntegerField()


def _custom_types() -> dict[str, str]:
    return dict(CustomAttribute.objects.values_list("name", "data_type"))


def user_representation(user: User, custom_types: dict[str, str]) -> dict[str, Any]:
    """The customer as the API shows it: built-in attributes by their Graph names, custom ones
    as their claims carry them (only those the tenant still defines)."""
    custom: dict[str, object] = {}
    for name, stored in (user.custom_attributes or {}).items():
        attribute_type = ATTRIBUTE_TYPES.get(custom_types.get(name, ""))
        value = attribute_type.claim_value(stored) if attribute_type else None
        if value is not None:
            custom[name] = value
    return {
        "id": str(user.object_id),
        "mail": user.email,
        **{api: getattr(user, field) or "" for field, api in API_NAMES.items()},
        "preferredLanguage": user.preferred_language,
        "accountEnabled": user.is_active,
        "createdDateTime": user.created_at.isoformat(),
        "deletedDateTime": user.deleted_at.isoformat() if user.deleted_at else None,
        "customAttributes": custom,
    }


def _profile_changes(data: dict[str, Any]) -> tuple[dict[str, object], dict[str, object]]:
    builtin = {
        FIELD_FOR_API_NAME[name]: value
        for name, value in data.items()
        if name in FIELD_FOR_API_NAME
    }
    return builtin, dict(data.get("customAttributes") or {})


_API_FIELD = {**API_NAMES, "email": "mail", "is_active": "accountEnabled"}


def _api_errors(error: ValidationError) -> exceptions.ValidationError:
    """A service's field errors under the API's names of the fields."""
    return exceptions.ValidationError(
        {
            _API_FIELD.get(key, key if key != "__all__" else ""): messages
            for key, messages in django_validation_errors(error).items()
        }
    )


def _user_or_404(user_id: uuid.UUID, *, lock: bool = False) -> User:
    users = User.objects.select_for_update() if lock else User.objects.all()
    user: User | None = users.filter(object_id=user_id).first()
    if user is None:
        raise exceptions.NotFound("No customer has this ID.")
    return user


def _target(user: User) -> str:
    return user.email


def _yes_no(raw: str | None, name: str) -> bool | None:
    if raw is None:
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise exceptions.ValidationError({name: ["true or false."]})


class UsersView(ManagementView):
    roles = USER_ROLES

    @extend_schema(
        operation_id="users_list",
        summary="List customers",
        description=(
            "Newest first. `search` matches the start of the email address or the display "
            "name, ignoring case, and lists the matches in the order of the value that matched "
            "(each page two index range scans, however many match)."
        ),
        parameters=[
            OpenApiParameter("search", str, description="A prefix of the email or display name."),
            OpenApiParameter("accountEnabled", bool),
            OpenApiParameter("deleted", bool, description="List the restorable deleted ones."),
            *PAGING_PARAMETERS,
        ],
        responses=paged_serializer(UserSerializer, "UserPage"),
    )
    def get(self, request: Request) -> Response:
        limit = limit_of(request)
        cursor = request.query_params.get("cursor")
        enabled = _yes_no(request.query_params.get("accountEnabled"), "accountEnabled")
        deleted = bool(_yes_no(request.query_params.get("deleted"), "deleted"))
        search = request.query_params.get("search", "")
        if len(search) > 254 or "\x00" in search:
            raise exceptions.ValidationError({"search": ["At most 254 characters of text."]})
        blocked = None if enabled is None else not enabled
        by_prefix = bool(search.strip()) and not deleted
        decoded = PrefixCursor.decode(cursor) if by_prefix else Cursor.decode(cursor)
        if cursor is not None and decoded is None:
            raise exceptions.ValidationError({"cursor": ["Not a cursor of this list."]})
        if by_prefix:
            found = customer_prefix_page(
                prefix=search, blocked=blocked, cursor=cursor, page_size=limit
            )
        else:
            found = customer_list(
                search=search,
                blocked=blocked,
                deleted=deleted,
                cursor=cursor,
                page_size=limit,
                profile=True,
            )
        custom_types = _custom_types()
        return paged_response(
            request,
            Page(rows=found.customers, next_cursor=found.next_cursor),
            lambda user: user_representation(user, custom_types),
        )

    @extend_schema(
        operation_id="users_create",
        summary="Create a customer",
        description=(
            "The customer gets a random temporary password, answered this once, to be changed "
            "at the first sign-in; the email address is verified (an admin vouches for it)."
        ),
        request=UserCreateSerializer,
        responses={201: CreatedUserSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = UserCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        builtin, custom = _profile_changes(data)
        with transaction.atomic():
            try:
                user, password = services.customer_create(
                    email=data["mail"], display_name=str(builtin.pop("display_name", ""))
                )
                if builtin or custom:
                    user = services.customer_profile_update(
                        user=user, builtin=builtin, custom=custom, by_customer=False
                    )
            except ValidationError as error:
                raise _api_errors(error) from error
            if not data["accountEnabled"]:
                services.customer_block(customer=user)
            api_audit(
                request,
                AuditAction.CUSTOMER_CREATED,
                target=_target(user),
                details={"object_id": str(user.object_id)},
            )
        representation = user_representation(user, _custom_types())
        response = Response(
            {**representation, "passwordProfile": {"temporaryPassword": password}},
            status=status.HTTP_201_CREATED,
            headers={
                "Location": f"{request.path.rstrip('/')}/{user.object_id}",
                "Cache-Control": "no-store",
            },
        )
        return with_etag(response, representation)


class UserView(ManagementView):
    roles = USER_ROLES

    @extend_schema(operation_id="users_get", summary="Read a customer", responses=UserSerializer)
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        representation = user_representation(_user_or_404(user_id), _custom_types())
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="users_update",
        summary="Update a customer",
        description=(
            "Only the attributes sent change. `accountEnabled: false` blocks sign-in and signs "
            "the customer out everywhere. Send `If-Match` with the ETag you read."
        ),
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        request=UserUpdateSerializer,
        responses=UserSerializer,
    )
    def patch(self, request: Request, user_id: uuid.UUID) -> Response:
        incoming = UserUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        builtin, custom = _profile_changes(data)
        with transaction.atomic():
            user = _user_or_404(user_id, lock=True)
            custom_types = _custom_types()
            precondition_check(request, user_representation(user, custom_types))
            if user.deleted_at is not None:
                raise Conflict("The customer is deleted: restore it first.")
            if builtin or custom:
                try:
                    user = services.customer_profile_update(
                        user=user, builtin=builtin, custom=custom, by_customer=False
                    )
                except ValidationError as error:
                    raise _api_errors(error) from error
                api_audit(
                    request,
                    AuditAction.CUSTOMER_UPDATED,
                    target=_target(user),
                    details={
                        "object_id": str(user.object_id),
                        "fields": sorted(
                            {API_NAMES.get(key, key) for key in builtin} | set(custom)
                        ),
                    },
                )
            enabled = data.get("accountEnabled")
            if enabled is not None and enabled != user.is_active:
                if enabled:
                    services.customer_unblock(customer=user)
                    action = AuditAction.CUSTOMER_UNBLOCKED
                else:
                    services.customer_block(customer=user)
                    action = AuditAction.CUSTOMER_BLOCKED
                api_audit(
                    request,
                    action,
                    target=_target(user),
                    details={"object_id": str(user.object_id)},
                )
        representation = user_representation(user, custom_types)
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="users_delete",
        summary="Delete a customer",
        description="Soft: sign-in refused at once, restorable for 30 days, then purged.",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, user_id: uuid.UUID) -> Response:
        with transaction.atomic():
            user = _user_or_404(user_id, lock=True)
            precondition_check(request, user_representation(user, _custom_types()))
            if user.deleted_at is None:
                services.customer_delete(customer=user)
                api_audit(
                    request,
                    AuditAction.CUSTOMER_DELETED,
                    target=_target(user),
                    details={"object_id": str(user.object_id)},
                )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserRestoreView(ManagementView):
    roles = needs(write=("User.ReadWrite.All",))

    @extend_schema(
        operation_id="users_restore",
        summary="Restore a deleted customer",
        request=None,
        responses=UserSerializer,
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        with transaction.atomic():
            user = _user_or_404(user_id, lock=True)
            try:
                services.customer_restore(customer=user)
            except services.CustomerNotRestorable as error:
                raise Conflict("The customer is not deleted, or no longer restorable.") from error
            api_audit(
                request,
                AuditAction.CUSTOMER_RESTORED,
                target=_target(user),
                details={"object_id": str(user.object_id)},
            )
        representation = user_representation(user, _custom_types())
        return with_etag(Response(representation), representation)


class UserPasswordResetView(ManagementView):
    roles = needs(write=("User.ReadWrite.All",))

    @extend_schema(
        operation_id="users_reset_password",
        summary="Reset a customer's password",
        description="A new temporary password, answered once; every session and token ends.",
        request=None,
        responses=TemporaryPasswordSerializer,
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        with transaction.atomic():
            user = _user_or_404(user_id, lock=True)
            try:
                password = services.customer_password_reset(customer=user)
            except services.CustomerDeleted as error:
                raise Conflict("The customer is deleted: restore it first.") from error
            api_audit(
                request,
                AuditAction.CUSTOMER_PASSWORD_RESET,
                target=_target(user),
                details={"object_id": str(user.object_id)},
            )
        return Response({"temporaryPassword": password}, headers={"Cache-Control": "no-store"})


class UserSessionsRevokeView(ManagementView):
    roles = needs(write=("User.ReadWrite.All",))

    @extend_schema(
        operation_id="users_revoke_sign_in_sessions",
        summary="Sign a customer out everywhere",
        description="Ends the customer's sessions, refresh tokens and codes (Graph's "
        "revokeSignInSessions).",
        request=None,
        responses=RevokedSerializer,
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        with transaction.atomic():
            user = _user_or_404(user_id, lock=True)
            revoked = services.customer_sign_out_everywhere(customer=user)
            api_audit(
                request,
                AuditAction.CUSTOMER_SESSIONS_REVOKED,
                target=_target(user),
                details={
                    "object_id": str(user.object_id),
                    "sessions": revoked.sessions,
                    "refresh_tokens": revoked.refresh_tokens,
                },
            )
        return Response(
            {
                "value": True,
                "sessions": revoked.sessions,
                "refreshTokens": revoked.refresh_tokens,
            }
        )
