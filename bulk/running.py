"""Starting an import: queued to a Celery worker, or run in a thread of this process when Celery
is eager (`make run` and the tests: no broker).

In eager mode `delay()` would run the whole import inside the upload's request, and the admin
would see no progress until it ended; a daemon thread runs it instead, so the upload answers
at once and the job's page shows the bar moving. A thread dies with its process: the job then
stays `running` with a stale heartbeat, and the next start of a worker's beat (or another call of
`customer_import_start`) resumes it from its checkpoint.
"""

import threading
import uuid

from django.conf import settings
from django.db import connections, transaction

from bulk import services
from bulk.models import CustomerImport
from bulk.tasks import customer_import_run
from tenants.current import current_tenant
from tenants.models import Tenant
from tenants.schemas import in_tenant


def _run_in_thread(tenant: Tenant, job_id: uuid.UUID) -> None:
    try:
        with in_tenant(tenant):
            services.customer_import_run(job_id=job_id)
    finally:
        # The thread's own connections: the process keeps none for a thread that is gone.
        connections.close_all()


def _start(tenant: Tenant, job_id: uuid.UUID) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        threading.Thread(
            target=_run_in_thread, args=(tenant, job_id), name=f"import-{job_id}", daemon=True
        ).start()
        return
    with in_tenant(tenant):  # the message carries the tenant's schema
        customer_import_run.delay(str(job_id))


def customer_import_start(*, job: CustomerImport) -> None:
    """Run the job (in the current tenant's schema) once the caller's transaction commits: by
    a Celery worker, or by a thread of this process when Celery is eager."""
    tenant = current_tenant()
    job_id = job.object_id
    transaction.on_commit(lambda: _start(tenant, job_id))
