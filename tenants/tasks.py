"""Background work on tenants; each task only calls a service."""

from celery import shared_task

from tenants import outbox, services


@shared_task(ignore_result=True)
def tenants_purge_due() -> list[str]:
    """Celery beat, hourly: purge tenants deleted more than 30 days ago."""
    return services.tenants_purge_due()


@shared_task(ignore_result=True)
def outbox_relay() -> int:
    """Celery beat, every 5 seconds: publish again the outbox's messages whose publish failed
    or whose worker never delivered them (tenants/outbox.py)."""
    return outbox.outbox_relay()


@shared_task(ignore_result=True)
def outbox_purge() -> int:
    """Celery beat, hourly: delete the outbox's messages delivered more than a day ago (and
    those abandoned, tenants/outbox.py)."""
    return outbox.outbox_purge()
