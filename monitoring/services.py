"""Changes to the tenant's sign-in log (call in the tenant's schema)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from monitoring.models import LogSettings, SignInEvent
from monitoring.usage import usage_rolled_up_through

# A purge removes this many rows per statement, so that it never holds a long lock or one huge
# transaction however far behind it is.
PURGE_BATCH = 10_000


def log_settings_save(*, retention_days: int) -> LogSettings:
    with transaction.atomic():
        found = LogSettings.objects.select_for_update().first() or LogSettings()
        found.retention_days = retention_days
        found.updated_at = timezone.now()
        found.full_clean()
        found.save()
    return found


def sign_in_events_purge(*, retention_days: int) -> int:
    """Remove the sign-ins older than the retention, in batches; how many went. An event the
    usage rollup has not read yet stays until it has (monitoring/usage.py): the insights
    count every sign-in, however short the retention."""
    before = timezone.now() - timedelta(days=retention_days)
    rolled_up = usage_rolled_up_through()
    removed = 0
    while True:
        batch = list(
            SignInEvent.objects.filter(occurred_at__lt=before, id__lte=rolled_up)
            .order_by("occurred_at")
            .values_list("id", flat=True)[:PURGE_BATCH]
        )
        if not batch:
            return removed
        removed += SignInEvent.objects.filter(id__in=batch).delete()[0]
