"""`/identity/userFlowAttributes`: the tenant's custom user attributes (Graph's
identityUserFlowAttribute of type `custom`).

List, create, read and update; there is no deletion, as in the admin center (a custom
attribute's values live in customers' profiles and its name in tokens' claims). The ID is the
attribute's claim name, `extension_<extensions app ID>_<name>`, as Graph's; `displayName` is
its name, which never changes. accounts/services/attributes.py does the work (at most 100, a
data type fixed once customers hold values).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.attributes import MAX_CUSTOM_ATTRIBUTES, DataType, extension_claim_name
from accounts.models import CustomAttribute
from accounts.services import (
    CustomAttributeLimitReached,
    custom_attribute_create,
    custom_attribute_update,
)
from apps.lookups import extensions_app_id
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.preconditions import precondition_check, with_etag
from management.problems import Conflict, django_validation_errors
from management.strict import StrictSerializer
from management.userflows import USERFLOW_ROLES, custom_attribute_by_id
from tenants.models import AuditAction

# Graph's dataType values; ours are the same but for Int (64-bit: Graph's int64).
DATA_TYPE_API = {DataType.STRING: "string", DataType.BOOLEAN: "boolean", DataType.INT: "int64"}
DATA_TYPE_FOR_API = {api: ours for ours, api in DATA_TYPE_API.items()}


class CustomAttributeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The attribute's claim name, `extension_<app ID>_<name>`.")
    displayName = serializers.CharField(help_text="Its name; never changes.")
    description = serializers.CharField(allow_blank=True)
    dataType = serializers.ChoiceField(choices=list(DATA_TYPE_FOR_API))
    userFlowAttributeType = serializers.ChoiceField(choices=["custom"])
    userEditable = serializers.BooleanField(
        help_text="Whether customers may change their own value on their profile."
    )


class CustomAttributeCreateSerializer(StrictSerializer):
    displayName = serializers.CharField(max_length=64)
    dataType = serializers.ChoiceField(choices=list(DATA_TYPE_FOR_API))
    description = serializers.CharField(
        max_length=256, required=False, default="", allow_blank=True
    )
    userEditable = serializers.BooleanField(required=False, default=True)


class CustomAttributeUpdateSerializer(StrictSerializer):
    dataType = serializers.ChoiceField(
        choices=list(DATA_TYPE_FOR_API),
        required=False,
        help_text="Changes only while no customer has a value for the attribute.",
    )
    description = serializers.CharField(max_length=256, required=False, allow_blank=True)
    userEditable = serializers.BooleanField(required=False)


def custom_attribute_representation(attribute: CustomAttribute) -> dict[str, Any]:
    return {
        "id": extension_claim_name(extensions_app_id(), attribute.name),
        "displayName": attribute.name,
        "description": attribute.description,
        "dataType": DATA_TYPE_API[DataType(attribute.data_type)],
        "userFlowAttributeType": "custom",
        "userEditable": attribute.user_editable,
    }


def _definition(attribute: CustomAttribute) -> dict[str, object]:
    """What the audit log records of an attribute (the admin center's keys)."""
    return {
        "data_type": attribute.data_type,
        "description": attribute.description,
        "user_editable": attribute.user_editable,
    }


_SERVICE_FIELD = {"name": "displayName", "data_type": "dataType", "user_editable": "userEditable"}


def _api_errors(error: ValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {
            _SERVICE_FIELD.get(key, key): messages
            for key, messages in django_validation_errors(error).items()
        }
    )


def _attribute_or_404(attribute_id: str, *, lock: bool = False) -> CustomAttribute:
    attribute = custom_attribute_by_id(attribute_id)
    if attribute is None:
        raise exceptions.NotFound("No custom attribute has this ID.")
    if lock:
        attribute = CustomAttribute.objects.select_for_update().get(pk=attribute.pk)
    return attribute


class CustomAttributesView(ManagementView):
    roles = USERFLOW_ROLES

    @extend_schema(
        operation_id="userflow_attributes_list",
        summary="List custom attributes",
        description="In creation order.",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(CustomAttributeSerializer, "CustomAttributePage"),
    )
    def get(self, request: Request) -> Response:
        return paged_response(
            request,
            id_page(CustomAttribute.objects.all(), request=request),
            custom_attribute_representation,
        )

    @extend_schema(
        operation_id="userflow_attributes_create",
        summary="Create a custom attribute",
        description=(
            f"At most {MAX_CUSTOM_ATTRIBUTES} per tenant (409 beyond). `displayName` is its name: "
            "a letter, then up to 63 letters and digits, not a built-in attribute's."
        ),
        request=CustomAttributeCreateSerializer,
        responses={201: CustomAttributeSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = CustomAttributeCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            try:
                attribute = custom_attribute_create(
                    name=data["displayName"],
                    data_type=DATA_TYPE_FOR_API[data["dataType"]],
                    description=data["description"],
                    user_editable=data["userEditable"],
                )
            except CustomAttributeLimitReached as error:
                raise Conflict(
                    f"A tenant has at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
                ) from error
            except ValidationError as error:
                raise _api_errors(error) from error
            api_audit(
                request,
                AuditAction.CUSTOM_ATTRIBUTE_CREATED,
                target=attribute.name,
                details=_definition(attribute),
            )
        representation = custom_attribute_representation(attribute)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{representation['id']}"},
        )
        return with_etag(response, representation)


class CustomAttributeView(ManagementView):
    roles = USERFLOW_ROLES

    @extend_schema(
        operation_id="userflow_attributes_get",
        summary="Read a custom attribute",
        responses=CustomAttributeSerializer,
    )
    def get(self, request: Request, attribute_id: str) -> Response:
        representation = custom_attribute_representation(_attribute_or_404(attribute_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="userflow_attributes_update",
        summary="Update a custom attribute",
        description="Only the properties sent change. Send `If-Match` with the ETag you read.",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        request=CustomAttributeUpdateSerializer,
        responses=CustomAttributeSerializer,
    )
    def patch(self, request: Request, attribute_id: str) -> Response:
        incoming = CustomAttributeUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            attribute = _attribute_or_404(attribute_id, lock=True)
            precondition_check(request, custom_attribute_representation(attribute))
            before = _definition(attribute)
            try:
                custom_attribute_update(
                    attribute=attribute,
                    data_type=(
                        DATA_TYPE_FOR_API[data["dataType"]]
                        if "dataType" in data
                        else attribute.data_type
                    ),
                    description=data.get("description", attribute.description),
                    user_editable=data.get("userEditable", attribute.user_editable),
                )
            except ValidationError as error:
                raise _api_errors(error) from error
            after = _definition(attribute)
            if before != after:
                api_audit(
                    request,
                    AuditAction.CUSTOM_ATTRIBUTE_UPDATED,
                    target=attribute.name,
                    before=before,
                    after=after,
                )
        representation = custom_attribute_representation(attribute)
        return with_etag(Response(representation), representation)
