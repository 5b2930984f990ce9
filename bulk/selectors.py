"""Reads about customer imports and the customer export, in the current tenant's schema."""

import uuid
from collections.abc import Iterator

from django.db import transaction

from accounts.attributes import BUILTIN_ATTRIBUTES
from accounts.models import CustomAttribute, User
from bulk.files import ACCOUNT_ENABLED, BUILTIN_COLUMNS, CUSTOM_PREFIX, EMAIL
from bulk.models import CustomerImport, CustomerImportError

# The rows a server-side cursor hands over at a time.
STREAM_CHUNK = 2000
RECENT_IMPORTS = 50
ERROR_COLUMNS = ("row", "email", "field", "message")


def customer_import_get(*, object_id: uuid.UUID) -> CustomerImport | None:
    return CustomerImport.objects.filter(object_id=object_id).first()


def customer_import_list(*, limit: int = RECENT_IMPORTS) -> list[CustomerImport]:
    """The most recent imports, newest first."""
    return list(CustomerImport.objects.order_by("-created_at", "-id")[:limit])


def customer_import_errors(*, job: CustomerImport) -> Iterator[CustomerImportError]:
    """The job's errors by row, read through a server-side cursor inside a transaction of its
    own (outside one the cursor is declared WITH HOLD and PostgreSQL stores the whole result
    before handing over the first row)."""
    with transaction.atomic():
        yield from job.errors.order_by("row_number", "id").iterator(chunk_size=STREAM_CHUNK)


def customer_import_first_errors(
    *, job: CustomerImport, limit: int = 20
) -> list[CustomerImportError]:
    """The job's first errors by row, for its page (the report has them all)."""
    return list(job.errors.order_by("row_number", "id")[:limit])


def error_fields(error: CustomerImportError) -> dict[str, object]:
    return {
        "row": error.row_number,
        "email": error.email,
        "field": error.field,
        "message": error.message,
    }


def customer_export_columns() -> list[str]:
    """The export's columns: the import's names (docs/bulk-import.md), so an export imports
    into another tenant, then each custom attribute of the tenant."""
    names = CustomAttribute.objects.order_by("name").values_list("name", flat=True)
    return [
        "objectId",
        EMAIL,
        *BUILTIN_COLUMNS,
        ACCOUNT_ENABLED,
        "createdAt",
        *(f"{CUSTOM_PREFIX}{name}" for name in names),
    ]


_EXPORT_FIELDS = [
    "object_id",
    "email",
    "is_active",
    "created_at",
    "custom_attributes",
    *(key for key in BUILTIN_ATTRIBUTES if key != "email"),
]


def customer_export_stream(*, custom_names: list[str]) -> Iterator[dict[str, object]]:
    """Every customer of the tenant (not the deleted ones), oldest first, with built-in and
    custom attributes, read in chunks through a server-side cursor in a transaction of its own.
    Never a password hash."""
    rows = User.objects.filter(deleted_at__isnull=True).order_by("id").only(*_EXPORT_FIELDS)
    with transaction.atomic():
        for customer in rows.iterator(chunk_size=STREAM_CHUNK):
            fields: dict[str, object] = {
                "objectId": str(customer.object_id),
                EMAIL: customer.email,
                **{
                    column: getattr(customer, user_field)
                    for column, user_field in BUILTIN_COLUMNS.items()
                },
                ACCOUNT_ENABLED: customer.is_active,
                "createdAt": customer.created_at.isoformat(),
            }
            values = customer.custom_attributes or {}
            for name in custom_names:
                fields[f"{CUSTOM_PREFIX}{name}"] = values.get(name)
            yield fields
