"""Background work on tenants; each task only calls a service."""

from celery import shared_task

from tenants import services


@shared_task(ignore_result=True)
def tenants_purge_due() -> list[str]:
    """Celery beat, hourly: purge tenants deleted more than 30 days ago."""
    return services.tenants_purge_due()
