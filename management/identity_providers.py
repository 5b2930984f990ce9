"""`/identity/identityProviders`: the tenant's Google, Facebook, Apple and OpenID Connect
providers (Graph's identityProviderBase and its kinds).

A provider's ID is its identifier in its callback URL (`google`, `facebook`, `apple`, or an
OpenID Provider's own). The client secret, and the private key of Apple and of
`private_key_jwt`, are write-only: every answer carries `"clientSecret": "******"`, never the
secret; a `private_key_jwt` provider answers the certificate of its key (the public half, to
register at the provider). federation/services.py validates the whole registration (an OpenID
Provider's discovery document fetched and checked) and stores nothing unless all of it passes;
this module shapes JSON and audits as the admin center does, never with a secret.
"""

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from federation.exceptions import IdentityProviderInvalid
from federation.models import ClientAuthentication, IdentityProvider
from federation.selectors import (
    callback_path,
    claims_mapping_of,
    identity_provider_certificate,
    identity_provider_linked_count,
    provider_audit_fields,
    provider_audit_target,
)
from federation.services import (
    identity_provider_create,
    identity_provider_delete,
    identity_provider_update,
)
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import precondition_check, with_etag
from management.strict import StrictSerializer
from management.userflows import PROVIDER_TYPES
from tenants.current import current_tenant
from tenants.models import AuditAction
from tenants.selectors import tenant_base_url

PROVIDER_ROLES = needs(
    read=("IdentityProvider.Read.All",), write=("IdentityProvider.ReadWrite.All",)
)
KIND_FOR_TYPE = {api: kind for kind, api in PROVIDER_TYPES.items()}
SECRET_MASK = "******"

_SERVICE_FIELD = {
    "kind": "identityProviderType",
    "display_name": "displayName",
    "client_id": "clientId",
    "secret": "clientSecret",
    "slug": "id",
    "well_known_url": "wellKnownEndpoint",
    "key_id": "keyId",
    "team_id": "developerId",
    "scopes": "scopes",
    "claims_mapping": "claimsMapping",
    "client_authentication": "clientAuthentication",
    "generate_key_pair": "generateKeyPair",
    "trusted_for_email": "trustedForEmail",
}
_API_FIELD = {api: field for field, api in _SERVICE_FIELD.items()}


class IdentityProviderSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Its identifier in the callback URL.")
    identityProviderType = serializers.ChoiceField(choices=list(KIND_FOR_TYPE))
    displayName = serializers.CharField()
    clientId = serializers.CharField()
    clientSecret = serializers.CharField(
        help_text=f"Write-only: always `{SECRET_MASK}` (the secret or private key is never "
        "answered)."
    )
    keyId = serializers.CharField(allow_blank=True)
    developerId = serializers.CharField(allow_blank=True, help_text="Apple's team ID.")
    clientAuthentication = serializers.ChoiceField(choices=ClientAuthentication.values)
    wellKnownEndpoint = serializers.CharField(allow_blank=True)
    issuer = serializers.CharField(allow_blank=True)
    scopes = serializers.ListField(child=serializers.CharField())
    claimsMapping = serializers.DictField(
        child=serializers.CharField(), help_text="Our attribute → the provider's claim."
    )
    trustedForEmail = serializers.BooleanField()
    redirectUri = serializers.CharField(help_text="The redirect URI to register at the provider.")
    certificate = serializers.CharField(
        allow_null=True, help_text="private_key_jwt: the certificate of our key (PEM)."
    )
    createdDateTime = serializers.DateTimeField()


def _changes_fields(*, creating: bool) -> dict[str, serializers.Field]:
    optional = {"required": False}
    fields: dict[str, serializers.Field] = {
        "displayName": serializers.CharField(max_length=128, **({} if creating else optional)),
        "clientId": serializers.CharField(max_length=255, **({} if creating else optional)),
        "clientSecret": serializers.CharField(
            allow_blank=True,
            trim_whitespace=False,
            max_length=16 * 1024,
            help_text="The client secret, or the private key (PEM) for Apple and "
            "private_key_jwt. Empty keeps the stored one.",
            **optional,
        ),
        "keyId": serializers.CharField(max_length=64, allow_blank=True, **optional),
        "developerId": serializers.CharField(max_length=64, allow_blank=True, **optional),
        "clientAuthentication": serializers.ChoiceField(
            choices=ClientAuthentication.values, **optional
        ),
        "wellKnownEndpoint": serializers.CharField(max_length=2048, allow_blank=True, **optional),
        "scopes": serializers.ListField(
            child=serializers.CharField(max_length=256), max_length=50, **optional
        ),
        "claimsMapping": serializers.DictField(child=serializers.CharField(), **optional),
        "trustedForEmail": serializers.BooleanField(**optional),
        "generateKeyPair": serializers.BooleanField(
            help_text="private_key_jwt: make a new RSA key pair here.", **optional
        ),
    }
    if creating:
        fields["identityProviderType"] = serializers.ChoiceField(choices=list(KIND_FOR_TYPE))
        fields["id"] = serializers.SlugField(
            max_length=64,
            help_text="OpenID Connect: the identifier (from the name if not sent).",
            **optional,
        )
    return fields


IdentityProviderCreateSerializer = type(
    "IdentityProviderCreateSerializer", (StrictSerializer,), _changes_fields(creating=True)
)
IdentityProviderUpdateSerializer = type(
    "IdentityProviderUpdateSerializer", (StrictSerializer,), _changes_fields(creating=False)
)


def provider_representation(provider: IdentityProvider) -> dict[str, Any]:
    certificate = identity_provider_certificate(provider)
    return {
        "id": provider.slug,
        "identityProviderType": PROVIDER_TYPES[provider.kind],
        "displayName": provider.display_name,
        "clientId": provider.client_id,
        "clientSecret": SECRET_MASK,
        "keyId": provider.key_id,
        "developerId": provider.team_id,
        "clientAuthentication": provider.client_authentication,
        "wellKnownEndpoint": provider.well_known_url,
        "issuer": provider.issuer,
        "scopes": list(provider.scopes),
        "claimsMapping": claims_mapping_of(provider),
        "trustedForEmail": provider.trusted_for_email,
        "redirectUri": f"{tenant_base_url(current_tenant())}/{callback_path(provider)}",
        "certificate": certificate.pem or None if certificate is not None else None,
        "createdDateTime": provider.created_at.isoformat(),
    }


def _service_arguments(data: dict[str, Any]) -> dict[str, Any]:
    arguments = {_API_FIELD[api]: value for api, value in data.items() if api in _API_FIELD}
    arguments.pop("kind", None)
    return arguments


def _api_errors(invalid: IdentityProviderInvalid) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {_SERVICE_FIELD.get(field, field): messages for field, messages in invalid.errors.items()}
    )


def _provider_or_404(provider_id: str, *, lock: bool = False) -> IdentityProvider:
    providers = IdentityProvider.objects.select_for_update() if lock else IdentityProvider.objects
    provider: IdentityProvider | None = providers.filter(slug=provider_id).first()
    if provider is None:
        raise exceptions.NotFound("No identity provider has this ID.")
    return provider


class IdentityProvidersView(ManagementView):
    roles = PROVIDER_ROLES

    @extend_schema(
        operation_id="identity_providers_list",
        summary="List identity providers",
        description="In creation order.",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(IdentityProviderSerializer, "IdentityProviderPage"),
    )
    def get(self, request: Request) -> Response:
        return paged_response(
            request,
            id_page(IdentityProvider.objects.all(), request=request),
            provider_representation,
        )

    @extend_schema(
        operation_id="identity_providers_create",
        summary="Add an identity provider",
        description=(
            "Google, Facebook and Apple once each (their ID is their name); OpenID Connect as "
            "many as needed, its discovery document (`wellKnownEndpoint`) fetched and checked "
            "now. `clientSecret` is the secret, or the private key (PEM) for Apple and "
            "`private_key_jwt` (or send `generateKeyPair`)."
        ),
        request=IdentityProviderCreateSerializer,
        responses={201: IdentityProviderSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = IdentityProviderCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        arguments = _service_arguments(data)
        arguments.setdefault("secret", "")
        with transaction.atomic():
            try:
                provider = identity_provider_create(
                    kind=KIND_FOR_TYPE[data["identityProviderType"]], **arguments
                )
            except IdentityProviderInvalid as invalid:
                raise _api_errors(invalid) from invalid
            api_audit(
                request,
                AuditAction.IDENTITY_PROVIDER_ADDED,
                target=provider_audit_target(provider),
                details=provider_audit_fields(provider),
            )
        representation = provider_representation(provider)
        response = Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{provider.slug}"},
        )
        return with_etag(response, representation)


class IdentityProviderView(ManagementView):
    roles = PROVIDER_ROLES

    @extend_schema(
        operation_id="identity_providers_get",
        summary="Read an identity provider",
        responses=IdentityProviderSerializer,
    )
    def get(self, request: Request, provider_id: str) -> Response:
        representation = provider_representation(_provider_or_404(provider_id))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="identity_providers_update",
        summary="Update an identity provider",
        description=(
            "Only the properties sent change; its type and ID never do. An empty or absent "
            "`clientSecret` keeps the stored one. An OpenID Provider's discovery document is "
            "fetched and checked again. Send `If-Match`."
        ),
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        request=IdentityProviderUpdateSerializer,
        responses=IdentityProviderSerializer,
    )
    def patch(self, request: Request, provider_id: str) -> Response:
        incoming = IdentityProviderUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        arguments = _service_arguments(dict(incoming.validated_data))
        with transaction.atomic():
            provider = _provider_or_404(provider_id, lock=True)
            precondition_check(request, provider_representation(provider))
            before = provider_audit_fields(provider)
            try:
                identity_provider_update(provider=provider, **arguments)
            except IdentityProviderInvalid as invalid:
                raise _api_errors(invalid) from invalid
            details: dict[str, object] = {}
            if arguments.get("secret"):
                details["secret_replaced"] = True
            if arguments.get("generate_key_pair"):
                details["key_pair_generated"] = True
            after = provider_audit_fields(provider)
            if before != after or details:
                api_audit(
                    request,
                    AuditAction.IDENTITY_PROVIDER_UPDATED,
                    target=provider_audit_target(provider),
                    details=details,
                    before=before,
                    after=after,
                )
        representation = provider_representation(provider)
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="identity_providers_delete",
        summary="Remove an identity provider",
        description=(
            "The user flows that offered it no longer do; customers' identities at it are "
            "unlinked (their accounts stay)."
        ),
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def delete(self, request: Request, provider_id: str) -> Response:
        with transaction.atomic():
            provider = _provider_or_404(provider_id, lock=True)
            precondition_check(request, provider_representation(provider))
            flows = [flow.name for flow in provider.user_flows.order_by("name")]
            linked = identity_provider_linked_count(provider=provider)
            target = provider_audit_target(provider)
            kind = provider.kind
            identity_provider_delete(provider=provider)
            api_audit(
                request,
                AuditAction.IDENTITY_PROVIDER_REMOVED,
                target=target,
                details={"kind": kind, "user_flows": flows, "identities_unlinked": linked},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
