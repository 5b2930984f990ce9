"""`/users/imports` and `/users/export`: customers in bulk (issue 15), as the admin center's bulk
operations do them, through the same services (bulk/).

An import is a job: `POST /users/imports` stores the file and answers 202 with the job, whose
`GET /users/imports/{id}` tells its progress and `GET /users/imports/{id}/errors` its refused
rows (paged). The file is a multipart upload (`file`, and `format`: csv or json), or the body
itself: `text/csv`, or `application/json` (an array of user objects or JSON Lines). Columns and
keys are those of docs/bulk-import.md. `GET /users/export` streams every customer as JSON Lines.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.oidc.resource_tokens import AppCaller
from bulk import selectors, services
from bulk.files import CUSTOM_PREFIX, MAX_FILE_BYTES, FileUnreadable
from bulk.models import UNFINISHED, CustomerImport, CustomerImportError, ImportFormat
from bulk.running import customer_import_start
from management.auditing import api_audit
from management.base import ManagementView
from management.paging import PAGING_PARAMETERS, id_page, paged_response, paged_serializer
from management.permissions import needs
from tenants.current import current_tenant
from tenants.models import AuditAction
from tenants.schemas import in_tenant

IMPORT_ROLES = needs(read=("User.Read.All",), write=("User.ReadWrite.All",))


class _RawBody(BaseParser):
    """The body as bytes, to be stored as the import's file (never parsed here)."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return bytes(stream.read()) if stream is not None else b""


class _CsvBody(_RawBody):
    media_type = "text/csv"


class _JsonBody(_RawBody):
    media_type = "application/json"


class ImportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed", "cancelled"])
    format = serializers.ChoiceField(choices=ImportFormat.values)
    fileName = serializers.CharField(allow_blank=True)
    totalRows = serializers.IntegerField(allow_null=True, help_text="Counted when it starts.")
    processedRows = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    percentComplete = serializers.IntegerField()
    createdBy = serializers.CharField(help_text="The operator's email or the calling app's ID.")
    createdDateTime = serializers.DateTimeField()
    startedDateTime = serializers.DateTimeField(allow_null=True)
    finishedDateTime = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField(allow_blank=True, help_text="Why a failed job failed.")


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1 is the file's first customer.")
    email = serializers.CharField(allow_blank=True)
    field = serializers.CharField(allow_blank=True, help_text="The column, when one is at fault.")
    message = serializers.CharField()


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=ImportFormat.values, required=False)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def import_representation(job: CustomerImport) -> dict[str, Any]:
    return {
        "id": str(job.object_id),
        "status": job.status,
        "format": job.file_format,
        "fileName": job.file_name,
        "totalRows": job.total_rows,
        "processedRows": job.next_row,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "percentComplete": job.percent,
        "createdBy": job.created_by,
        "createdDateTime": job.created_at.isoformat(),
        "startedDateTime": _iso(job.started_at),
        "finishedDateTime": _iso(job.finished_at),
        "message": job.message,
    }


def _error_representation(error: CustomerImportError) -> dict[str, Any]:
    return {
        "row": error.row_number,
        "email": error.email,
        "field": error.field,
        "message": error.message,
    }


def _job_or_404(import_id: uuid.UUID) -> CustomerImport:
    job = selectors.customer_import_get(object_id=import_id)
    if job is None:
        raise exceptions.NotFound("No import has this ID.")
    return job


def _upload(request: Request) -> tuple[UploadedFile | ContentFile[bytes], str]:
    """The file to import and its format, from a multipart form or the body itself."""
    data = request.data
    if isinstance(data, bytes):
        if not data:
            raise exceptions.ValidationError({"file": ["The body is empty."]})
        is_json = request.content_type.startswith("application/json")
        file_format = ImportFormat.JSON if is_json else ImportFormat.CSV
        return ContentFile(data, name=f"body.{file_format}"), file_format
    incoming = ImportUploadSerializer(data=data)
    incoming.is_valid(raise_exception=True)
    upload: UploadedFile = incoming.validated_data["file"]
    name = (upload.name or "").lower()
    default = ImportFormat.JSON if name.endswith((".json", ".jsonl")) else ImportFormat.CSV
    return upload, incoming.validated_data.get("format") or default


class UserImportsView(ManagementView):
    roles = needs(write=("User.ReadWrite.All",))
    parser_classes = [MultiPartParser, _CsvBody, _JsonBody]
    # The file itself, and the multipart envelope around it.
    max_body_bytes = MAX_FILE_BYTES + 64 * 1024

    @extend_schema(
        operation_id="users_import",
        summary="Import customers from a file",
        description=(
            "Stores the file and queues its import; answers 202 with the job at once. Send a "
            "multipart form (`file`, and `format`: csv or json), or the file as the body "
            "(`text/csv`, or `application/json`: an array of user objects or JSON Lines). At "
            "most 50 MB. Columns: `email`, Graph's built-in attribute names, `accountEnabled`, "
            "`extension_<name>` for custom attributes, and `passwordHash` (bcrypt, PBKDF2 of "
            "Django or Keycloak, argon2, Django scrypt: upgraded to argon2id at the first "
            "sign-in). A bad row is refused alone and listed under the job's errors."
        ),
        request={
            "multipart/form-data": ImportUploadSerializer,
            "text/csv": OpenApiTypes.STR,
            "application/json": OpenApiTypes.ANY,
        },
        responses={202: ImportSerializer},
    )
    def post(self, request: Request) -> Response:
        upload, file_format = _upload(request)
        caller = request.auth
        created_by = caller.client_id if isinstance(caller, AppCaller) else ""
        try:
            job = services.customer_import_create(
                upload=upload,
                file_name=(upload.name or "")[:200],
                file_format=file_format,
                created_by=created_by,
            )
        except FileUnreadable as error:
            raise exceptions.ValidationError({"file": [str(error)]}) from error
        customer_import_start(job=job)
        api_audit(
            request,
            AuditAction.CUSTOMERS_IMPORT_STARTED,
            target=job.file_name or str(job.object_id),
            details={"import_id": str(job.object_id), "format": job.file_format},
        )
        return Response(
            import_representation(job),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"{request.path.rstrip('/')}/{job.object_id}"},
        )


class UserImportView(ManagementView):
    roles = IMPORT_ROLES

    @extend_schema(
        operation_id="users_import_get",
        summary="Read an import's progress",
        description="Poll until `status` is done, failed or cancelled.",
        responses=ImportSerializer,
    )
    def get(self, request: Request, import_id: uuid.UUID) -> Response:
        job = _job_or_404(import_id)
        headers = {"Cache-Control": "no-store"}
        if job.status in UNFINISHED:
            headers["Retry-After"] = "1"
        return Response(import_representation(job), headers=headers)


class UserImportErrorsView(ManagementView):
    roles = IMPORT_ROLES

    @extend_schema(
        operation_id="users_import_errors",
        summary="List an import's refused rows",
        description="By row; a row may have several errors. Never a password hash.",
        parameters=PAGING_PARAMETERS,
        responses=paged_serializer(ImportErrorSerializer, "ImportErrorPage"),
    )
    def get(self, request: Request, import_id: uuid.UUID) -> Response:
        job = _job_or_404(import_id)
        # By primary key: errors are written in row order, batch after batch.
        page = id_page(CustomerImportError.objects.filter(job=job), request=request)
        return paged_response(request, page, _error_representation)


class UserExportView(ManagementView):
    roles = needs(read=("User.Read.All",))

    @extend_schema(
        operation_id="users_export",
        summary="Export every customer",
        description=(
            "Every customer (deleted ones excepted), oldest first, as JSON Lines: one object a "
            "line with the import's keys, built-in and custom attributes (`extension_<name>`). "
            "Streamed from a server-side cursor. Never a password hash."
        ),
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                response=OpenApiTypes.STR, description="JSON Lines."
            )
        },
        parameters=[OpenApiParameter("format", str, enum=["json"], required=False)],
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        if request.query_params.get("format", "json") != "json":
            raise exceptions.ValidationError({"format": ["Only json (JSON Lines)."]})
        columns = selectors.customer_export_columns()
        custom_names = [
            name.removeprefix(CUSTOM_PREFIX) for name in columns if name.startswith(CUSTOM_PREFIX)
        ]
        api_audit(request, AuditAction.CUSTOMERS_EXPORTED, target="Customers", details={})
        tenant = current_tenant()

        def lines() -> Iterator[str]:
            # Runs as the response is sent, after routing has left the tenant's schema.
            with in_tenant(tenant):
                for fields in selectors.customer_export_stream(custom_names=custom_names):
                    yield json.dumps(fields, ensure_ascii=False) + "\n"

        response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
        response["Cache-Control"] = "no-store"
        return response
