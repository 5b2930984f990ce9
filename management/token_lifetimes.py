"""`/policies/tokenLifetimePolicy`: the tenant's token lifetimes (Entra's configurable token
lifetimes: access and ID tokens, single-page apps' refresh tokens, other refresh tokens).

One row per tenant (apps.models.TokenSettings, made at provisioning). apps.services holds the
bounds; this module shapes JSON and audits as the admin center's token configuration page does
(same action, target, before and after), with the calling app as actor.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.models import TokenSettings
from apps.selectors import token_settings
from apps.services import token_settings_update
from management.auditing import api_audit
from management.base import ManagementView
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.problems import django_validation_errors
from management.strict import StrictSerializer
from tenants.models import AuditAction

LIFETIME_ROLES = needs(
    read=("Policy.Read.All",), write=("Policy.ReadWrite.ApplicationConfiguration",)
)
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)

# TokenSettings' fields → the API's names (the admin center's audit entries use the fields').
LIFETIME_NAMES = {
    "access_token_minutes": "accessTokenLifetimeInMinutes",
    "id_token_minutes": "idTokenLifetimeInMinutes",
    "spa_refresh_token_hours": "spaRefreshTokenLifetimeInHours",
    "refresh_token_days": "refreshTokenLifetimeInDays",
}


class TokenLifetimePolicySerializer(serializers.Serializer):
    id = serializers.CharField()
    displayName = serializers.CharField()
    accessTokenLifetimeInMinutes = serializers.IntegerField(
        help_text="Access tokens' lifetime (10 to 1440)."
    )
    idTokenLifetimeInMinutes = serializers.IntegerField(
        help_text="ID tokens' lifetime (10 to 1440)."
    )
    spaRefreshTokenLifetimeInHours = serializers.IntegerField(
        help_text="Refresh tokens issued for single-page redirect URIs (1 to 24): a fixed "
        "lifetime, not extended by use."
    )
    refreshTokenLifetimeInDays = serializers.IntegerField(
        help_text="Other refresh tokens' lifetime (1 to 365)."
    )


class TokenLifetimePolicyUpdateSerializer(StrictSerializer):
    # The bounds token_settings_update holds, repeated so that the OpenAPI document shows them;
    # the service stays the rule.
    accessTokenLifetimeInMinutes = serializers.IntegerField(
        required=False, min_value=10, max_value=1440
    )
    idTokenLifetimeInMinutes = serializers.IntegerField(
        required=False, min_value=10, max_value=1440
    )
    spaRefreshTokenLifetimeInHours = serializers.IntegerField(
        required=False, min_value=1, max_value=24
    )
    refreshTokenLifetimeInDays = serializers.IntegerField(
        required=False, min_value=1, max_value=365
    )


def lifetimes_representation(row: TokenSettings) -> dict[str, Any]:
    return {
        "id": "tokenLifetimePolicy",
        "displayName": "Token lifetimes",
        **{api: getattr(row, field) for field, api in LIFETIME_NAMES.items()},
    }


class TokenLifetimePolicyView(ManagementView):
    roles = LIFETIME_ROLES

    @extend_schema(
        operation_id="token_lifetime_policy_get",
        summary="Read the token lifetimes",
        description="The lifetimes of the tokens the tenant issues.",
        responses=TokenLifetimePolicySerializer,
    )
    def get(self, request: Request) -> Response:
        representation = lifetimes_representation(token_settings())
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="token_lifetime_policy_update",
        summary="Change the token lifetimes",
        description=(
            "Only the lifetimes sent change; tokens already issued keep theirs. Each node "
            "applies a change within 5 seconds. Send `If-Match` with the ETag you read."
        ),
        parameters=[IF_MATCH],
        request=TokenLifetimePolicyUpdateSerializer,
        responses=TokenLifetimePolicySerializer,
    )
    def patch(self, request: Request) -> Response:
        incoming = TokenLifetimePolicyUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        field_of = {api: field for field, api in LIFETIME_NAMES.items()}
        wanted = {field_of[api]: value for api, value in incoming.validated_data.items()}
        with transaction.atomic():
            # Under a lock, so that two changes sent with one ETag cannot both pass If-Match.
            row = TokenSettings.objects.select_for_update().filter(singleton=True).first()
            row = row or token_settings()
            precondition_check(request, lifetimes_representation(row))
            before = {field: getattr(row, field) for field in LIFETIME_NAMES}
            after = {**before, **wanted}
            if after != before:
                try:
                    row = token_settings_update(**after)
                except ValidationError as error:
                    raise exceptions.ValidationError(
                        {
                            LIFETIME_NAMES.get(key, key): messages
                            for key, messages in django_validation_errors(error).items()
                        }
                    ) from error
                api_audit(
                    request,
                    AuditAction.TOKEN_LIFETIMES_UPDATED,
                    target="Token lifetimes",
                    before=before,
                    after=after,
                )
        representation = lifetimes_representation(row)
        return with_etag(Response(representation), representation)
