"""`/auditLogs`: the tenant's sign-in log (`signIns`) and its audit log (`directoryAudits`),
read only, in Graph's shapes (signIn, directoryAudit) as far as our rows carry them.

Both lists are newest first and keyset-paged by (time, id) (tenants/keyset.py), through the
same selectors the admin center's pages read: a deep page costs what the first does. A
sign-in search that no index serves and that matches little walks the whole range; like the
admin center's page, it is stopped after SEARCH_TIMEOUT_MS and answered with a problem asking
for a narrower filter, so no call holds a database backend for long.
"""

from datetime import UTC, datetime
from typing import Any

from django.utils import translation
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, Page, limit_of, paged_response, paged_serializer
from management.permissions import needs
from monitoring.agents import agent_of
from monitoring.models import ConditionalAccessStatus, SignInEvent, SignInKind, SignInStatus
from monitoring.reasons import OUTCOMES, Reason
from monitoring.selectors import (
    SearchTooSlow,
    SignInFilter,
    sign_in_event_get,
    sign_in_event_page,
)
from tenants.current import current_tenant
from tenants.keyset import Cursor, cursor_read
from tenants.models import AuditAction, AuditEntry
from tenants.schemas import in_public_schema
from tenants.selectors import AuditFilter, audit_entry_get, audit_entry_page

AUDIT_LOG_ROLES = needs(read=("AuditLog.Read.All",))
# As the admin center's sign-in log page (admin_center/monitoring/views.py PAGE_TIMEOUT_MS).
SEARCH_TIMEOUT_MS = 3000
_TEXT_MAX = 254
_ID_MAX = 2**63 - 1

# Graph's conditionalAccessStatus values for ours.
_CONDITIONAL_ACCESS = {
    ConditionalAccessStatus.NOT_APPLIED: "notApplied",
    ConditionalAccessStatus.SUCCESS: "success",
    ConditionalAccessStatus.FAILURE: "failure",
}
# Graph's signInEventTypes for our kinds of sign-in.
_EVENT_TYPES = {
    SignInKind.INTERACTIVE: "interactiveUser",
    SignInKind.SINGLE_SIGN_ON: "interactiveUser",
    SignInKind.CODE_REDEMPTION: "nonInteractiveUser",
    SignInKind.REFRESH: "nonInteractiveUser",
}


class TooBroad(exceptions.APIException):
    """A sign-in search ran past its time limit: the caller narrows it."""

    status_code = 400
    default_detail = (
        "The search took too long: narrow the time range (since, until) or filter by user, "
        "app or IP address."
    )
    default_code = "too_broad"


# --- reading the query ------------------------------------------------------------------------


def _text(request: Request, name: str) -> str:
    value = str(request.query_params.get(name, "")).strip()
    if len(value) > _TEXT_MAX or "\x00" in value:
        raise exceptions.ValidationError({name: [f"At most {_TEXT_MAX} characters of text."]})
    return value


def _when(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        found = parse_datetime(raw) if len(raw) <= 40 else None
    except ValueError:
        found = None
    if found is None:
        raise exceptions.ValidationError(
            {name: ["An ISO 8601 date and time, such as 2026-03-05T08:00:00Z."]}
        )
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _range(request: Request) -> tuple[datetime | None, datetime | None]:
    since, until = _when(request, "since"), _when(request, "until")
    if since is not None and until is not None and since >= until:
        raise exceptions.ValidationError({"until": ["The end comes before the start."]})
    return since, until


def _choice(request: Request, name: str, choices: dict[str, str]) -> str:
    raw = request.query_params.get(name, "")
    if raw and raw not in choices:
        raise exceptions.ValidationError({name: [f"One of: {', '.join(sorted(choices))}."]})
    return choices.get(raw, "")


def _cursor(request: Request) -> Cursor | None:
    token = request.query_params.get("cursor")
    if token is None:
        return None
    cursor = cursor_read(token)
    if cursor is None:
        raise exceptions.ValidationError({"cursor": ["Not a cursor of this list."]})
    return cursor


def _number(raw: str, name: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise exceptions.ValidationError({name: ["A whole number."]})
    return int(raw)


def _ip_address(request: Request) -> str:
    value = _text(request, "ipAddress")
    if value:
        try:
            serializers.IPAddressField().run_validation(value)
        except serializers.ValidationError as error:
            raise exceptions.ValidationError({"ipAddress": ["An IPv4 or IPv6 address."]}) from error
    return value


def sign_in_filter_of(request: Request) -> SignInFilter:
    """The query's filters, as the admin center's form makes them (monitoring/selectors.py)."""
    since, until = _range(request)
    user = _text(request, "userId") or _text(request, "userPrincipalName")
    code = request.query_params.get("errorCode")
    return SignInFilter(
        since=since,
        until=until,
        customer=user,
        client_id=_text(request, "appId"),
        status=_choice(request, "status", {status.value: status.value for status in SignInStatus}),
        ip_address=_ip_address(request),
        kind=_choice(request, "signInType", {kind.value: kind.value for kind in SignInKind}),
        error_code=None if code is None else _number(code, "errorCode"),
    )


# --- shapes -----------------------------------------------------------------------------------


def _failure_reason(reason: str) -> str:
    try:
        outcome = OUTCOMES[Reason(reason)]
    except ValueError:
        return reason
    # The API speaks English whatever the caller's Accept-Language, as Graph's log does.
    with translation.override("en"):
        return "" if reason == Reason.SUCCESS else str(outcome.summary)


def _policies(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [
        {
            "displayName": str(item.get("name", "")),
            "grantControls": [str(item["grant"])] if item.get("grant") else [],
            "result": "reportOnly" if item.get("result") == "report_only" else "applied",
        }
        for item in value
        if isinstance(item, dict)
    ]


def sign_in_representation(event: SignInEvent) -> dict[str, Any]:
    """A sign-in as Graph's signIn resource names its parts (those our log records)."""
    agent = agent_of(event.user_agent)
    details = event.details if isinstance(event.details, dict) else {}
    return {
        "id": str(event.pk),
        "createdDateTime": event.occurred_at.isoformat(),
        "correlationId": event.correlation_id,
        "userId": str(event.customer_object_id) if event.customer_object_id else None,
        "userPrincipalName": event.customer_email,
        "appId": event.client_id,
        "appDisplayName": event.app_name,
        "ipAddress": event.ip_address or "",
        "location": event.location,
        "signInType": event.kind,
        "signInEventTypes": [_EVENT_TYPES.get(SignInKind(event.kind), "interactiveUser")]
        if event.kind in SignInKind.values
        else [],
        "isInteractive": event.kind == SignInKind.INTERACTIVE,
        "status": {
            "errorCode": event.error_code,
            "failureReason": _failure_reason(event.reason),
            "reason": event.reason,
        },
        "authenticationMethodsUsed": list(event.methods),
        "authenticationRequirement": "multiFactorAuthentication"
        if "mfa" in event.methods
        else "singleFactorAuthentication",
        "mfaDetail": {"authDetail": event.mfa_detail} if event.mfa_detail else None,
        "identityProvider": event.identity_provider,
        "conditionalAccessStatus": _CONDITIONAL_ACCESS.get(
            ConditionalAccessStatus(event.conditional_access)
            if event.conditional_access in ConditionalAccessStatus.values
            else ConditionalAccessStatus.NOT_APPLIED,
            "notApplied",
        ),
        "appliedConditionalAccessPolicies": _policies(event.policies),
        "riskLevelDuringSignIn": event.risk_level or "none",
        "userAgent": event.user_agent,
        "deviceDetail": {
            "browser": agent.browser,
            "operatingSystem": agent.operating_system,
            "device": agent.device,
        },
        "additionalDetails": details,
    }


def _initiated_by(entry: AuditEntry) -> dict[str, Any]:
    details = entry.details if isinstance(entry.details, dict) else {}
    calling_app = details.get("calling_app")
    if calling_app and entry.actor_id is None:
        name = entry.actor_email.removesuffix(f" ({calling_app})")
        return {"user": None, "app": {"appId": str(calling_app), "displayName": name}}
    if entry.actor_id is None:
        return {"user": None, "app": None}  # the platform itself ("system")
    return {"user": {"userPrincipalName": entry.actor_email}, "app": None}


def audit_representation(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as Graph's directoryAudit resource names its parts."""
    try:
        with translation.override("en"):
            activity = str(AuditAction(entry.action).label)
    except ValueError:
        activity = entry.action
    details = entry.details if isinstance(entry.details, dict) else {}
    category, _, operation = entry.action.partition(".")
    return {
        "id": str(entry.pk),
        "activityDateTime": entry.occurred_at.isoformat(),
        "activity": entry.action,
        "activityDisplayName": activity,
        "category": category,
        "operationType": operation,
        "result": "success",
        "initiatedBy": _initiated_by(entry),
        "targetResources": [{"displayName": entry.target}] if entry.target else [],
        "additionalDetails": details,
    }


class SignInStatusSerializer(serializers.Serializer):
    errorCode = serializers.IntegerField(
        help_text="0 for a success; AADSTS numbers where Entra has one."
    )
    failureReason = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(help_text="Our name of the outcome (docs/sign-in-log.md).")


class AppliedPolicySerializer(serializers.Serializer):
    displayName = serializers.CharField(allow_blank=True)
    grantControls = serializers.ListField(child=serializers.CharField())
    result = serializers.ChoiceField(choices=["applied", "reportOnly"])


class DeviceDetailSerializer(serializers.Serializer):
    browser = serializers.CharField(allow_blank=True)
    operatingSystem = serializers.CharField(allow_blank=True)
    device = serializers.CharField(allow_blank=True)


class MfaDetailSerializer(serializers.Serializer):
    authDetail = serializers.CharField()


class SignInSerializer(serializers.Serializer):
    id = serializers.CharField()
    createdDateTime = serializers.DateTimeField()
    correlationId = serializers.CharField(allow_blank=True)
    userId = serializers.UUIDField(allow_null=True)
    userPrincipalName = serializers.CharField(allow_blank=True)
    appId = serializers.CharField(allow_blank=True)
    appDisplayName = serializers.CharField(allow_blank=True)
    ipAddress = serializers.CharField(allow_blank=True)
    location = serializers.CharField(allow_blank=True)
    signInType = serializers.ChoiceField(choices=SignInKind.values)
    signInEventTypes = serializers.ListField(child=serializers.CharField())
    isInteractive = serializers.BooleanField()
    status = SignInStatusSerializer()
    authenticationMethodsUsed = serializers.ListField(
        child=serializers.CharField(), help_text="The `amr` values of the sign-in."
    )
    authenticationRequirement = serializers.ChoiceField(
        choices=["singleFactorAuthentication", "multiFactorAuthentication"]
    )
    mfaDetail = MfaDetailSerializer(allow_null=True)
    identityProvider = serializers.CharField(allow_blank=True)
    conditionalAccessStatus = serializers.ChoiceField(choices=["notApplied", "success", "failure"])
    appliedConditionalAccessPolicies = AppliedPolicySerializer(many=True)
    riskLevelDuringSignIn = serializers.CharField()
    userAgent = serializers.CharField(allow_blank=True)
    deviceDetail = DeviceDetailSerializer()
    additionalDetails = serializers.DictField(child=serializers.JSONField())


class InitiatorUserSerializer(serializers.Serializer):
    userPrincipalName = serializers.CharField()


class InitiatorAppSerializer(serializers.Serializer):
    appId = serializers.CharField()
    displayName = serializers.CharField(allow_blank=True)


class InitiatedBySerializer(serializers.Serializer):
    user = InitiatorUserSerializer(allow_null=True)
    app = InitiatorAppSerializer(allow_null=True)


class TargetResourceSerializer(serializers.Serializer):
    displayName = serializers.CharField()


class DirectoryAuditSerializer(serializers.Serializer):
    id = serializers.CharField()
    activityDateTime = serializers.DateTimeField()
    activity = serializers.CharField(help_text="The action's name (tenants.models.AuditAction).")
    activityDisplayName = serializers.CharField()
    category = serializers.CharField()
    operationType = serializers.CharField(allow_blank=True)
    result = serializers.CharField()
    initiatedBy = InitiatedBySerializer()
    targetResources = TargetResourceSerializer(many=True)
    additionalDetails = serializers.DictField(child=serializers.JSONField())


# --- views ------------------------------------------------------------------------------------


def _keyset_response(
    request: Request, rows: list[Any], after: Cursor | None, serialize: Any
) -> Response:
    return paged_response(
        request, Page(rows=rows, next_cursor=after.token() if after else None), serialize
    )


class SignInsView(ManagementView):
    roles = AUDIT_LOG_ROLES

    @extend_schema(
        operation_id="audit_logs_sign_ins_list",
        summary="List sign-ins",
        description=(
            "The tenant's sign-in log, newest first (Graph's signIn). Filters narrow, as the "
            "admin center's do; a search no index serves that runs past "
            f"{SEARCH_TIMEOUT_MS // 1000} s is a 400 asking for a narrower one."
        ),
        parameters=[
            OpenApiParameter("since", str, description="From this time (ISO 8601), inclusive."),
            OpenApiParameter("until", str, description="Before this time (ISO 8601)."),
            OpenApiParameter("userId", str, description="The customer's object ID, or email."),
            OpenApiParameter("userPrincipalName", str, description="The customer's email."),
            OpenApiParameter("appId", str, description="The app's client ID."),
            OpenApiParameter("status", str, enum=["success", "failure"]),
            OpenApiParameter("errorCode", int, description="status.errorCode"),
            OpenApiParameter("ipAddress", str),
            OpenApiParameter("signInType", str, enum=SignInKind.values),
            *PAGING_PARAMETERS,
        ],
        responses=paged_serializer(SignInSerializer, "SignInPage"),
    )
    def get(self, request: Request) -> Response:
        limit = limit_of(request)
        after = _cursor(request)
        found = sign_in_filter_of(request)
        try:
            page = sign_in_event_page(found, after=after, size=limit, timeout_ms=SEARCH_TIMEOUT_MS)
        except SearchTooSlow as error:
            raise TooBroad() from error
        return _keyset_response(request, page.rows, page.next, sign_in_representation)


class SignInView(ManagementView):
    roles = AUDIT_LOG_ROLES

    @extend_schema(
        operation_id="audit_logs_sign_ins_get", summary="Read a sign-in", responses=SignInSerializer
    )
    def get(self, request: Request, sign_in_id: int) -> Response:
        event = sign_in_event_get(sign_in_id) if 0 < sign_in_id <= _ID_MAX else None
        if event is None:
            raise exceptions.NotFound("No sign-in has this ID.")
        return Response(sign_in_representation(event))


def audit_filter_of(request: Request) -> AuditFilter:
    since, until = _range(request)
    return AuditFilter(
        since=since,
        until=until,
        action=_choice(request, "activity", {action.value: action.value for action in AuditAction}),
        actor=_text(request, "initiatedBy"),
        target=_text(request, "target"),
    )


class DirectoryAuditsView(ManagementView):
    roles = AUDIT_LOG_ROLES

    @extend_schema(
        operation_id="audit_logs_directory_audits_list",
        summary="List audit entries",
        description="The tenant's audit log, newest first (Graph's directoryAudit).",
        parameters=[
            OpenApiParameter("since", str, description="From this time (ISO 8601), inclusive."),
            OpenApiParameter("until", str, description="Before this time (ISO 8601)."),
            OpenApiParameter("activity", str, description="An action, such as customer.created."),
            OpenApiParameter(
                "initiatedBy", str, description="An operator's email, exactly, or `system`."
            ),
            OpenApiParameter("target", str, description="Contained in the target's name."),
            *PAGING_PARAMETERS,
        ],
        responses=paged_serializer(DirectoryAuditSerializer, "DirectoryAuditPage"),
    )
    def get(self, request: Request) -> Response:
        limit = limit_of(request)
        after = _cursor(request)
        found = audit_filter_of(request)
        tenant = current_tenant()
        # The audit log lives in the public schema; the tenant's ID keeps the read to its own.
        with in_public_schema():
            page = audit_entry_page(tenant=tenant, found=found, after=after, size=limit)
        return _keyset_response(request, page.rows, page.next, audit_representation)


class DirectoryAuditView(ManagementView):
    roles = AUDIT_LOG_ROLES

    @extend_schema(
        operation_id="audit_logs_directory_audits_get",
        summary="Read an audit entry",
        responses=DirectoryAuditSerializer,
    )
    def get(self, request: Request, entry_id: int) -> Response:
        tenant = current_tenant()
        entry = None
        if 0 < entry_id <= _ID_MAX:
            with in_public_schema():
                entry = audit_entry_get(tenant=tenant, entry_id=entry_id)
        if entry is None:
            raise exceptions.NotFound("No audit entry has this ID.")
        return Response(audit_representation(entry))
