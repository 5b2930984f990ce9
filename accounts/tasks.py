"""Email delivery: rendered in the request by the adapter, sent here by a Celery worker.

The message carries a one-time code, so the task stores no result, its arguments are redacted
from Celery's own records, and nothing here logs the body.
"""

import logging
import smtplib

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from accounts.services import customers_purge_due as purge_due
from accounts.session_store import SessionStore
from tenants.models import AuditAction, Tenant, TenantStatus
from tenants.schemas import in_tenant, use_public_schema
from tenants.services import audit_record

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def email_deliver(
    self: object,
    *,
    subject: str,
    body: str,
    html: str | None,
    from_email: str,
    to: list[str],
) -> None:
    """Send one message; SMTP and network failures are retried with exponential back-off."""
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
    logger.info("Email delivered to %d recipient(s)", len(to))


@shared_task(ignore_result=True)
def customers_purge_due() -> int:
    """Celery beat, hourly: in every ready tenant, erase the customers deleted 30 days ago or
    more; each tenant's purge is recorded in the audit log as a count, never as addresses."""
    purged = 0
    for tenant in list(Tenant.objects.filter(status=TenantStatus.READY)):
        with in_tenant(tenant):
            count = purge_due()
        if count:
            audit_record(
                actor=None,
                tenant=tenant,
                action=AuditAction.CUSTOMERS_PURGED,
                details={"customers": count},
            )
        purged += count
    return purged


@shared_task(ignore_result=True)
def sessions_clear_expired() -> None:
    """Celery beat, hourly: remove expired sessions, the admin center's (public schema) and
    every ready tenant's (the session store's own `clear_expired`, schema by schema)."""
    use_public_schema()
    SessionStore.clear_expired()
    for tenant in list(Tenant.objects.filter(status=TenantStatus.READY)):
        with in_tenant(tenant):
            SessionStore.clear_expired()
