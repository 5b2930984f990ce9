"""Email delivery: rendered in the request by the adapter, kept in the outbox (tenants/outbox.py)
in the request's transaction, sent here by a Celery worker.

The message carries a one-time code, so the task receives only the outbox message's ID (the
payload is encrypted in the table and wiped once sent), stores no result, and nothing here
logs the body.
"""

import logging
import smtplib
import uuid
from typing import Any

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from accounts.services import customers_purge_due as purge_due
from accounts.session_store import SessionStore
from tenants.models import AuditAction, OutboxMessage, Tenant, TenantStatus
from tenants.outbox import outbox_delivery, outbox_message_add
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
def email_deliver(self: object, /, *, message_id: str = "", **queued_before: Any) -> None:
    """Send the outbox's message `message_id` once: a copy published again (by the relay, or
    redelivered after a worker died) finds it delivered or taken and does nothing. SMTP and
    network failures are retried with exponential back-off, the message still pending.

    A message queued by a release before the outbox carries the email itself
    (`queued_before`): it is sent as it was then, so that a rolling deploy loses none."""
    if not message_id:
        email_send(message_id=str(uuid.uuid4()), **queued_before)
        return
    with outbox_delivery(message_id=message_id) as payload:
        if payload is None:
            return
        email_send(message_id=message_id, **payload)


def email_send(
    *, message_id: str, subject: str, body: str, html: str | None, from_email: str, to: list[str]
) -> None:
    """One message, its Message-ID derived from the outbox's ID (RFC 5322 §3.6.4), so that a
    copy sent twice despite the outbox (a crash between the server's acceptance and the
    commit) is recognisable as one message by the receiving end."""
    domain = from_email.rpartition("@")[2].rstrip(">") or "ciam.localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email,
        to=to,
        headers={"Message-ID": f"<{message_id}@{domain}>"},
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
    logger.info("Email delivered to %d recipient(s)", len(to))


def email_enqueue(*, tenant: Tenant | None, email: dict[str, Any]) -> OutboxMessage:
    """Keep a rendered email (subject, body, html, from_email, to) in the outbox, in the
    caller's transaction, for `email_deliver` to send once it commits."""
    return outbox_message_add(tenant=tenant, task_name=email_deliver.name, payload=email)


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
