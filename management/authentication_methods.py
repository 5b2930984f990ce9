"""`/policies/authenticationMethodsPolicy`: the second factors the tenant offers (Graph's
authenticationMethodsPolicy, its `authenticationMethodConfigurations` by Graph's method IDs),
and `/policies/authenticationMethodsPolicy/passwordProtection`: smart lockout, the request
limits and the breached-password refusal (Entra's Password protection page).

Both are one row per tenant, made on the first save; a tenant that never saved one answers the
defaults with `lastModifiedDateTime: null` (so its ETag holds until the first change). The
services in protection/ hold the rules; this module shapes JSON and audits as the admin
center's pages do (same actions, targets, before and after).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from management.auditing import api_audit
from management.base import ManagementView
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import django_validation_errors
from management.strict import StrictSerializer
from protection.methods import authentication_methods_policy_update
from protection.models import AuthenticationMethodsPolicy, SignInProtection
from protection.services import sign_in_protection_update
from tenants.models import AuditAction

METHOD_ROLES = needs(read=("Policy.Read.All",), write=("Policy.ReadWrite.AuthenticationMethod",))
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)

# Graph's method configuration IDs → the policy's fields.
METHOD_FIELDS = {
    "email": "email_otp_enabled",
    "softwareOath": "totp_enabled",
    "fido2": "passkeys_enabled",
}
# The admin center's page records these names (admin_center/protection/methods.py).
_METHOD_RECORD = tuple(METHOD_FIELDS.values())


class MethodConfigurationSerializer(StrictSerializer):
    id = serializers.ChoiceField(
        choices=list(METHOD_FIELDS),
        help_text="`email` (one-time passcode), `softwareOath` (authenticator app), `fido2` "
        "(passkeys).",
    )
    state = serializers.ChoiceField(choices=["enabled", "disabled"])


class AuthenticationMethodsPolicySerializer(serializers.Serializer):
    id = serializers.CharField()
    displayName = serializers.CharField()
    lastModifiedDateTime = serializers.DateTimeField(allow_null=True)
    authenticationMethodConfigurations = MethodConfigurationSerializer(many=True)


class AuthenticationMethodsPolicyUpdateSerializer(StrictSerializer):
    authenticationMethodConfigurations = MethodConfigurationSerializer(
        many=True, required=False, help_text="Only the methods listed change."
    )

    def validate_authenticationMethodConfigurations(
        self, value: list[dict[str, str]]
    ) -> list[dict[str, str]]:
        ids = [entry["id"] for entry in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("Each method at most once.")
        return value


def _modified(row: AuthenticationMethodsPolicy | SignInProtection) -> str | None:
    # An unsaved row is the defaults: its updated_at is the time of this read, not a change.
    return row.updated_at.isoformat() if row.pk is not None else None


def methods_representation(policy: AuthenticationMethodsPolicy) -> dict[str, Any]:
    return {
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "lastModifiedDateTime": _modified(policy),
        "authenticationMethodConfigurations": [
            {"id": method, "state": "enabled" if getattr(policy, field) else "disabled"}
            for method, field in METHOD_FIELDS.items()
        ],
    }


def _methods_locked() -> AuthenticationMethodsPolicy:
    """The row under a lock until the transaction ends, or the defaults (no row to lock: two
    first saves at once both pass If-Match, and the service's get_or_create keeps one row)."""
    return (
        AuthenticationMethodsPolicy.objects.select_for_update().first()
        or AuthenticationMethodsPolicy()
    )


class AuthenticationMethodsPolicyView(ManagementView):
    roles = METHOD_ROLES

    @extend_schema(
        operation_id="authentication_methods_policy_get",
        summary="Read the authentication methods policy",
        description="Which second factors the tenant offers.",
        responses=AuthenticationMethodsPolicySerializer,
    )
    def get(self, request: Request) -> Response:
        representation = methods_representation(
            AuthenticationMethodsPolicy.objects.first() or AuthenticationMethodsPolicy()
        )
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="authentication_methods_policy_update",
        summary="Enable or disable authentication methods",
        description=(
            "Only the methods listed change. The emailed code is never the second factor of a "
            "sign-in that began with an emailed code. Send `If-Match` with the ETag you read."
        ),
        parameters=[IF_MATCH],
        request=AuthenticationMethodsPolicyUpdateSerializer,
        responses=AuthenticationMethodsPolicySerializer,
    )
    def patch(self, request: Request) -> Response:
        incoming = AuthenticationMethodsPolicyUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        wanted = {
            METHOD_FIELDS[entry["id"]]: entry["state"] == "enabled"
            for entry in incoming.validated_data.get("authenticationMethodConfigurations", [])
        }
        with transaction.atomic():
            policy = _methods_locked()
            precondition_check(request, methods_representation(policy))
            before = {name: getattr(policy, name) for name in _METHOD_RECORD}
            after = {**before, **wanted}
            if after != before:
                policy = authentication_methods_policy_update(**after)
                api_audit(
                    request,
                    AuditAction.AUTHENTICATION_METHODS_UPDATED,
                    target="Authentication methods",
                    before=before,
                    after=after,
                )
        representation = methods_representation(policy)
        return with_etag(Response(representation), representation)


# The API's names of SignInProtection's fields.
PROTECTION_NAMES = {
    "lockout_threshold": "lockoutThreshold",
    "lockout_seconds": "lockoutDurationInSeconds",
    "requests_per_second_per_address": "requestsPerSecondPerAddress",
    "requests_per_second_per_tenant": "requestsPerSecondPerTenant",
    "breached_passwords_refused": "breachedPasswordsRefused",
}


class PasswordProtectionSerializer(serializers.Serializer):
    lockoutThreshold = serializers.IntegerField(
        help_text="Failed passwords before an account is locked, per kind of source (1 to 1000)."
    )
    lockoutDurationInSeconds = serializers.IntegerField(
        help_text="The first lockout's length (5 to 86400); each repeat doubles it."
    )
    requestsPerSecondPerAddress = serializers.IntegerField(
        help_text="Requests a second from one IP address (1 to 10000), at most the tenant's."
    )
    requestsPerSecondPerTenant = serializers.IntegerField(
        help_text="Requests a second for the whole tenant (1 to 100000)."
    )
    breachedPasswordsRefused = serializers.BooleanField(
        help_text="Refuse passwords found in data breaches at sign-up, reset and change."
    )
    lastModifiedDateTime = serializers.DateTimeField(allow_null=True)


class PasswordProtectionUpdateSerializer(StrictSerializer):
    lockoutThreshold = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    lockoutDurationInSeconds = serializers.IntegerField(
        required=False, min_value=5, max_value=86400
    )
    requestsPerSecondPerAddress = serializers.IntegerField(
        required=False, min_value=1, max_value=10000
    )
    requestsPerSecondPerTenant = serializers.IntegerField(
        required=False, min_value=1, max_value=100000
    )
    breachedPasswordsRefused = serializers.BooleanField(required=False)


def protection_representation(protection: SignInProtection) -> dict[str, Any]:
    return {
        **{api: getattr(protection, field) for field, api in PROTECTION_NAMES.items()},
        "lastModifiedDateTime": _modified(protection),
    }


class PasswordProtectionView(ManagementView):
    roles = METHOD_ROLES

    @extend_schema(
        operation_id="password_protection_get",
        summary="Read password protection",
        description="Smart lockout, the request limits and the breached-password refusal.",
        responses=PasswordProtectionSerializer,
    )
    def get(self, request: Request) -> Response:
        representation = protection_representation(
            SignInProtection.objects.first() or SignInProtection()
        )
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="password_protection_update",
        summary="Change password protection",
        description=(
            "Only the settings sent change; all are saved or none. Failure counts under way "
            "start over when the threshold changes. Send `If-Match` with the ETag you read."
        ),
        parameters=[IF_MATCH],
        request=PasswordProtectionUpdateSerializer,
        responses=PasswordProtectionSerializer,
    )
    def patch(self, request: Request) -> Response:
        incoming = PasswordProtectionUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        field_of = {api: field for field, api in PROTECTION_NAMES.items()}
        wanted = {field_of[api]: value for api, value in incoming.validated_data.items()}
        with transaction.atomic():
            protection = SignInProtection.objects.select_for_update().first() or SignInProtection()
            precondition_check(request, protection_representation(protection))
            before = {field: getattr(protection, field) for field in PROTECTION_NAMES}
            after = {**before, **wanted}
            if after != before:
                try:
                    protection = sign_in_protection_update(**after)
                except ValidationError as error:
                    raise exceptions.ValidationError(
                        {
                            PROTECTION_NAMES.get(key, key): messages
                            for key, messages in django_validation_errors(error).items()
                        }
                    ) from error
                api_audit(
                    request,
                    AuditAction.SIGN_IN_PROTECTION_UPDATED,
                    target="Password protection",
                    before=before,
                    after=after,
                )
        representation = protection_representation(protection)
        return with_etag(Response(representation), representation)
