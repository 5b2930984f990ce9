"""Background work on every tenant's sign-in log; each task only calls services."""

from celery import shared_task
from django.utils import timezone

from monitoring.selectors import log_settings
from monitoring.services import sign_in_events_purge
from monitoring.usage import active_customers_prune, usage_rollup_advance
from tenants.models import Tenant, TenantStatus
from tenants.schemas import in_tenant

# What one run of the rollup reads of a tenant's log at most (batches of
# CIAM_INSIGHTS_ROLLUP_BATCH events: a million, about a minute at the 16,000 events a second
# measured on a shared 2-core machine); a tenant further behind goes on at the next run, and a
# run that overlaps the next finds the tenant busy and skips it.
ROLLUP_BATCHES_PER_RUN = 200


@shared_task(ignore_result=True)
def sign_in_logs_purge() -> int:
    """Celery beat, hourly: in every ready tenant, the sign-ins older than its retention go."""
    removed = 0
    for tenant in list(Tenant.objects.filter(status=TenantStatus.READY)):
        with in_tenant(tenant):
            removed += sign_in_events_purge(retention_days=log_settings().retention_days)
    return removed


@shared_task(ignore_result=True)
def usage_rollups_advance() -> int:
    """Celery beat, every few minutes: in every ready tenant, the sign-in log's new events are
    added to the usage insights' counts (one indexed look for a tenant with none); once a
    tenant has caught up, the active customers of past days are forgotten (their counts stay)."""
    rolled_up = 0
    today = timezone.now().date()
    for tenant in list(Tenant.objects.filter(status=TenantStatus.READY)):
        with in_tenant(tenant):
            progress = usage_rollup_advance(max_batches=ROLLUP_BATCHES_PER_RUN)
            rolled_up += progress.events
            if progress.caught_up and progress.events:
                active_customers_prune(today=today)
    return rolled_up
