"""`/identity/customAuthenticationExtensions` and `/identity/authenticationEventListeners`:
the tenant's custom authentication extensions and where the journey calls them, in Graph's
shapes (customAuthenticationExtension, authenticationEventListener) as far as the product has
the concepts.

An extension's `eventType` is the event it serves (Graph says it with the resource's
`@odata.type`); `authenticationConfiguration.resourceId` is the application ID of the app
registration its calls' bearer token is issued for (the token's `aud`). The target URL's query
is write-only: it is where a function's key sits (`?code=…`), so it is answered as `?…`, and
the audit log records it so too. A listener lives at one place: an app
(`conditions.applications.includeApplications`, OnTokenIssuanceStart), a user flow
(`authenticationEventsFlowId`, the attribute collection events) or the whole tenant (OnOtpSend).
extensions/ holds the rules; this module maps names and audits as the admin center does.
"""

import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.models import AppRegistration
from apps.selectors import app_list
from extensions.flow_listeners import FLOW_EVENTS, flow_listener_set
from extensions.listeners import token_issuance_listener_remove, token_issuance_listener_set
from extensions.models import (
    DEFAULT_FAILURE_POLICY,
    MAX_TIMEOUT_MS,
    MIN_TIMEOUT_MS,
    CustomAuthenticationExtension,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from extensions.otp_listeners import OtpListenerRefused, otp_listener_remove, otp_listener_set
from extensions.services import (
    ExtensionInvalid,
    extension_create,
    extension_delete,
    extension_update,
)
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import django_validation_errors
from management.strict import StrictSerializer
from tenants.models import AuditAction
from userflows.models import UserFlow

EXTENSION_ROLES = needs(
    read=("CustomAuthenticationExtension.Read.All",),
    write=("CustomAuthenticationExtension.ReadWrite.All",),
)
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)

_EXTENSION_FIELDS = {
    "name": "displayName",
    "description": "description",
    "event": "eventType",
    "target_url": "endpointConfiguration.targetUrl",
    "timeout_ms": "clientConfiguration.timeoutInMilliseconds",
    "max_retries": "clientConfiguration.maximumRetries",
    "api_app": "authenticationConfiguration.resourceId",
    None: "",
}


def url_without_secret(url: str) -> str:
    """The URL as answered and audited: its query (a function key's place) as `…`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "…" if parts.query else "", ""))


class EndpointSerializer(StrictSerializer):
    targetUrl = serializers.CharField(
        max_length=2048,
        help_text="https (http only to 127.0.0.1, ::1 or localhost). Its query is write-only.",
    )


class AuthenticationConfigurationSerializer(StrictSerializer):
    resourceId = serializers.CharField(
        max_length=100, help_text="The application ID of the extension's API app registration."
    )


class ClientConfigurationSerializer(StrictSerializer):
    timeoutInMilliseconds = serializers.IntegerField(
        required=False, default=MAX_TIMEOUT_MS, min_value=MIN_TIMEOUT_MS, max_value=MAX_TIMEOUT_MS
    )
    maximumRetries = serializers.IntegerField(required=False, default=1, min_value=0, max_value=1)


class ExtensionWriteSerializer(StrictSerializer):
    displayName = serializers.CharField(max_length=100)
    description = serializers.CharField(
        max_length=256, required=False, default="", allow_blank=True
    )
    eventType = serializers.ChoiceField(
        choices=ExtensionEvent.values, help_text="Fixed once the extension exists."
    )
    endpointConfiguration = EndpointSerializer()
    authenticationConfiguration = AuthenticationConfigurationSerializer()
    clientConfiguration = ClientConfigurationSerializer(required=False)


class ExtensionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    eventType = serializers.ChoiceField(choices=ExtensionEvent.values)
    endpointConfiguration = EndpointSerializer()
    authenticationConfiguration = AuthenticationConfigurationSerializer()
    clientConfiguration = ClientConfigurationSerializer()
    createdDateTime = serializers.DateTimeField()
    modifiedDateTime = serializers.DateTimeField()


def extension_representation(extension: CustomAuthenticationExtension) -> dict[str, Any]:
    return {
        "id": str(extension.extension_id),
        "displayName": extension.name,
        "description": extension.description,
        "eventType": extension.event,
        "endpointConfiguration": {"targetUrl": url_without_secret(extension.target_url)},
        "authenticationConfiguration": {"resourceId": extension.api_app.client_id},
        "clientConfiguration": {
            "timeoutInMilliseconds": extension.timeout_ms,
            "maximumRetries": extension.max_retries,
        },
        "createdDateTime": extension.created_at.isoformat(),
        "modifiedDateTime": extension.updated_at.isoformat(),
    }


def _extension_record(extension: CustomAuthenticationExtension) -> dict[str, object]:
    """What the audit log records (as admin_center/extensions records it)."""
    return {
        "name": extension.name,
        "description": extension.description,
        "event": extension.event,
        "target_url": url_without_secret(extension.target_url),
        "timeout_ms": extension.timeout_ms,
        "max_retries": extension.max_retries,
        "api_app": extension.api_app.client_id,
    }


def _extension_target(extension: CustomAuthenticationExtension) -> str:
    return f"{extension.name} ({extension.extension_id})"


def _api_app_id(client_id: str) -> str:
    """The object ID the service takes for the app with this application ID ("" for none:
    the service then names the field)."""
    app = app_list().filter(client_id=client_id).first()
    return str(app.object_id) if app is not None else ""


def _invalid(invalid: ExtensionInvalid) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {
            _EXTENSION_FIELDS.get(field, field or ""): [str(message) for message in messages]
            for field, messages in invalid.errors.items()
        }
    )


def _extension_or_404(
    extension_id: uuid.UUID, *, lock: bool = False
) -> CustomAuthenticationExtension:
    extensions = CustomAuthenticationExtension.objects.select_related("api_app")
    if lock:
        extensions = extensions.select_for_update(of=("self",))
    found: CustomAuthenticationExtension | None = extensions.filter(
        extension_id=extension_id
    ).first()
    if found is None:
        raise exceptions.NotFound("No custom authentication extension has this ID.")
    return found


class ExtensionsView(ManagementView):
    roles = EXTENSION_ROLES

    @extend_schema(
        operation_id="custom_authentication_extensions_list",
        summary="List custom authentication extensions",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(ExtensionSerializer, "CustomAuthenticationExtensionPage"),
    )
    def get(self, request: Request) -> Response:
        page = id_page(
            CustomAuthenticationExtension.objects.select_related("api_app"), request=request
        )
        return paged_response(request, page, extension_representation)

    @extend_schema(
        operation_id="custom_authentication_extensions_create",
        summary="Register a custom authentication extension",
        request=ExtensionWriteSerializer,
        responses={201: ExtensionSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = ExtensionWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        client = data.get("clientConfiguration") or {}
        with transaction.atomic():
            try:
                extension = extension_create(
                    name=data["displayName"],
                    description=data["description"],
                    event=data["eventType"],
                    target_url=data["endpointConfiguration"]["targetUrl"],
                    timeout_ms=client.get("timeoutInMilliseconds", MAX_TIMEOUT_MS),
                    max_retries=client.get("maximumRetries", 1),
                    api_app_id=_api_app_id(data["authenticationConfiguration"]["resourceId"]),
                )
            except ExtensionInvalid as invalid:
                raise _invalid(invalid) from invalid
            api_audit(
                request,
                AuditAction.EXTENSION_ADDED,
                target=_extension_target(extension),
                details=_extension_record(extension),
            )
        representation = extension_representation(extension)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{extension.extension_id}"},
        )
        return with_etag(response, representation)


class ExtensionView(ManagementView):
    roles = EXTENSION_ROLES

    @extend_schema(
        operation_id="custom_authentication_extensions_get",
        summary="Read a custom authentication extension",
        responses=ExtensionSerializer,
    )
    def get(self, request: Request, extension_id: uuid.UUID) -> Response:
        representation = extension_representation(_extension_or_404(extension_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="custom_authentication_extensions_update",
        summary="Update a custom authentication extension",
        description=(
            "Only what is sent changes; `eventType` cannot. A `targetUrl` sent replaces the "
            "stored one with its query. Send `If-Match` with the ETag you read."
        ),
        parameters=[IF_MATCH],
        request=ExtensionWriteSerializer,
        responses=ExtensionSerializer,
    )
    def patch(self, request: Request, extension_id: uuid.UUID) -> Response:
        incoming = ExtensionWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        client = data.get("clientConfiguration") or {}
        with transaction.atomic():
            extension = _extension_or_404(extension_id, lock=True)
            precondition_check(request, extension_representation(extension))
            if data.get("eventType", extension.event) != extension.event:
                raise exceptions.ValidationError(
                    {"eventType": ["An extension's event cannot change: register another."]}
                )
            before = _extension_record(extension)
            api_app = data.get("authenticationConfiguration", {}).get("resourceId")
            try:
                extension_update(
                    extension=extension,
                    name=data.get("displayName", extension.name),
                    description=data.get("description", extension.description),
                    target_url=data.get("endpointConfiguration", {}).get(
                        "targetUrl", extension.target_url
                    ),
                    timeout_ms=client.get("timeoutInMilliseconds", extension.timeout_ms),
                    max_retries=client.get("maximumRetries", extension.max_retries),
                    api_app_id=(
                        _api_app_id(api_app) if api_app is not None else extension.api_app.object_id
                    ),
                )
            except ExtensionInvalid as invalid:
                raise _invalid(invalid) from invalid
            after = _extension_record(extension)
            if after != before or "endpointConfiguration" in data:
                api_audit(
                    request,
                    AuditAction.EXTENSION_UPDATED,
                    target=_extension_target(extension),
                    before=before,
                    after=after,
                )
        representation = extension_representation(extension)
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="custom_authentication_extensions_delete",
        summary="Delete a custom authentication extension",
        description="Its listeners go with it: no sign-in calls it any more.",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, extension_id: uuid.UUID) -> Response:
        with transaction.atomic():
            extension = _extension_or_404(extension_id, lock=True)
            precondition_check(request, extension_representation(extension))
            target = _extension_target(extension)
            listeners = extension_delete(extension=extension)
            api_audit(
                request,
                AuditAction.EXTENSION_REMOVED,
                target=target,
                details={"event": extension.event, "listeners_removed": listeners},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


# Listeners.


class AppConditionSerializer(StrictSerializer):
    appId = serializers.CharField(max_length=100)


class ApplicationsSerializer(StrictSerializer):
    includeApplications = AppConditionSerializer(many=True, min_length=1, max_length=1)


class ListenerConditionsSerializer(StrictSerializer):
    applications = ApplicationsSerializer()


class CustomExtensionReferenceSerializer(StrictSerializer):
    id = serializers.UUIDField()


class HandlerSerializer(StrictSerializer):
    customExtension = CustomExtensionReferenceSerializer()
    failurePolicy = serializers.ChoiceField(
        choices=FailurePolicy.values,
        required=False,
        help_text="What a failed call does; the event's default when not sent (fail for "
        "emailOtpSend and attributeCollectionSubmit, continue otherwise).",
    )


class ListenerWriteSerializer(StrictSerializer):
    eventType = serializers.ChoiceField(choices=ExtensionEvent.values)
    conditions = ListenerConditionsSerializer(
        required=False, help_text="tokenIssuanceStart: the one app whose tokens call it."
    )
    authenticationEventsFlowId = serializers.UUIDField(
        required=False, help_text="The attribute collection events: the user flow."
    )
    handler = HandlerSerializer()


class ListenerHandlerWriteSerializer(StrictSerializer):
    handler = HandlerSerializer()


class ListenerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    eventType = serializers.ChoiceField(choices=ExtensionEvent.values)
    conditions = ListenerConditionsSerializer(allow_null=True)
    authenticationEventsFlowId = serializers.UUIDField(allow_null=True)
    handler = HandlerSerializer()
    createdDateTime = serializers.DateTimeField()


def listener_representation(listener: ExtensionListener) -> dict[str, Any]:
    app = listener.app
    flow = listener.user_flow
    return {
        "id": str(listener.listener_id),
        "eventType": listener.event,
        "conditions": (
            {"applications": {"includeApplications": [{"appId": app.client_id}]}}
            if app is not None
            else None
        ),
        "authenticationEventsFlowId": str(flow.flow_id) if flow is not None else None,
        "handler": {
            "customExtension": {"id": str(listener.extension.extension_id)},
            "failurePolicy": listener.failure_policy,
        },
        "createdDateTime": listener.created_at.isoformat(),
    }


def _listeners() -> Any:
    return ExtensionListener.objects.select_related("extension", "app", "user_flow")


def _listener_or_404(listener_id: uuid.UUID, *, lock: bool = False) -> ExtensionListener:
    listeners = _listeners()
    if lock:
        listeners = listeners.select_for_update(of=("self",))
    found: ExtensionListener | None = listeners.filter(listener_id=listener_id).first()
    if found is None:
        raise exceptions.NotFound("No listener has this ID.")
    return found


def _listener_target(listener: ExtensionListener) -> str:
    """The place, named as the admin center's audit entries name it."""
    if listener.app is not None:
        return f"{listener.app.name} ({listener.app.client_id})"
    if listener.user_flow is not None:
        return f"{listener.user_flow.name} ({listener.user_flow.flow_id})"
    return "OnOtpSend listener"


def _listener_record(listener: ExtensionListener) -> dict[str, object]:
    return {
        "event": listener.event,
        "extension": listener.extension.name,
        "extension_id": str(listener.extension.extension_id),
        "failure_policy": listener.failure_policy,
    }


def _place(data: dict[str, Any]) -> tuple[AppRegistration | None, UserFlow | None]:
    """The app or flow a listener's body names, checked against its event."""
    event = data["eventType"]
    conditions = data.get("conditions")
    flow_id = data.get("authenticationEventsFlowId")
    if event == ExtensionEvent.TOKEN_ISSUANCE_START:
        if conditions is None or flow_id is not None:
            raise exceptions.ValidationError(
                {"conditions": ["tokenIssuanceStart listens on one app: name its appId."]}
            )
        client_id = conditions["applications"]["includeApplications"][0]["appId"]
        app = app_list().filter(client_id=client_id).first()
        if app is None:
            raise exceptions.ValidationError(
                {"conditions.applications.includeApplications": ["No app has this appId."]}
            )
        return app, None
    if event in FLOW_EVENTS:
        if flow_id is None or conditions is not None:
            raise exceptions.ValidationError(
                {"authenticationEventsFlowId": ["This event listens on a user flow: name it."]}
            )
        flow = UserFlow.objects.filter(flow_id=flow_id).first()
        if flow is None:
            raise exceptions.ValidationError(
                {"authenticationEventsFlowId": ["No user flow has this ID."]}
            )
        return None, flow
    if conditions is not None or flow_id is not None:
        raise exceptions.ValidationError(
            {"eventType": ["emailOtpSend listens for the whole tenant: name no app or flow."]}
        )
    return None, None


def _listener_set(
    *,
    event: str,
    app: AppRegistration | None,
    flow: UserFlow | None,
    handler: dict[str, Any],
) -> ExtensionListener:
    """Make or replace the listener at the place through the room's service for the event."""
    extension = CustomAuthenticationExtension.objects.filter(
        extension_id=handler["customExtension"]["id"]
    ).first()
    if extension is None:
        raise exceptions.ValidationError(
            {"handler.customExtension.id": ["No custom authentication extension has this ID."]}
        )
    policy = handler.get("failurePolicy") or DEFAULT_FAILURE_POLICY[event]
    try:
        if app is not None:
            return token_issuance_listener_set(app=app, extension=extension, failure_policy=policy)
        if flow is not None:
            listener = flow_listener_set(
                flow=flow, event=ExtensionEvent(event), extension=extension, failure_policy=policy
            )
            if listener is not None:  # None only when no extension is given
                return listener
        if event in FLOW_EVENTS:
            raise exceptions.ValidationError({"authenticationEventsFlowId": ["Name a user flow."]})
        return otp_listener_set(extension=extension, failure_policy=policy)
    except OtpListenerRefused as refused:
        raise exceptions.ValidationError({"handler": [str(refused)]}) from refused
    except ValidationError as refused:
        raise exceptions.ValidationError(
            {"handler": [m for ms in django_validation_errors(refused).values() for m in ms]}
        ) from refused


def _listener_at(app: AppRegistration | None, flow: UserFlow | None, event: str) -> Any:
    return _listeners().filter(event=event, app=app, user_flow=flow).first()


class ListenersView(ManagementView):
    roles = EXTENSION_ROLES

    @extend_schema(
        operation_id="authentication_event_listeners_list",
        summary="List authentication event listeners",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(ListenerSerializer, "AuthenticationEventListenerPage"),
    )
    def get(self, request: Request) -> Response:
        return paged_response(
            request, id_page(_listeners(), request=request), listener_representation
        )

    @extend_schema(
        operation_id="authentication_event_listeners_create",
        summary="Set the listener of an event at a place",
        description=(
            "One listener per event and place: one already there is replaced (200), otherwise "
            "one is made (201). The extension must serve the event."
        ),
        request=ListenerWriteSerializer,
        responses={201: ListenerSerializer, 200: ListenerSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = ListenerWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        app, flow = _place(data)
        with transaction.atomic():
            earlier = _listener_at(app, flow, data["eventType"])
            before = _listener_record(earlier) if earlier is not None else {}
            listener = _listener_set(
                event=data["eventType"], app=app, flow=flow, handler=data["handler"]
            )
            listener = _listener_or_404(listener.listener_id)
            api_audit(
                request,
                AuditAction.EXTENSION_LISTENER_SET,
                target=_listener_target(listener),
                before=before,
                after=_listener_record(listener),
            )
        representation = listener_representation(listener)
        response = Response(
            representation,
            status=status.HTTP_200_OK if earlier is not None else status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{listener.listener_id}"},
        )
        return with_etag(response, representation)


class ListenerView(ManagementView):
    roles = EXTENSION_ROLES

    @extend_schema(
        operation_id="authentication_event_listeners_get",
        summary="Read an authentication event listener",
        responses=ListenerSerializer,
    )
    def get(self, request: Request, listener_id: uuid.UUID) -> Response:
        representation = listener_representation(_listener_or_404(listener_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="authentication_event_listeners_replace",
        summary="Replace a listener's handler",
        description=(
            "The extension it calls and what a failure does; its event and place stay. Send "
            "`If-Match` with the ETag you read."
        ),
        parameters=[IF_MATCH],
        request=ListenerHandlerWriteSerializer,
        responses=ListenerSerializer,
    )
    def put(self, request: Request, listener_id: uuid.UUID) -> Response:
        incoming = ListenerHandlerWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            listener = _listener_or_404(listener_id, lock=True)
            precondition_check(request, listener_representation(listener))
            before = _listener_record(listener)
            _listener_set(
                event=listener.event,
                app=listener.app,
                flow=listener.user_flow,
                handler=incoming.validated_data["handler"],
            )
            listener = _listener_or_404(listener_id)
            after = _listener_record(listener)
            if after != before:
                api_audit(
                    request,
                    AuditAction.EXTENSION_LISTENER_SET,
                    target=_listener_target(listener),
                    before=before,
                    after=after,
                )
        representation = listener_representation(listener)
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="authentication_event_listeners_delete",
        summary="Delete an authentication event listener",
        description="The event is no longer sent to an extension at that place.",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, listener_id: uuid.UUID) -> Response:
        with transaction.atomic():
            listener = _listener_or_404(listener_id, lock=True)
            precondition_check(request, listener_representation(listener))
            if listener.app is not None:
                token_issuance_listener_remove(app=listener.app)
            elif listener.user_flow is not None:
                flow_listener_set(
                    flow=listener.user_flow,
                    event=ExtensionEvent(listener.event),
                    extension=None,
                    failure_policy=listener.failure_policy,
                )
            else:
                otp_listener_remove()
            api_audit(
                request,
                AuditAction.EXTENSION_LISTENER_REMOVED,
                target=_listener_target(listener),
                details=_listener_record(listener),
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
