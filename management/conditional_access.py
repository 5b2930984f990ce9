"""`/identity/conditionalAccess/policies` and `/identity/conditionalAccess/namedLocations`:
the tenant's conditional access policies and the IP-range locations they name, in Graph's
shapes (conditionalAccessPolicy, ipNamedLocation) as far as the product has the concepts.

Graph's values map onto the room's: `state` enabled / disabled / enabledForReportingButNotEnforced
is on / off / report-only; `conditions.users.includeUsers` is always `["All"]` (customers are
excluded by object ID); `includeApplications` `["All"]` or client IDs; `includeLocations`
`["All"]`, `["AllTrusted"]` or named location IDs, `excludeLocations` named location IDs and
`"AllTrusted"`; `grantControls.builtInControls` exactly one of `block`, `mfa`. An update
(PATCH) sends only what changes; what it sends of `conditions` replaces that part
(`users`, `applications`, `locations`, `signInRiskLevels`). protection/conditional_access.py
holds the rules; this module maps names and audits as the admin center does.
"""

import uuid
from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import Conflict
from management.strict import StrictSerializer
from protection.conditional_access import (
    MAX_APPS,
    MAX_EXCLUDED_CUSTOMERS,
    MAX_IP_RANGES,
    ConditionalAccessInvalid,
    NamedLocationInUse,
    PolicySettings,
    conditional_access_policy_create,
    conditional_access_policy_delete,
    conditional_access_policy_update,
    named_location_create,
    named_location_delete,
    named_location_update,
)
from protection.models import ConditionalAccessPolicy, LocationScope, NamedLocation, PolicyState
from protection.selectors import (
    policy_audit_fields,
    policy_audit_target,
)
from tenants.models import AuditAction

CA_ROLES = needs(read=("Policy.Read.All",), write=("Policy.ReadWrite.ConditionalAccess",))
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)
ALL = "All"
ALL_TRUSTED = "AllTrusted"

STATE_OF = {
    PolicyState.ON: "enabled",
    PolicyState.OFF: "disabled",
    PolicyState.REPORT_ONLY: "enabledForReportingButNotEnforced",
}
STATE_FROM = {api: state for state, api in STATE_OF.items()}

# The service's argument names → where the API has the value.
_POLICY_FIELDS = {
    "name": "displayName",
    "state": "state",
    "grant": "grantControls.builtInControls",
    "excluded_customer_emails": "conditions.users.excludeUsers",
    "client_ids": "conditions.applications.includeApplications",
    "excluded_client_ids": "conditions.applications.excludeApplications",
    "risk_levels": "conditions.signInRiskLevels",
    "locations": "conditions.locations.includeLocations",
    "included_location_ids": "conditions.locations.includeLocations",
    "excluded_location_ids": "conditions.locations.excludeLocations",
    "__all__": "",
}
_LOCATION_FIELDS = {"name": "displayName", "ip_ranges": "ipRanges", "__all__": ""}


def _name() -> serializers.CharField:
    return serializers.CharField(max_length=256, trim_whitespace=False)


def _id_text() -> serializers.CharField:
    return serializers.CharField(max_length=100)


def _invalid(
    invalid: ConditionalAccessInvalid, names: dict[str, str]
) -> exceptions.ValidationError:
    errors: dict[str, list[str]] = {}
    for field, messages in invalid.errors.items():
        errors.setdefault(names.get(field, field), []).extend(str(m) for m in messages)
    return exceptions.ValidationError(errors)


class UsersConditionSerializer(StrictSerializer):
    includeUsers = serializers.ListField(
        child=serializers.ChoiceField(choices=[ALL]),
        min_length=1,
        max_length=1,
        help_text='Always `["All"]`: every customer but those excluded.',
    )
    excludeUsers = serializers.ListField(
        child=serializers.UUIDField(), max_length=MAX_EXCLUDED_CUSTOMERS
    )


class ApplicationsConditionSerializer(StrictSerializer):
    includeApplications = serializers.ListField(
        child=_id_text(),
        min_length=1,
        max_length=MAX_APPS,
        help_text='`["All"]`, or the client IDs of the apps the policy covers.',
    )
    excludeApplications = serializers.ListField(child=_id_text(), max_length=MAX_APPS)


class LocationsConditionSerializer(StrictSerializer):
    includeLocations = serializers.ListField(
        child=_id_text(),
        min_length=1,
        max_length=200,
        help_text='`["All"]`, `["AllTrusted"]`, or named location IDs.',
    )
    excludeLocations = serializers.ListField(
        child=_id_text(),
        max_length=200,
        help_text='Named location IDs, and `"AllTrusted"` for every trusted location.',
    )


class ConditionsSerializer(StrictSerializer):
    users = UsersConditionSerializer()
    applications = ApplicationsConditionSerializer()
    locations = LocationsConditionSerializer()
    signInRiskLevels = serializers.ListField(
        child=serializers.ChoiceField(choices=["low", "medium", "high"]),
        max_length=3,
        help_text="Empty: any risk.",
    )


class GrantControlsSerializer(StrictSerializer):
    operator = serializers.ChoiceField(choices=["OR"])
    builtInControls = serializers.ListField(
        child=serializers.ChoiceField(choices=["block", "mfa"]), min_length=1, max_length=1
    )


class PolicyWriteSerializer(StrictSerializer):
    displayName = _name()
    state = serializers.ChoiceField(choices=list(STATE_FROM))
    conditions = ConditionsSerializer()
    grantControls = GrantControlsSerializer()


class PolicySerializer(PolicyWriteSerializer):
    id = serializers.UUIDField()
    createdDateTime = serializers.DateTimeField()
    modifiedDateTime = serializers.DateTimeField()


def policy_representation(policy: ConditionalAccessPolicy) -> dict[str, Any]:
    """The policy in Graph's shape (call in the tenant's schema)."""
    if policy.locations == LocationScope.SELECTED:
        included = sorted(str(location.location_id) for location in policy.included_locations.all())
    else:
        included = [ALL_TRUSTED if policy.locations == LocationScope.TRUSTED else ALL]
    excluded = sorted(str(location.location_id) for location in policy.excluded_locations.all())
    if policy.exclude_trusted_locations:
        excluded.insert(0, ALL_TRUSTED)
    return {
        "id": str(policy.policy_id),
        "displayName": policy.name,
        "state": STATE_OF[PolicyState(policy.state)],
        "createdDateTime": policy.created_at.isoformat(),
        "modifiedDateTime": policy.updated_at.isoformat(),
        "conditions": {
            "users": {
                "includeUsers": [ALL],
                "excludeUsers": sorted(
                    str(object_id)
                    for object_id in policy.excluded_customers.values_list("object_id", flat=True)
                ),
            },
            "applications": {
                "includeApplications": [ALL] if policy.all_apps else list(policy.client_ids),
                "excludeApplications": list(policy.excluded_client_ids),
            },
            "locations": {"includeLocations": included, "excludeLocations": excluded},
            "signInRiskLevels": list(policy.risk_levels),
        },
        "grantControls": {"operator": "OR", "builtInControls": [policy.grant]},
    }


def _emails_of(object_ids: list[uuid.UUID]) -> list[str]:
    """The excluded customers' addresses, as the service names them; an ID no customer has
    is a field error."""
    found = dict(
        User.objects.filter(object_id__in=object_ids, deleted_at__isnull=True).values_list(
            "object_id", "email"
        )
    )
    unknown = [str(object_id) for object_id in object_ids if object_id not in found]
    if unknown:
        raise exceptions.ValidationError(
            {"conditions.users.excludeUsers": [f"No customer has the ID {unknown[0]}."]}
        )
    return [found[object_id] for object_id in object_ids]


def _settings_of(data: dict[str, Any]) -> PolicySettings:
    """The service's settings of a policy in the API's (validated) shape."""
    conditions = data["conditions"]
    apps = conditions["applications"]["includeApplications"]
    all_apps = apps == [ALL]
    if ALL in apps and not all_apps:
        raise exceptions.ValidationError(
            {"conditions.applications.includeApplications": ['"All" stands alone.']}
        )
    included = conditions["locations"]["includeLocations"]
    excluded = conditions["locations"]["excludeLocations"]
    included_ids: list[str] = []
    if included == [ALL]:
        scope = LocationScope.ANY
    elif included == [ALL_TRUSTED]:
        scope = LocationScope.TRUSTED
    else:
        scope, included_ids = LocationScope.SELECTED, included
    return PolicySettings(
        name=data["displayName"],
        state=STATE_FROM[data["state"]],
        grant=data["grantControls"]["builtInControls"][0],
        excluded_customer_emails=_emails_of(conditions["users"]["excludeUsers"]),
        all_apps=all_apps,
        client_ids=[] if all_apps else apps,
        excluded_client_ids=conditions["applications"]["excludeApplications"],
        risk_levels=conditions["signInRiskLevels"],
        locations=scope,
        included_location_ids=included_ids,
        exclude_trusted_locations=ALL_TRUSTED in excluded,
        excluded_location_ids=[value for value in excluded if value != ALL_TRUSTED],
    )


def _merged(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The policy after a PATCH: top-level values and each part of `conditions` replaced."""
    writable = ("displayName", "state", "conditions", "grantControls")
    merged = {key: patch.get(key, current[key]) for key in writable}
    merged["conditions"] = {**current["conditions"], **patch.get("conditions", {})}
    return merged


def _policy_or_404(policy_id: uuid.UUID, *, lock: bool = False) -> ConditionalAccessPolicy:
    policies = (
        ConditionalAccessPolicy.objects.select_for_update()
        if lock
        else ConditionalAccessPolicy.objects.all()
    )
    policy: ConditionalAccessPolicy | None = policies.filter(policy_id=policy_id).first()
    if policy is None:
        raise exceptions.NotFound("No conditional access policy has this ID.")
    return policy


def _partial(serializer: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """A PATCH body checked: every field optional, but each part sent complete."""
    incoming = serializer(data=data, partial=True)
    incoming.is_valid(raise_exception=True)
    return dict(incoming.initial_data)


class PoliciesView(ManagementView):
    roles = CA_ROLES

    @extend_schema(
        operation_id="conditional_access_policies_list",
        summary="List conditional access policies",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(PolicySerializer, "ConditionalAccessPolicyPage"),
    )
    def get(self, request: Request) -> Response:
        page = id_page(ConditionalAccessPolicy.objects.all(), request=request)
        return paged_response(request, page, policy_representation)

    @extend_schema(
        operation_id="conditional_access_policies_create",
        summary="Create a conditional access policy",
        description="Entra suggests `enabledForReportingButNotEnforced` until its sign-in log "
        "shows what the policy would do.",
        request=PolicyWriteSerializer,
        responses={201: PolicySerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = PolicyWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            try:
                policy = conditional_access_policy_create(
                    settings=_settings_of(incoming.validated_data)
                )
            except ConditionalAccessInvalid as invalid:
                raise _invalid(invalid, _POLICY_FIELDS) from invalid
            api_audit(
                request,
                AuditAction.CONDITIONAL_ACCESS_POLICY_ADDED,
                target=policy_audit_target(policy),
                details=policy_audit_fields(policy),
            )
            representation = policy_representation(policy)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{policy.policy_id}"},
        )
        return with_etag(response, representation)


class PolicyView(ManagementView):
    roles = CA_ROLES

    @extend_schema(
        operation_id="conditional_access_policies_get",
        summary="Read a conditional access policy",
        responses=PolicySerializer,
    )
    def get(self, request: Request, policy_id: uuid.UUID) -> Response:
        representation = policy_representation(_policy_or_404(policy_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="conditional_access_policies_update",
        summary="Update a conditional access policy",
        description=(
            "Only what is sent changes; each part of `conditions` sent replaces that part. "
            "Send `If-Match` with the ETag you read."
        ),
        parameters=[IF_MATCH],
        request=PolicyWriteSerializer,
        responses=PolicySerializer,
    )
    def patch(self, request: Request, policy_id: uuid.UUID) -> Response:
        patch = _partial(PolicyWriteSerializer, request.data)
        with transaction.atomic():
            policy = _policy_or_404(policy_id, lock=True)
            current = policy_representation(policy)
            precondition_check(request, current)
            incoming = PolicyWriteSerializer(data=_merged(current, patch))
            incoming.is_valid(raise_exception=True)
            before = {"name": policy.name, **policy_audit_fields(policy)}
            try:
                conditional_access_policy_update(
                    policy=policy, settings=_settings_of(incoming.validated_data)
                )
            except ConditionalAccessInvalid as invalid:
                raise _invalid(invalid, _POLICY_FIELDS) from invalid
            representation = policy_representation(policy)
            after = {"name": policy.name, **policy_audit_fields(policy)}
            if after != before:
                api_audit(
                    request,
                    AuditAction.CONDITIONAL_ACCESS_POLICY_UPDATED,
                    target=policy_audit_target(policy),
                    before=before,
                    after=after,
                )
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="conditional_access_policies_delete",
        summary="Delete a conditional access policy",
        description="Sign-ins are no longer evaluated against it.",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, policy_id: uuid.UUID) -> Response:
        with transaction.atomic():
            policy = _policy_or_404(policy_id, lock=True)
            precondition_check(request, policy_representation(policy))
            record = policy_audit_fields(policy)
            target = policy_audit_target(policy)
            conditional_access_policy_delete(policy=policy)
            api_audit(
                request,
                AuditAction.CONDITIONAL_ACCESS_POLICY_REMOVED,
                target=target,
                details=record,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class IpRangeSerializer(StrictSerializer):
    cidrAddress = serializers.CharField(
        max_length=64, help_text="IPv4 or IPv6 in CIDR notation, /8 or narrower."
    )


class NamedLocationWriteSerializer(StrictSerializer):
    displayName = _name()
    ipRanges = IpRangeSerializer(many=True, max_length=MAX_IP_RANGES)
    isTrusted = serializers.BooleanField(required=False, default=False)


class NamedLocationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = serializers.CharField()
    ipRanges = IpRangeSerializer(many=True)
    isTrusted = serializers.BooleanField()
    createdDateTime = serializers.DateTimeField()
    modifiedDateTime = serializers.DateTimeField()


def location_representation(location: NamedLocation) -> dict[str, Any]:
    return {
        "id": str(location.location_id),
        "displayName": location.name,
        "ipRanges": [{"cidrAddress": value} for value in location.ip_ranges],
        "isTrusted": location.trusted,
        "createdDateTime": location.created_at.isoformat(),
        "modifiedDateTime": location.updated_at.isoformat(),
    }


def _location_record(location: NamedLocation) -> dict[str, object]:
    return {"name": location.name, "ip_ranges": location.ip_ranges, "trusted": location.trusted}


def _location_target(location: NamedLocation) -> str:
    return f"{location.name} ({location.location_id})"


def _location_or_404(location_id: uuid.UUID, *, lock: bool = False) -> NamedLocation:
    locations = NamedLocation.objects.select_for_update() if lock else NamedLocation.objects.all()
    location: NamedLocation | None = locations.filter(location_id=location_id).first()
    if location is None:
        raise exceptions.NotFound("No named location has this ID.")
    return location


def _ranges(data: dict[str, Any]) -> list[str]:
    return [entry["cidrAddress"] for entry in data["ipRanges"]]


class NamedLocationsView(ManagementView):
    roles = CA_ROLES

    @extend_schema(
        operation_id="named_locations_list",
        summary="List named locations",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(NamedLocationSerializer, "NamedLocationPage"),
    )
    def get(self, request: Request) -> Response:
        page = id_page(NamedLocation.objects.all(), request=request)
        return paged_response(request, page, location_representation)

    @extend_schema(
        operation_id="named_locations_create",
        summary="Create a named location",
        description="IP ranges (IPv4 and IPv6); names are unique, ignoring case.",
        request=NamedLocationWriteSerializer,
        responses={201: NamedLocationSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = NamedLocationWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            try:
                location = named_location_create(
                    name=data["displayName"], ip_ranges=_ranges(data), trusted=data["isTrusted"]
                )
            except ConditionalAccessInvalid as invalid:
                raise _invalid(invalid, _LOCATION_FIELDS) from invalid
            api_audit(
                request,
                AuditAction.NAMED_LOCATION_ADDED,
                target=_location_target(location),
                details=_location_record(location),
            )
        representation = location_representation(location)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{location.location_id}"},
        )
        return with_etag(response, representation)


class NamedLocationView(ManagementView):
    roles = CA_ROLES

    @extend_schema(
        operation_id="named_locations_get",
        summary="Read a named location",
        responses=NamedLocationSerializer,
    )
    def get(self, request: Request, location_id: uuid.UUID) -> Response:
        representation = location_representation(_location_or_404(location_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="named_locations_update",
        summary="Update a named location",
        description=(
            "Only what is sent changes (`ipRanges` sent replaces them all); the policies that "
            "name it apply the new ranges at their next sign-in. Send `If-Match`."
        ),
        parameters=[IF_MATCH],
        request=NamedLocationWriteSerializer,
        responses=NamedLocationSerializer,
    )
    def patch(self, request: Request, location_id: uuid.UUID) -> Response:
        incoming = NamedLocationWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with transaction.atomic():
            location = _location_or_404(location_id, lock=True)
            precondition_check(request, location_representation(location))
            before = _location_record(location)
            try:
                named_location_update(
                    location=location,
                    name=data.get("displayName", location.name),
                    ip_ranges=_ranges(data) if "ipRanges" in data else location.ip_ranges,
                    trusted=data.get("isTrusted", location.trusted),
                )
            except ConditionalAccessInvalid as invalid:
                raise _invalid(invalid, _LOCATION_FIELDS) from invalid
            after = _location_record(location)
            if after != before:
                api_audit(
                    request,
                    AuditAction.NAMED_LOCATION_UPDATED,
                    target=_location_target(location),
                    before=before,
                    after=after,
                )
        representation = location_representation(location)
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="named_locations_delete",
        summary="Delete a named location",
        description="Refused (409) while a policy includes or excludes it.",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, location_id: uuid.UUID) -> Response:
        with transaction.atomic():
            location = _location_or_404(location_id, lock=True)
            precondition_check(request, location_representation(location))
            record = _location_record(location)
            target = _location_target(location)
            try:
                named_location_delete(location=location)
            except NamedLocationInUse as in_use:
                raise Conflict(
                    "Policies name this location: " + ", ".join(in_use.policy_names)
                ) from in_use
            api_audit(request, AuditAction.NAMED_LOCATION_REMOVED, target=target, details=record)
        return Response(status=status.HTTP_204_NO_CONTENT)
