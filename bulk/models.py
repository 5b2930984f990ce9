"""Customer imports (issue 15): one row per uploaded file, its checkpoint and its per-row errors,
in the tenant's schema.

A job is resumable because its progress is a checkpoint (`next_row`) that moves in the same
transaction as the rows it counts: a worker that dies loses only the batch it had not
committed, and whoever picks the job up again starts at the checkpoint.
"""

import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


# The statuses a worker may still (re)start.
UNFINISHED = (ImportStatus.QUEUED, ImportStatus.RUNNING)


def _upload_path(job: "CustomerImport", filename: str) -> str:
    # Named by the job, never by the uploaded name; the folder is not served (no MEDIA view).
    return f"bulk-imports/{job.object_id}.{job.file_format}"


class CustomerImport(models.Model):
    """One uploaded file of customers and how far its import has come."""

    object_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    file_format = models.CharField(max_length=4, choices=ImportFormat.choices)
    # Kept through Django's default storage until the job ends, then deleted: it may hold
    # password hashes.
    file = models.FileField(upload_to=_upload_path, max_length=200, blank=True)
    file_name = models.CharField(max_length=200, blank=True)  # as uploaded, for the admin
    total_rows = models.PositiveIntegerField(null=True, blank=True)  # counted when it starts
    next_row = models.PositiveIntegerField(default=0)  # the checkpoint: rows before it are done
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_by = models.CharField(max_length=254)  # the operator's email or the calling app's ID
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved by each committed batch: a running job whose heartbeat is older than a minute has
    # lost its worker and is picked up again (bulk.tasks.customer_imports_resume).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Whose run this is: a worker that finds another token here stops before its next batch.
    runner = models.UUIDField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)  # why a job failed as a whole

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["heartbeat_at"],
                condition=models.Q(status__in=["queued", "running"]),
                name="bulk_import_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.object_id} ({self.status})"

    @property
    def processed(self) -> int:
        return self.succeeded + self.failed

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, self.next_row * 100 // self.total_rows)


class CustomerImportError(models.Model):
    """One row the import refused, and why: what the error report lists. Never a hash."""

    job = models.ForeignKey(CustomerImport, on_delete=models.CASCADE, related_name="errors")
    row_number = models.PositiveIntegerField()  # 1 = the file's first customer
    email = models.CharField(max_length=254, blank=True)
    field = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        ordering: ClassVar[list[str]] = ["row_number", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["job", "row_number", "id"], name="bulk_import_error_rows"),
        ]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.message}"
