"""Background work on customer imports; each task only calls a service.

Every task runs in the tenant's schema it was queued from (tenant-schemas-celery), except the
beat's, which visits every ready tenant.
"""

import uuid

from celery import shared_task

from bulk import services
from tenants.models import Tenant, TenantStatus
from tenants.schemas import in_tenant


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def customer_import_run(import_id: str) -> None:
    """Run one import from its checkpoint (bulk.services.customer_import_run). Acknowledged
    after it ends, so a worker lost mid-import hands the message back to the broker; a second
    delivery while the first still runs changes nothing."""
    services.customer_import_run(job_id=uuid.UUID(import_id))


@shared_task(ignore_result=True)
def customer_imports_resume() -> int:
    """Celery beat, every minute: in every ready tenant, queue again the imports whose worker
    died (heartbeat older than a minute) or whose message was lost; return how many."""
    queued = 0
    for tenant in list(Tenant.objects.filter(status=TenantStatus.READY)):
        with in_tenant(tenant):
            for job_id in services.customer_imports_stalled():
                customer_import_run.delay(str(job_id))
                queued += 1
    return queued
