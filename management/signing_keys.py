"""`/signingKeys`: the tenant's token signing keys as their lifecycle stands (next → active →
retiring → retired) with each public JWK, and `/signingKeys/rotate`. A private key is never
answered, in any form: the representation is built from the public columns only.
apps/signing.py does the work; the rotation is audited as the admin center's is."""

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.models import KeyStatus, SigningKey
from apps.signing import signing_key_rotate
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from management.preconditions import with_etag
from tenants.models import AuditAction

KEY_ROLES = needs(
    read=("TrustFrameworkKeySet.Read.All",), write=("TrustFrameworkKeySet.ReadWrite.All",)
)


class SigningKeySerializer(serializers.Serializer):
    kid = serializers.CharField(help_text="The key's ID: its RFC 7638 thumbprint.")
    status = serializers.ChoiceField(choices=KeyStatus.values)
    algorithm = serializers.CharField()
    createdDateTime = serializers.DateTimeField()
    activatedDateTime = serializers.DateTimeField(allow_null=True)
    retiringDateTime = serializers.DateTimeField(allow_null=True)
    retiredDateTime = serializers.DateTimeField(allow_null=True)
    publicKey = serializers.DictField(
        child=serializers.CharField(), help_text="The public JWK (RFC 7517), as the JWKS has it."
    )


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def key_representation(key: SigningKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "status": key.status,
        "algorithm": key.algorithm,
        "createdDateTime": key.created_at.isoformat(),
        "activatedDateTime": _when(key.activated_at),
        "retiringDateTime": _when(key.retiring_at),
        "retiredDateTime": _when(key.retired_at),
        "publicKey": {name: str(value) for name, value in key.public_jwk.items()},
    }


# Only the public columns are read: the encrypted private key never leaves the database here.
_PUBLIC_COLUMNS = (
    "kid",
    "status",
    "algorithm",
    "public_jwk",
    "created_at",
    "activated_at",
    "retiring_at",
    "retired_at",
)


class SigningKeysView(ManagementView):
    roles = KEY_ROLES

    @extend_schema(
        operation_id="signing_keys_list",
        summary="List signing keys",
        description=(
            "Every key in the order made: `next` (published, not yet signing), `active` (signs "
            "tokens), `retiring` (still published, to verify what it signed), `retired`."
        ),
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(SigningKeySerializer, "SigningKeyPage"),
    )
    def get(self, request: Request) -> Response:
        page = id_page(SigningKey.objects.only(*_PUBLIC_COLUMNS), request=request)
        return paged_response(request, page, key_representation)


class SigningKeyRotateView(ManagementView):
    roles = needs(write=("TrustFrameworkKeySet.ReadWrite.All",))

    @extend_schema(
        operation_id="signing_keys_rotate",
        summary="Rotate the signing keys",
        description=(
            "The next key (already published) signs from now on, the active one is retiring "
            "(still published) and a new next key is made. Answers the key that signs now."
        ),
        request=None,
        responses=SigningKeySerializer,
    )
    def post(self, request: Request) -> Response:
        with transaction.atomic():
            before = SigningKey.objects.filter(status=KeyStatus.ACTIVE).only("kid").first()
            active = signing_key_rotate()
            api_audit(
                request,
                AuditAction.SIGNING_KEY_ROTATED,
                target=active.kid,
                before={"active_kid": before.kid if before is not None else ""},
                after={"active_kid": active.kid},
            )
        representation = key_representation(active)
        return with_etag(Response(representation), representation)
