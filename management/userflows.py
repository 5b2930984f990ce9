"""`/identity/userFlows`: the tenant's sign-up and sign-in user flows and their sections.

A flow (list, create, read, update, delete) and, as the admin center splits it, its sections:
the attributes it collects at sign-up (`/attributes`: list, add, update, remove, order), the
identity providers it offers beside email accounts (`/identityProviders`) and the apps that use
it (`/applications`). userflows/services.py does the work and holds the rules (at most ten
flows, Email Address always collected and required, one flow per app); this module shapes JSON
and audits with the admin center's actions. Languages are the tenant's, shared by every flow
and Company branding (as in Entra): `/organization/branding/languages` (management/branding.py).

An attribute of a flow is named as Graph names user flow attributes: a built-in one by its
Graph name (`givenName`, `email`), a custom one by its claim name
(`extension_<extensions app ID>_<name>`), the ID of `/identity/userFlowAttributes`.
"""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import API_NAMES
from accounts.attributes import BUILTIN_ATTRIBUTES, InputType, extension_claim_name
from accounts.models import CustomAttribute
from apps.lookups import extensions_app_id
from apps.models import AppRegistration, Platform
from federation.models import IdentityProvider
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import Conflict, django_validation_errors
from management.strict import StrictSerializer
from tenants.models import AuditAction
from userflows import services
from userflows.models import MAX_USER_FLOWS, SignInMethod, UserFlow, UserFlowAttribute
from userflows.selectors import attribute_label, flow_attributes

USERFLOW_ROLES = needs(
    read=("IdentityUserFlow.Read.All",), write=("IdentityUserFlow.ReadWrite.All",)
)
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)

# Graph's names of the built-in attributes (accounts/api.py), Email Address as `email`.
BUILTIN_ID = {**API_NAMES, "email": "email"}
BUILTIN_FOR_ID = {api: key for key, api in BUILTIN_ID.items()}
if set(BUILTIN_ID) != set(BUILTIN_ATTRIBUTES):  # pragma: no cover - a new built-in needs a name
    raise ImportError("management/userflows.py: every built-in attribute needs its API name")


# --- Serializers ----------------------------------------------------------------------------


class UserFlowSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The user flow's ID.")
    displayName = serializers.CharField()
    signInMethod = serializers.ChoiceField(choices=SignInMethod.values)
    signUpAllowed = serializers.BooleanField()
    identitiesSelfService = serializers.BooleanField(
        help_text="Whether its customers may see and remove their linked identities "
        "(set in the identityProviders section)."
    )
    createdDateTime = serializers.DateTimeField()


class UserFlowCreateSerializer(StrictSerializer):
    displayName = serializers.CharField(max_length=128, trim_whitespace=False)
    signInMethod = serializers.ChoiceField(
        choices=SignInMethod.values, required=False, default=SignInMethod.EMAIL_PASSWORD
    )
    signUpAllowed = serializers.BooleanField(required=False, default=True)
    attributes = serializers.ListField(
        child=serializers.CharField(max_length=128),
        required=False,
        default=list,
        max_length=200,
        help_text="Attribute IDs collected at sign-up besides Email Address, in page order.",
    )


class UserFlowUpdateSerializer(StrictSerializer):
    displayName = serializers.CharField(max_length=128, required=False, trim_whitespace=False)
    signInMethod = serializers.ChoiceField(choices=SignInMethod.values, required=False)
    signUpAllowed = serializers.BooleanField(required=False)


class OptionSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=256)
    value = serializers.CharField(max_length=64)


class FlowAttributeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`givenName`, `email`…, or a custom attribute's ID.")
    displayName = serializers.CharField(help_text="What the sign-up page calls it.")
    label = serializers.CharField(allow_blank=True, help_text="The flow's own label, if any.")
    userFlowAttributeType = serializers.ChoiceField(choices=["builtIn", "custom"])
    dataType = serializers.CharField()
    required = serializers.BooleanField()
    inputType = serializers.ChoiceField(choices=InputType.values)
    options = OptionSerializer(many=True)


class FlowAttributeListSerializer(serializers.Serializer):
    value = FlowAttributeSerializer(many=True)


class FlowAttributeChangeSerializer(StrictSerializer):
    label = serializers.CharField(max_length=256, required=False, allow_blank=True)
    required = serializers.BooleanField(required=False)
    inputType = serializers.ChoiceField(choices=InputType.values, required=False)
    options = OptionSerializer(many=True, required=False, max_length=100)


class FlowAttributeAddSerializer(FlowAttributeChangeSerializer):
    id = serializers.CharField(max_length=128)


class AttributeOrderSerializer(StrictSerializer):
    value = serializers.ListField(
        child=serializers.CharField(max_length=128),
        max_length=200,
        help_text="Every attribute ID of the flow, in the order the page asks for them.",
    )


class FlowProviderSerializer(serializers.Serializer):
    id = serializers.CharField()
    displayName = serializers.CharField()
    identityProviderType = serializers.CharField()


class FlowProvidersSerializer(serializers.Serializer):
    value = FlowProviderSerializer(many=True)
    identitiesSelfService = serializers.BooleanField()


class FlowProvidersSetSerializer(StrictSerializer):
    value = serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=200,
        help_text="The IDs of the identity providers the flow offers, exactly.",
    )
    identitiesSelfService = serializers.BooleanField(required=False)


class FlowAppSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The app registration's object ID.")
    appId = serializers.CharField(help_text="Its application (client) ID.")
    displayName = serializers.CharField()


class FlowAppsSerializer(serializers.Serializer):
    value = FlowAppSerializer(many=True)


class FlowAppsSetSerializer(StrictSerializer):
    value = serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=1000,
        help_text="Application (client) IDs: exactly these apps use the flow afterwards.",
    )


# --- Representations ------------------------------------------------------------------------


def flow_target(flow: UserFlow) -> str:
    """How the audit log names a flow (as the admin center does): its name and ID."""
    return f"{flow.name} ({flow.flow_id})"


def _properties(flow: UserFlow) -> dict[str, object]:
    """What the audit log records of a flow's properties (the admin center's keys)."""
    return {
        "name": flow.name,
        "sign_in_method": flow.sign_in_method,
        "sign_up_allowed": flow.sign_up_allowed,
    }


def flow_representation(flow: UserFlow) -> dict[str, Any]:
    return {
        "id": str(flow.flow_id),
        "displayName": flow.name,
        "signInMethod": flow.sign_in_method,
        "signUpAllowed": flow.sign_up_allowed,
        "identitiesSelfService": flow.identities_self_service,
        "createdDateTime": flow.created_at.isoformat(),
    }


def _custom_id(attribute: CustomAttribute) -> str:
    return extension_claim_name(extensions_app_id(), attribute.name)


def custom_attribute_by_id(attribute_id: str) -> CustomAttribute | None:
    """The custom attribute a claim name (`extension_<app ID>_<name>`) names, or None."""
    prefix = extension_claim_name(extensions_app_id(), "")
    if not attribute_id.startswith(prefix):
        return None
    name = attribute_id.removeprefix(prefix)
    found: CustomAttribute | None = CustomAttribute.objects.filter(name=name).first()
    return found


def _attribute_id(item: UserFlowAttribute) -> str:
    if item.custom_attribute is not None:
        return _custom_id(item.custom_attribute)
    return BUILTIN_ID[item.builtin]


def _audit_key(item: UserFlowAttribute) -> str:
    """How the audit log names a flow's attribute (as the admin center does)."""
    return item.custom_attribute.name if item.custom_attribute is not None else item.builtin


def attribute_representation(item: UserFlowAttribute) -> dict[str, Any]:
    custom = item.custom_attribute
    return {
        "id": _attribute_id(item),
        "displayName": attribute_label(item),
        "label": item.label,
        "userFlowAttributeType": "custom" if custom is not None else "builtIn",
        "dataType": custom.data_type if custom is not None else "string",
        "required": item.required,
        "inputType": item.input_type,
        "options": [
            {"text": str(option.get("text", "")), "value": str(option.get("value", ""))}
            for option in item.options
        ],
    }


def _attributes_representation(flow: UserFlow) -> dict[str, Any]:
    return {"value": [attribute_representation(item) for item in flow_attributes(flow)]}


def _look(item: UserFlowAttribute) -> dict[str, object]:
    return {
        "label": item.label,
        "required": item.required,
        "input_type": item.input_type,
        "options": [option["value"] for option in item.options],
    }


_SERVICE_FIELD = {
    "name": "displayName",
    "sign_in_method": "signInMethod",
    "sign_up_allowed": "signUpAllowed",
    "builtin_attributes": "attributes",
    "input_type": "inputType",
}


def _api_errors(error: ValidationError, *, whole: str = "") -> exceptions.ValidationError:
    """A service's field errors under the API's names (a message for no field under `whole`)."""
    return exceptions.ValidationError(
        {
            _SERVICE_FIELD.get(key, key) if key else whole: messages
            for key, messages in django_validation_errors(error).items()
        }
    )


def flow_or_404(flow_id: uuid.UUID, *, lock: bool = False) -> UserFlow:
    flows = UserFlow.objects.select_for_update() if lock else UserFlow.objects.all()
    flow: UserFlow | None = flows.filter(flow_id=flow_id).first()
    if flow is None:
        raise exceptions.NotFound("No user flow has this ID.")
    return flow


def _chosen_attributes(
    ids: list[str], *, field: str = "attributes"
) -> tuple[list[str], list[CustomAttribute]]:
    """The built-in keys and custom attributes that attribute IDs name, or a 400."""
    builtin: list[str] = []
    custom: list[CustomAttribute] = []
    errors: list[str] = []
    for attribute_id in ids:
        if attribute_id in BUILTIN_FOR_ID:
            builtin.append(BUILTIN_FOR_ID[attribute_id])
        elif (attribute := custom_attribute_by_id(attribute_id)) is not None:
            custom.append(attribute)
        else:
            errors.append(f"“{attribute_id[:128]}” is no attribute of this tenant.")
    if len(set(ids)) != len(ids):
        errors.append("An attribute is listed twice.")
    if errors:
        raise exceptions.ValidationError({field: errors})
    return builtin, custom


# --- Flows ----------------------------------------------------------------------------------


class UserFlowsView(ManagementView):
    roles = USERFLOW_ROLES

    @extend_schema(
        operation_id="userflows_list",
        summary="List user flows",
        description="In creation order.",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(UserFlowSerializer, "UserFlowPage"),
    )
    def get(self, request: Request) -> Response:
        return paged_response(
            request, id_page(UserFlow.objects.all(), request=request), flow_representation
        )

    @extend_schema(
        operation_id="userflows_create",
        summary="Create a user flow",
        description=(
            f"A tenant has at most {MAX_USER_FLOWS} user flows (409 beyond). The flow collects "
            "Email Address (required) and the listed attributes, in that order."
        ),
        request=UserFlowCreateSerializer,
        responses={201: UserFlowSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = UserFlowCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        builtin, custom = _chosen_attributes(list(data["attributes"]))
        with transaction.atomic():
            try:
                flow = services.userflow_create(
                    name=data["displayName"],
                    sign_in_method=data["signInMethod"],
                    sign_up_allowed=data["signUpAllowed"],
                    builtin_attributes=builtin,
                    custom_attributes=custom,
                )
            except services.UserFlowLimitReached as error:
                raise Conflict(
                    f"A tenant has at most {MAX_USER_FLOWS} user flows: delete one first."
                ) from error
            except ValidationError as error:
                raise _api_errors(error) from error
            api_audit(
                request,
                AuditAction.USERFLOW_CREATED,
                target=flow_target(flow),
                details={
                    **_properties(flow),
                    "attributes": [_audit_key(item) for item in flow_attributes(flow)],
                },
            )
        representation = flow_representation(flow)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{flow.flow_id}"},
        )
        return with_etag(response, representation)


class UserFlowView(ManagementView):
    roles = USERFLOW_ROLES

    @extend_schema(
        operation_id="userflows_get", summary="Read a user flow", responses=UserFlowSerializer
    )
    def get(self, request: Request, flow_id: uuid.UUID) -> Response:
        representation = flow_representation(flow_or_404(flow_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="userflows_update",
        summary="Update a user flow's properties",
        description="Only the properties sent change. Send `If-Match` with the ETag you read.",
        parameters=[IF_MATCH],
        request=UserFlowUpdateSerializer,
        responses=UserFlowSerializer,
    )
    def patch(self, request: Request, flow_id: uuid.UUID) -> Response:
        incoming = UserFlowUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            flow = flow_or_404(flow_id, lock=True)
            precondition_check(request, flow_representation(flow))
            before = _properties(flow)
            try:
                services.userflow_update(
                    flow=flow,
                    name=data.get("displayName", flow.name),
                    sign_in_method=data.get("signInMethod", flow.sign_in_method),
                    sign_up_allowed=data.get("signUpAllowed", flow.sign_up_allowed),
                )
            except ValidationError as error:
                raise _api_errors(error) from error
            after = _properties(flow)
            if before != after:
                api_audit(
                    request,
                    AuditAction.USERFLOW_UPDATED,
                    target=flow_target(flow),
                    before=before,
                    after=after,
                )
        representation = flow_representation(flow)
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="userflows_delete",
        summary="Delete a user flow",
        description="Its apps are left without a flow until one is assigned.",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, flow_id: uuid.UUID) -> Response:
        with transaction.atomic():
            flow = flow_or_404(flow_id, lock=True)
            precondition_check(request, flow_representation(flow))
            target = flow_target(flow)
            services.userflow_delete(flow=flow)
            api_audit(request, AuditAction.USERFLOW_DELETED, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- The attributes a flow collects ---------------------------------------------------------


def _item_or_404(flow: UserFlow, attribute_id: str) -> UserFlowAttribute:
    for item in flow_attributes(flow):
        if _attribute_id(item) == attribute_id:
            return item
    raise exceptions.NotFound("The user flow does not collect this attribute.")


def _attribute_update(item: UserFlowAttribute, data: dict[str, Any]) -> UserFlowAttribute:
    """Apply the label, required, input type and options sent; the others as they are."""
    options = data.get("options")
    try:
        return services.flow_attribute_update(
            attribute=item,
            label=data.get("label", item.label),
            required=data.get("required", item.required),
            input_type=data.get("inputType", item.input_type),
            options=[dict(option) for option in options] if options is not None else item.options,
        )
    except ValidationError as error:
        raise _api_errors(error) from error


class FlowAttributesView(ManagementView):
    roles = USERFLOW_ROLES

    @extend_schema(
        operation_id="userflows_attributes_list",
        summary="List the attributes a user flow collects",
        description="In the order the sign-up page asks for them (at most 111: no paging).",
        responses=FlowAttributeListSerializer,
    )
    def get(self, request: Request, flow_id: uuid.UUID) -> Response:
        representation = _attributes_representation(flow_or_404(flow_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="userflows_attributes_add",
        summary="Collect another attribute",
        description=(
            "Added at the end of the page, with its data type's default input type unless "
            "`inputType` says otherwise."
        ),
        request=FlowAttributeAddSerializer,
        responses={201: FlowAttributeSerializer},
    )
    def post(self, request: Request, flow_id: uuid.UUID) -> Response:
        incoming = FlowAttributeAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        builtin, custom = _chosen_attributes([data["id"]], field="id")
        with transaction.atomic():
            flow = flow_or_404(flow_id, lock=True)
            try:
                item = services.flow_attribute_add(
                    flow=flow,
                    builtin=builtin[0] if builtin else "",
                    custom_attribute=custom[0] if custom else None,
                )
            except ValidationError as error:
                raise Conflict(" ".join(error.messages)) from error
            if data.keys() & {"label", "required", "inputType", "options"}:
                item = _attribute_update(item, data)
            api_audit(
                request,
                AuditAction.USERFLOW_ATTRIBUTE_ADDED,
                target=flow_target(flow),
                details={"attribute": _audit_key(item), "required": item.required},
            )
        representation = attribute_representation(item)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{representation['id']}"},
        )
        return with_etag(response, representation)


class FlowAttributeView(ManagementView):
    roles = USERFLOW_ROLES

    @extend_schema(
        operation_id="userflows_attributes_get",
        summary="Read an attribute a user flow collects",
        responses=FlowAttributeSerializer,
    )
    def get(self, request: Request, flow_id: uuid.UUID, attribute_id: str) -> Response:
        representation = attribute_representation(_item_or_404(flow_or_404(flow_id), attribute_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="userflows_attributes_update",
        summary="Change how a user flow collects an attribute",
        description=(
            "Its label, whether it is required (Email Address always is), its input type (one "
            "its data type allows) and the options of a choice. Send `If-Match`."
        ),
        parameters=[IF_MATCH],
        request=FlowAttributeChangeSerializer,
        responses=FlowAttributeSerializer,
    )
    def patch(self, request: Request, flow_id: uuid.UUID, attribute_id: str) -> Response:
        incoming = FlowAttributeChangeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            flow = flow_or_404(flow_id, lock=True)
            item = _item_or_404(flow, attribute_id)
            precondition_check(request, attribute_representation(item))
            before = _look(item)
            item = _attribute_update(item, incoming.validated_data)
            after = _look(item)
            if before != after:
                api_audit(
                    request,
                    AuditAction.USERFLOW_ATTRIBUTE_UPDATED,
                    target=flow_target(flow),
                    details={"attribute": _audit_key(item)},
                    before=before,
                    after=after,
                )
        representation = attribute_representation(item)
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="userflows_attributes_remove",
        summary="Stop collecting an attribute",
        description="Email Address is always collected (409).",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def delete(self, request: Request, flow_id: uuid.UUID, attribute_id: str) -> Response:
        with transaction.atomic():
            flow = flow_or_404(flow_id, lock=True)
            item = _item_or_404(flow, attribute_id)
            precondition_check(request, attribute_representation(item))
            key = _audit_key(item)
            try:
                services.flow_attribute_remove(attribute=item)
            except ValidationError as error:
                raise Conflict(" ".join(error.messages)) from error
            api_audit(
                request,
                AuditAction.USERFLOW_ATTRIBUTE_REMOVED,
                target=flow_target(flow),
                details={"attribute": key},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FlowAttributeOrderView(ManagementView):
    roles = needs(write=("IdentityUserFlow.ReadWrite.All",))

    @extend_schema(
        operation_id="userflows_attributes_order",
        summary="Put a user flow's attributes in order",
        description=(
            "`value` lists every attribute the flow collects, once, in the order the sign-up "
            "page asks for them. `If-Match` takes the ETag of the attribute list."
        ),
        parameters=[IF_MATCH],
        request=AttributeOrderSerializer,
        responses=FlowAttributeListSerializer,
    )
    def put(self, request: Request, flow_id: uuid.UUID) -> Response:
        incoming = AttributeOrderSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        wanted: list[str] = list(incoming.validated_data["value"])
        with transaction.atomic():
            flow = flow_or_404(flow_id, lock=True)
            precondition_check(request, _attributes_representation(flow))
            items = {_attribute_id(item): item for item in flow_attributes(flow)}
            if len(wanted) != len(set(wanted)) or set(wanted) != set(items):
                raise exceptions.ValidationError(
                    {"value": ["List every attribute the flow collects, each once."]}
                )
            before = [_audit_key(item) for item in flow_attributes(flow)]
            # Sending each to the bottom in turn leaves them in exactly the order wanted.
            for attribute_id in wanted:
                services.flow_attribute_move(attribute=items[attribute_id], to="bottom")
            after = [_audit_key(item) for item in flow_attributes(flow)]
            if before != after:
                api_audit(
                    request,
                    AuditAction.USERFLOW_LAYOUT_CHANGED,
                    target=flow_target(flow),
                    before={"order": before},
                    after={"order": after},
                )
        representation = _attributes_representation(flow)
        return with_etag(Response(representation), representation)


# --- The identity providers a flow offers ---------------------------------------------------

# Graph's identityProviderType values (management/identity_providers.py answers the same).
PROVIDER_TYPES = {
    "google": "Google",
    "facebook": "Facebook",
    "apple": "Apple",
    "openid_connect": "OpenIDConnect",
}


def _providers_representation(flow: UserFlow) -> dict[str, Any]:
    offered = flow.identity_providers.defer("secret_encrypted").order_by("display_name", "slug")
    return {
        "value": [
            {
                "id": provider.slug,
                "displayName": provider.display_name,
                "identityProviderType": PROVIDER_TYPES.get(provider.kind, provider.kind),
            }
            for provider in offered
        ],
        "identitiesSelfService": flow.identities_self_service,
    }


def _federation(flow: UserFlow) -> dict[str, object]:
    """What the audit log records of the section (the admin center's keys)."""
    return {
        "identity_providers": sorted(flow.identity_providers.values_list("slug", flat=True)),
        "identities_self_service": flow.identities_self_service,
    }


class FlowIdentityProvidersView(ManagementView):
    roles = USERFLOW_ROLES

    @extend_schema(
        operation_id="userflows_identity_providers_get",
        summary="The identity providers a user flow offers",
        description="Beside its email accounts; by name.",
        responses=FlowProvidersSerializer,
    )
    def get(self, request: Request, flow_id: uuid.UUID) -> Response:
        representation = _providers_representation(flow_or_404(flow_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="userflows_identity_providers_set",
        summary="Choose the identity providers a user flow offers",
        description=(
            "Exactly the listed providers (IDs of `/identity/identityProviders`) are offered "
            "afterwards. `identitiesSelfService`, when sent, says whether the flow's customers "
            "may see and remove their linked identities. Send `If-Match`."
        ),
        parameters=[IF_MATCH],
        request=FlowProvidersSetSerializer,
        responses=FlowProvidersSerializer,
    )
    def put(self, request: Request, flow_id: uuid.UUID) -> Response:
        incoming = FlowProvidersSetSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        slugs: list[str] = list(incoming.validated_data["value"])
        found = dict(IdentityProvider.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise exceptions.ValidationError(
                {
                    "value": [
                        f"“{slug[:64]}” is no identity provider of this tenant." for slug in unknown
                    ]
                }
            )
        with transaction.atomic():
            flow = flow_or_404(flow_id, lock=True)
            precondition_check(request, _providers_representation(flow))
            before = _federation(flow)
            services.userflow_identity_providers_set(
                flow=flow,
                provider_ids=list(found.values()),
                identities_self_service=incoming.validated_data.get("identitiesSelfService"),
            )
            after = _federation(flow)
            if before != after:
                api_audit(
                    request,
                    AuditAction.USERFLOW_IDENTITY_PROVIDERS_CHANGED,
                    target=flow_target(flow),
                    before=before,
                    after=after,
                )
        representation = _providers_representation(flow)
        return with_etag(Response(representation), representation)


# --- The apps that use a flow ---------------------------------------------------------------


def _apps_representation(flow: UserFlow) -> dict[str, Any]:
    apps = AppRegistration.objects.filter(user_flow=flow).order_by("name", "pk")
    return {
        "value": [
            {"id": str(app.object_id), "appId": app.client_id, "displayName": app.name}
            for app in apps
        ]
    }


def _client_ids(flow: UserFlow) -> list[str]:
    return sorted(
        AppRegistration.objects.filter(user_flow=flow).values_list("client_id", flat=True)
    )


class FlowApplicationsView(ManagementView):
    roles = USERFLOW_ROLES

    @extend_schema(
        operation_id="userflows_applications_get",
        summary="The apps that use a user flow",
        responses=FlowAppsSerializer,
    )
    def get(self, request: Request, flow_id: uuid.UUID) -> Response:
        representation = _apps_representation(flow_or_404(flow_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="userflows_applications_set",
        summary="Choose the apps that use a user flow",
        description=(
            "Exactly the listed apps use the flow afterwards: each moves here from any flow it "
            "had (an app has one flow); apps no longer listed are left without one. Daemons "
            "sign no one in and have no flow. Send `If-Match`."
        ),
        parameters=[IF_MATCH],
        request=FlowAppsSetSerializer,
        responses=FlowAppsSerializer,
    )
    def put(self, request: Request, flow_id: uuid.UUID) -> Response:
        incoming = FlowAppsSetSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        client_ids: list[str] = list(incoming.validated_data["value"])
        apps = list(AppRegistration.objects.filter(client_id__in=client_ids))
        known = {app.client_id for app in apps}
        errors = [
            f"“{cid[:64]}” is no app of this tenant." for cid in client_ids if cid not in known
        ]
        errors += [
            f"“{app.name}” is a daemon: it has no user flow."
            for app in apps
            if app.platform == Platform.DAEMON
        ]
        if errors:
            raise exceptions.ValidationError({"value": errors})
        with transaction.atomic():
            flow = flow_or_404(flow_id, lock=True)
            precondition_check(request, _apps_representation(flow))
            before = _client_ids(flow)
            try:
                services.flow_apps_assign(flow=flow, apps=apps)
            except ValidationError as error:
                raise _api_errors(error, whole="value") from error
            for app in AppRegistration.objects.filter(user_flow=flow).exclude(
                pk__in=[app.pk for app in apps]
            ):
                services.flow_app_remove(flow=flow, app=app)
            after = _client_ids(flow)
            if before != after:
                api_audit(
                    request,
                    AuditAction.USERFLOW_APPS_ASSIGNED,
                    target=flow_target(flow),
                    before={"apps": before},
                    after={"apps": after},
                )
        representation = _apps_representation(flow)
        return with_etag(Response(representation), representation)
