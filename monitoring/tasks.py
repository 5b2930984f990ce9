"""Background work on every tenant's sign-in log; each task only calls services."""

from celery import shared_task

from monitoring.selectors import log_settings
from monitoring.services import sign_in_events_purge
from tenants.models import Tenant, TenantStatus
from tenants.schemas import in_tenant


@shared_task(ignore_result=True)
def sign_in_logs_purge() -> int:
    """Celery beat, hourly: in every ready tenant, the sign-ins older than its retention go."""
    removed = 0
    for tenant in list(Tenant.objects.filter(status=TenantStatus.READY)):
        with in_tenant(tenant):
            removed += sign_in_events_purge(retention_days=log_settings().retention_days)
    return removed
