"""Writes about customer imports, in the current tenant's schema (the caller's `in_tenant`, or
the task's schema, which tenant-schemas-celery sets).

How an import keeps its promises:
- Nothing half-imported for a row: a customer is created with its address and every attribute
  or not at all (`accounts.services.customers_create_many`), and a row that fails any check is
  reported and creates nothing.
- Resumable: rows are imported in batches of `BATCH`; each batch is one transaction that also
  moves the job's checkpoint (`next_row`) and its counts and stores its rows' errors. A worker
  that dies loses only its uncommitted batch; `customer_import_run` called again (by the beat's
  `customer_imports_stalled`) starts at the checkpoint, so nobody is imported twice.
- One runner at a time: a run claims the job with a token of its own, and each batch checks,
  under the job row's lock, that the token is still its own and the job still running.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import CustomAttribute, User
from accounts.services import (
    NewCustomer,
    customer_emails_taken,
    customer_new_clean,
    customers_create_many,
)
from bulk.files import (
    ACCOUNT_ENABLED,
    BUILTIN_COLUMNS,
    CUSTOM_PREFIX,
    EMAIL,
    MAX_FILE_BYTES,
    PASSWORD_HASH,
    FileUnreadable,
    Row,
    csv_header,
    rows_of,
)
from bulk.models import (
    UNFINISHED,
    CustomerImport,
    CustomerImportError,
    ImportFormat,
    ImportStatus,
)

# Rows per transaction (CIAM_BULK_IMPORT_BATCH_ROWS, 1000): large enough that two INSERTs carry
# most of the cost, small enough that a restart redoes little and the progress bar moves often.
BATCH = settings.CIAM_BULK_IMPORT_BATCH_ROWS
# A running job whose last batch committed longer ago than this has lost its worker.
STALE_AFTER = timedelta(seconds=60)
EXISTS = "A customer with this email address exists already."
EARLIER = "This email address is on an earlier row of the file."
# The error report names a field by its column; User fields map back to Entra's names.
_COLUMN_OF_FIELD = {user_field: column for column, user_field in BUILTIN_COLUMNS.items()}


def customer_import_create(
    *, upload: File[bytes], file_name: str, file_format: str, created_by: str
) -> CustomerImport:
    """Store an uploaded file of customers as a queued import (run it with
    `bulk.running.customer_import_start`).

    The file is kept through Django's default storage until the job ends. Raises FileUnreadable
    for a file over 50 MB, an unknown format, or a CSV file whose header names an unknown column
    or no `email` column; rows are checked one by one when the job runs.
    """
    if file_format not in ImportFormat.values:
        raise FileUnreadable("Choose CSV or JSON.")
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise FileUnreadable("The file is larger than 50 MB.")
    if file_format == ImportFormat.CSV:
        upload.seek(0)
        csv_header(upload)
    upload.seek(0)
    job = CustomerImport(
        file_format=file_format, file_name=file_name[:200], created_by=created_by[:254]
    )
    job.file.save(f"{job.object_id}.{file_format}", upload, save=False)
    job.save()
    return job


def customer_import_cancel(*, job: CustomerImport) -> bool:
    """Stop an unfinished import before its next batch; the rows already committed stay
    imported. False when the job had already ended."""
    with transaction.atomic():
        stopped = CustomerImport.objects.filter(pk=job.pk, status__in=UNFINISHED).update(
            status=ImportStatus.CANCELLED, finished_at=timezone.now()
        )
        if stopped:
            job.refresh_from_db()
            _file_remove(job)
    return bool(stopped)


def customer_imports_stalled(*, now: datetime | None = None) -> list[uuid.UUID]:
    """The imports to run again: running ones whose heartbeat is older than a minute (their
    worker died) and queued ones never started after a minute (their message was lost)."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    return list(
        CustomerImport.objects.filter(
            Q(status=ImportStatus.RUNNING, heartbeat_at__lt=cutoff)
            | Q(status=ImportStatus.QUEUED, heartbeat_at__isnull=True, created_at__lt=cutoff)
        ).values_list("object_id", flat=True)
    )


def _claim(job_id: uuid.UUID, runner: uuid.UUID) -> CustomerImport | None:
    now = timezone.now()
    with transaction.atomic():
        job = (
            CustomerImport.objects.select_for_update(skip_locked=True)
            .filter(object_id=job_id, status__in=UNFINISHED)
            .first()
        )
        if job is None:
            return None
        alive = job.heartbeat_at is not None and job.heartbeat_at > now - STALE_AFTER
        if job.status == ImportStatus.RUNNING and alive:
            return None  # another worker runs it
        job.status = ImportStatus.RUNNING
        job.runner = runner
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "runner", "heartbeat_at", "started_at"])
    return job


def _file_remove(job: CustomerImport) -> None:
    # It may hold password hashes: kept no longer than the job needs it.
    if job.file:
        job.file.delete(save=False)
        CustomerImport.objects.filter(pk=job.pk).update(file="")


def _finish(job: CustomerImport, runner: uuid.UUID, status: str, message: str = "") -> None:
    with transaction.atomic():
        ended = CustomerImport.objects.filter(
            pk=job.pk, runner=runner, status=ImportStatus.RUNNING
        ).update(status=status, message=message[:500], finished_at=timezone.now())
        if ended:
            _file_remove(job)
    job.refresh_from_db()


def _open(job: CustomerImport) -> IO[bytes]:
    stream: IO[bytes] = job.file.storage.open(job.file.name, "rb")
    return stream


def _count(job: CustomerImport) -> int:
    with _open(job) as stream:
        return sum(1 for _row in rows_of(stream, job.file_format))


def customer_import_run(*, job_id: uuid.UUID) -> CustomerImport | None:
    """Run the import from its checkpoint to its end, or until it is cancelled or taken over;
    return it as it stands then. None when the job is finished, unknown, or run by another
    worker whose heartbeat is fresh (the call then changes nothing).

    A file that cannot be read as a whole fails the job with its reason; a bad row is reported
    in the job's errors (`CustomerImportError`: row, email, field, message; never the hash).
    """
    runner = uuid.uuid4()
    job = _claim(job_id, runner)
    if job is None:
        return None
    definitions = {attribute.name: attribute for attribute in CustomAttribute.objects.all()}
    try:
        if job.total_rows is None:
            job.total_rows = _count(job)
            CustomerImport.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
        seen: set[str] = set()
        batch: list[Row] = []
        with _open(job) as stream:
            for row in rows_of(stream, job.file_format):
                if row.number <= job.next_row:
                    # Imported by an earlier run: only its address counts, for duplicates.
                    seen.add(_address(row))
                    continue
                batch.append(row)
                if len(batch) == BATCH:
                    if not _import_batch(job, runner, batch, seen, definitions):
                        job.refresh_from_db()
                        return job
                    batch = []
                    if settings.CIAM_BULK_IMPORT_PAUSE_MS:
                        time.sleep(settings.CIAM_BULK_IMPORT_PAUSE_MS / 1000)
            if batch and not _import_batch(job, runner, batch, seen, definitions):
                job.refresh_from_db()
                return job
    except FileUnreadable as error:
        _finish(job, runner, ImportStatus.FAILED, str(error))
        return job
    except OSError:
        _finish(job, runner, ImportStatus.FAILED, "The uploaded file is no longer stored.")
        return job
    _finish(job, runner, ImportStatus.DONE)
    return job


def _address(row: Row) -> str:
    value = row.values.get(EMAIL)
    return User.objects.normalize_email(value if isinstance(value, str) else "")


def _checked(
    row: Row, seen: set[str], definitions: dict[str, CustomAttribute]
) -> tuple[NewCustomer | None, list[tuple[str, str]]]:
    """The row as a customer to create, or its errors as (column, message)."""
    if row.problem:
        return None, [("", row.problem)]
    address = _address(row)
    duplicate = bool(address) and address in seen
    seen.add(address)
    values = row.values
    try:
        new = customer_new_clean(
            email=values.get(EMAIL),
            password_hash=values.get(PASSWORD_HASH),
            builtin={
                user_field: values[column]
                for column, user_field in BUILTIN_COLUMNS.items()
                if column in values
            },
            custom={
                name[len(CUSTOM_PREFIX) :]: value
                for name, value in values.items()
                if name.startswith(CUSTOM_PREFIX)
            },
            definitions=definitions,
            is_active=values.get(ACCOUNT_ENABLED),
        )
    except ValidationError as error:
        return None, [
            (_column(name), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    if duplicate:
        return None, [(EMAIL, EARLIER)]
    return new, []


def _column(name: str) -> str:
    if name in _COLUMN_OF_FIELD:
        return _COLUMN_OF_FIELD[name]
    if name in (EMAIL, PASSWORD_HASH, ACCOUNT_ENABLED):
        return name
    return f"{CUSTOM_PREFIX}{name}"


def _import_batch(
    job: CustomerImport,
    runner: uuid.UUID,
    rows: list[Row],
    seen: set[str],
    definitions: dict[str, CustomAttribute],
) -> bool:
    """Import one batch and move the checkpoint past it, in one transaction; False, and nothing
    stored, when the job is no longer this runner's to run."""
    errors: list[CustomerImportError] = []
    failed: set[int] = set()
    ready: list[tuple[Row, NewCustomer]] = []

    def refuse(row: Row, column: str, message: str) -> None:
        failed.add(row.number)
        errors.append(
            CustomerImportError(
                job=job,
                row_number=row.number,
                email=_address(row)[:254],
                field=column[:100],
                message=message[:500],
            )
        )

    for row in rows:
        new, problems = _checked(row, seen, definitions)
        for column, message in problems:
            refuse(row, column, message)
        if new is not None:
            ready.append((row, new))
    with transaction.atomic():
        locked = CustomerImport.objects.select_for_update().get(pk=job.pk)
        if (
            locked.runner != runner
            or locked.status != ImportStatus.RUNNING
            or locked.next_row != job.next_row
        ):
            return False
        taken = customer_emails_taken(emails=[new.email for _row, new in ready])
        fresh = []
        for row, new in ready:
            if new.email in taken:
                refuse(row, EMAIL, EXISTS)
            else:
                fresh.append((row, new))
        created = customers_create_many(customers=[new for _row, new in fresh])
        for (row, _new), customer in zip(fresh, created, strict=True):
            if customer is None:
                refuse(row, EMAIL, EXISTS)
        CustomerImportError.objects.bulk_create(errors)
        now = timezone.now()
        succeeded = len(rows) - len(failed)
        CustomerImport.objects.filter(pk=job.pk).update(
            next_row=rows[-1].number,
            succeeded=F("succeeded") + succeeded,
            failed=F("failed") + len(failed),
            heartbeat_at=now,
        )
    job.next_row = rows[-1].number
    job.succeeded += succeeded
    job.failed += len(failed)
    job.heartbeat_at = now
    return True
