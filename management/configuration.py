"""`/configuration`: the tenant's configuration as code (docs/configuration-as-code.md) over
the API. `GET` exports it (JSON, or YAML with `Accept: application/yaml`); `POST
/configuration/apply` plans a document (`dryRun`: the changes and the diff, nothing written) or
applies it in one transaction. The work is `configuration`'s; this module checks the roles of
each section, shapes JSON and audits.

Roles, per section: reading one takes its Read role (or its ReadWrite role), so an export holds
the sections the caller may read; a dry run takes the Read roles of every section the document
has, an apply their ReadWrite roles (a 403 names the missing ones).

Secrets: an identity provider's `clientSecret: {fromEnv: NAME}` is resolved from the request's
`secrets` object (NAME → value), never from the server's environment, which would let a caller
send the server's own variables to a provider of its choosing. Secrets are never answered.
"""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from configuration.apply import configuration_apply
from configuration.document import (
    SECTIONS,
    ConfigurationInvalid,
    document_read,
    yaml_dump,
    yaml_load,
)
from configuration.export import ConfigurationNotExportable, configuration_export
from configuration.plan import configuration_plan
from management.auditing import api_audit
from management.base import ManagementView
from management.permissions import needs
from tenants.current import current_tenant
from tenants.models import AuditAction

# Each section's (Read role, ReadWrite role): docs/management-api.md's table.
SECTION_ROLES: dict[str, tuple[str, str]] = {
    "attributes": ("IdentityUserFlow.Read.All", "IdentityUserFlow.ReadWrite.All"),
    "userFlows": ("IdentityUserFlow.Read.All", "IdentityUserFlow.ReadWrite.All"),
    "apps": ("Application.Read.All", "Application.ReadWrite.All"),
    "branding": ("OrganizationalBranding.Read.All", "OrganizationalBranding.ReadWrite.All"),
    "languages": ("OrganizationalBranding.Read.All", "OrganizationalBranding.ReadWrite.All"),
    "identityProviders": ("IdentityProvider.Read.All", "IdentityProvider.ReadWrite.All"),
    "authenticationMethods": ("Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"),
    "signInProtection": ("Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"),
    "namedLocations": ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"),
    "conditionalAccessPolicies": ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"),
    "extensions": (
        "CustomAuthenticationExtension.Read.All",
        "CustomAuthenticationExtension.ReadWrite.All",
    ),
    "tokenLifetimes": ("Policy.Read.All", "Policy.ReadWrite.ApplicationConfiguration"),
}
assert set(SECTION_ROLES) == set(SECTIONS)  # noqa: S101 - a section without roles is a bug

_READ = tuple(sorted({read for read, _write in SECTION_ROLES.values()}))
_WRITE = tuple(sorted({write for _read, write in SECTION_ROLES.values()}))
CONFIGURATION_READ_ROLES = needs(read=_READ, write=_WRITE)
CONFIGURATION_APPLY_ROLES = needs(write=(*_READ, *_WRITE))


def _caller_roles(request: Request) -> frozenset[str]:
    roles: frozenset[str] = getattr(request.auth, "roles", frozenset())
    return roles


def _readable(request: Request, section: str) -> bool:
    return bool(_caller_roles(request) & set(SECTION_ROLES[section]))


class YamlRenderer(BaseRenderer):
    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        return yaml_dump(data).encode("utf-8")


class ChangeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["create", "update", "delete"])
    section = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    secret = serializers.BooleanField(help_text="Only a secret from `secrets` differs.")


class PlanSerializer(serializers.Serializer):
    dryRun = serializers.BooleanField()
    changes = ChangeSerializer(many=True)
    summary = serializers.CharField()
    diff = serializers.CharField(help_text="Unified diff of the YAML, current → desired.")
    unsettled = serializers.ListField(
        child=serializers.CharField(),
        help_text="After an apply: objects stored otherwise than the document says.",
    )


class ApplySerializer(serializers.Serializer):
    configuration = serializers.JSONField(
        help_text="The document (docs/configuration-as-code.md), as an object or YAML text."
    )
    dryRun = serializers.BooleanField(default=False)
    delete = serializers.BooleanField(
        default=True, help_text="Delete what the tenant has and a managed section lacks."
    )
    secrets = serializers.DictField(
        child=serializers.CharField(),
        default=dict,
        help_text="Values of the `fromEnv` references, by name; never stored as given.",
    )


class ConfigurationView(ManagementView):
    roles = CONFIGURATION_READ_ROLES
    renderer_classes = (JSONRenderer, YamlRenderer)

    @extend_schema(
        operation_id="configuration_export",
        responses={
            200: OpenApiResponse(
                response={"type": "object"},
                description="The sections the caller may read, JSON or YAML (Accept).",
            )
        },
    )
    def get(self, request: Request) -> Response:
        tenant = current_tenant()
        try:
            exported = configuration_export(tenant=tenant)
        except ConfigurationNotExportable as error:
            raise exceptions.ValidationError({"apps": [str(error)]}) from None
        body = {
            key: value
            for key, value in exported.items()
            if key not in SECTION_ROLES or _readable(request, key)
        }
        return Response(body)


def _problems(invalid: ConfigurationInvalid) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for line in invalid.errors:
        path, _colon, message = line.partition(": ")
        errors.setdefault(f"configuration.{path}", []).append(message or line)
    return errors


class ConfigurationApplyView(ManagementView):
    roles = CONFIGURATION_APPLY_ROLES

    @extend_schema(
        operation_id="configuration_apply",
        request=ApplySerializer,
        responses={200: PlanSerializer},
    )
    def post(self, request: Request) -> Response:
        given = ApplySerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        source = data["configuration"]
        try:
            document = document_read(yaml_load(source) if isinstance(source, str) else source)
        except ConfigurationInvalid as invalid:
            raise exceptions.ValidationError(_problems(invalid)) from None
        dry_run = data["dryRun"]
        missing = sorted(
            {
                SECTION_ROLES[section][0 if dry_run else 1]
                for section in document.sections
                if not (
                    _caller_roles(request)
                    & ({SECTION_ROLES[section][1]} if not dry_run else set(SECTION_ROLES[section]))
                )
            }
        )
        if missing:
            raise exceptions.PermissionDenied(
                f"This document's sections need the roles {', '.join(missing)}."
            )
        tenant = current_tenant()
        try:
            plan = configuration_plan(
                tenant=tenant, document=document, environ=data["secrets"], delete=data["delete"]
            )
            if not dry_run:
                configuration_apply(
                    tenant=tenant,
                    plan=plan,
                    actor=None,
                    audit=lambda details: api_audit(
                        request,
                        AuditAction.CONFIGURATION_APPLIED,
                        target=tenant.domain_name,
                        details=details,
                    ),
                )
        except ConfigurationInvalid as invalid:
            raise exceptions.ValidationError(_problems(invalid)) from None
        return Response(
            {
                "dryRun": dry_run,
                "changes": [
                    {
                        "action": change.action,
                        "section": change.section,
                        "name": change.name,
                        "secret": change.secret,
                    }
                    for change in plan.changes
                ],
                "summary": plan.summary,
                "diff": plan.diff,
                "unsettled": plan.unsettled,
            }
        )
