"""Bulk operations on a tenant's customers (issue 15): import a CSV or JSON file, follow the
import's progress, download its per-row error report, and export every customer.

An upload is stored and queued (bulk/running.py), and the browser is sent to the job's page at
once; the page's bar follows the job by polling a small JSON answer every second
(static/admin_center/bulk.js; without JavaScript a <meta refresh> reloads the page). Downloads
are streamed (admin_center/downloads.py): their generators run after the view has returned,
so they enter the tenant's schema themselves.
"""

import uuid
from collections.abc import Iterator

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.bulk.forms import CustomerImportForm
from admin_center.downloads import FORMATS, download_response
from admin_center.pages import tenant_page
from bulk import selectors, services
from bulk.files import CUSTOM_PREFIX, FileUnreadable
from bulk.models import UNFINISHED, CustomerImport, ImportFormat
from bulk.running import customer_import_start
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

SECTION = "customers"
# The template's one example customer: every built-in column, no password hash.
TEMPLATE_EXAMPLE = {
    "email": "ada@example.com",
    "displayName": "Ada Lovelace",
    "givenName": "Ada",
    "surname": "Lovelace",
    "jobTitle": "Analyst",
    "streetAddress": "12 St James's Square",
    "city": "London",
    "state": "",
    "postalCode": "SW1Y 4JH",
    "country": "GB",
    "accountEnabled": "true",
    "passwordHash": "",
}


def _job(object_id: uuid.UUID) -> CustomerImport:
    job = selectors.customer_import_get(object_id=object_id)
    if job is None:
        raise Http404
    return job


def _progress(job: CustomerImport) -> dict[str, object]:
    return {
        "id": str(job.object_id),
        "status": job.status,
        "percent": job.percent,
        "totalRows": job.total_rows,
        "processedRows": job.next_row,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "finished": job.status not in UNFINISHED,
        "message": job.message,
    }


def _page(
    request: HttpRequest, tenant: Tenant, form: CustomerImportForm, status: int = 200
) -> HttpResponse:
    with in_tenant(tenant):
        jobs = selectors.customer_import_list()
    return tenant_page(
        request,
        tenant,
        "admin_center/bulk/operations.html",
        {"form": form, "jobs": jobs, "section": SECTION, "formats": FORMATS},
        status=status,
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_GET
def bulk_operations(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The upload form, the template and export downloads, and the recent imports."""
    return _page(request, tenant, CustomerImportForm())


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_import_upload(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Store the file as a queued import, start it, audit it, and show its page at once."""
    form = CustomerImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, tenant, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        with in_tenant(tenant):
            job = services.customer_import_create(
                upload=upload,
                file_name=upload.name or "",
                file_format=form.cleaned_data["file_format"],
                created_by=request.user.email,  # type: ignore[union-attr]
            )
            customer_import_start(job=job)
    except FileUnreadable as error:
        form.add_error("file", str(error))
        return _page(request, tenant, form, status=400)
    audit(
        request,
        tenant,
        AuditAction.CUSTOMERS_IMPORT_STARTED,
        target=job.file_name or str(job.object_id),
        details={"import_id": str(job.object_id), "format": job.file_format},
    )
    return redirect("admin_center:customer-import-detail", tenant.tenant_id, job.object_id)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_GET
def customer_import_detail(
    request: HttpRequest, tenant: Tenant, import_id: uuid.UUID
) -> HttpResponse:
    """The job's progress bar, counts and error report."""
    with in_tenant(tenant):
        job = _job(import_id)
        first_errors = selectors.customer_import_first_errors(job=job)
    return tenant_page(
        request,
        tenant,
        "admin_center/bulk/import.html",
        {"job": job, "progress": _progress(job), "errors": first_errors, "section": SECTION},
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_GET
def customer_import_progress(
    request: HttpRequest, tenant: Tenant, import_id: uuid.UUID
) -> JsonResponse:
    """What the bar shows, as JSON: polled every second while the job runs."""
    with in_tenant(tenant):
        job = _job(import_id)
    response = JsonResponse(_progress(job))
    response["Cache-Control"] = "no-store"
    return response


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_import_cancel(
    request: HttpRequest, tenant: Tenant, import_id: uuid.UUID
) -> HttpResponse:
    """Stop the job before its next batch; audited."""
    with in_tenant(tenant):
        job = _job(import_id)
        stopped = services.customer_import_cancel(job=job)
    if stopped:
        audit(
            request,
            tenant,
            AuditAction.CUSTOMERS_IMPORT_CANCELLED,
            target=job.file_name or str(job.object_id),
            details={"import_id": str(job.object_id), "imported": job.succeeded},
        )
        messages.success(request, "Import cancelled. The customers imported so far stay.")
    return redirect("admin_center:customer-import-detail", tenant.tenant_id, job.object_id)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_GET
def customer_import_errors(
    request: HttpRequest, tenant: Tenant, import_id: uuid.UUID
) -> HttpResponseBase:
    """The job's refused rows as CSV (row, email, field, message), formula cells defused."""
    with in_tenant(tenant):
        job = _job(import_id)

    def rows() -> Iterator[object]:
        with in_tenant(tenant):
            yield from selectors.customer_import_errors(job=job)

    return download_response(
        rows=rows(),
        columns=selectors.ERROR_COLUMNS,
        fields=selectors.error_fields,  # type: ignore[arg-type]
        file_format="csv",
        filename=f"import-errors-{job.object_id}",
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_GET
def customer_import_template(request: HttpRequest, tenant: Tenant) -> HttpResponseBase:
    """A file to start from: every column the import reads (the tenant's custom attributes
    included) and one example customer, as CSV or JSON Lines."""
    file_format = request.GET.get("format", "csv")
    if file_format not in FORMATS:
        raise Http404
    with in_tenant(tenant):
        columns = [
            name
            for name in selectors.customer_export_columns()
            if name not in ("objectId", "createdAt")
        ]
    example = {name: TEMPLATE_EXAMPLE.get(name, "") for name in columns}
    if file_format == ImportFormat.JSON:
        example = {name: value for name, value in example.items() if value}
    return download_response(
        rows=[example],
        columns=[*columns],
        fields=dict,
        file_format=file_format,
        filename="customers-template",
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_GET
def customer_export(request: HttpRequest, tenant: Tenant) -> HttpResponseBase:
    """Every customer with built-in and custom attributes, as CSV or JSON Lines, streamed from
    a server-side cursor; audited with the format. Never a password hash."""
    file_format = request.GET.get("format", "")
    if file_format not in FORMATS:
        raise Http404
    with in_tenant(tenant):
        columns = selectors.customer_export_columns()
    custom_names = [
        name.removeprefix(CUSTOM_PREFIX) for name in columns if name.startswith(CUSTOM_PREFIX)
    ]
    audit(
        request,
        tenant,
        AuditAction.CUSTOMERS_EXPORTED,
        target="Customers",
        details={"format": file_format},
    )

    def rows() -> Iterator[dict[str, object]]:
        with in_tenant(tenant):
            yield from selectors.customer_export_stream(custom_names=custom_names)

    return download_response(
        rows=rows(),
        columns=columns,
        fields=dict,
        file_format=file_format,
        filename=f"customers-{tenant.domain_name}-{timezone.now():%Y%m%d-%H%M%S}",
    )
