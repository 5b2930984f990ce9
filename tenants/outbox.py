"""The transactional outbox: work a transaction promises to Celery survives a broker outage.

Publishing to Redis straight from `on_commit` loses the message when Redis is down at that
moment (an email carrying a one-time code, say). Instead the message is a row
(`OutboxMessage`, public schema) written in the SAME transaction as what caused it, so it
exists exactly when that change was kept. Then:

- after the commit it is published at once, best effort: a broker that is down fails the
  publish within a second (no kombu retries, short socket timeouts), logged, never raised
  into the request;
- the relay (`outbox_relay`, Celery beat every few seconds, or `manage.py outbox_relay`)
  republishes every pending row whose publish failed, or whose publish is older than the
  visibility window (a worker died with it, a message was lost);
- the task receives only the row's ID and does the work inside `outbox_delivery`: the row is
  claimed with `SELECT … FOR UPDATE SKIP LOCKED`, marked delivered and its payload wiped in
  the same transaction as the work. A message published twice (the relay's copy and the
  first, a redelivery after a worker died) is done once; a copy that finds the row delivered
  or locked by another worker does nothing.

The payload is encrypted at rest (tenants/secrets.py) and never logged. The kernel names the
task by its dotted name and imports nothing above it.
"""

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, cast

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.transaction import on_commit
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from tenants.models import OutboxMessage, Tenant
from tenants.schemas import in_public_schema
from tenants.secrets import secret_decrypt, secret_encrypt

logger = logging.getLogger(__name__)

# A row younger than this is left to the publish its own commit makes (the relay would
# otherwise race it and publish the row twice, harmless but wasted).
RELAY_GRACE = timedelta(seconds=2)
# Rows the relay publishes per run, so that one run after a long outage stays short.
RELAY_BATCH = 500


def outbox_message_add(
    *, tenant: Tenant | None, task_name: str, payload: Mapping[str, Any]
) -> OutboxMessage:
    """Write a message for `task_name` (a dotted Celery task name taking `message_id`) in the
    caller's transaction, and publish it once that transaction commits.

    `tenant` is the schema the task runs in (None: the public schema). The payload is stored
    encrypted; the task reads it back through `outbox_delivery`. A rollback removes the row
    and publishes nothing.
    """
    token = secret_encrypt(json.dumps(payload).encode())
    with in_public_schema():  # from a tenant's request too, in its transaction
        message = OutboxMessage.objects.create(tenant=tenant, task_name=task_name, payload=token)
    on_commit(lambda: outbox_publish(message=message))
    return message


def outbox_publish(*, message: OutboxMessage) -> bool:
    """Hand the message to Celery now; True when the broker took it (or, in eager mode, when
    the task ran without raising).

    Never raises: this runs after the commit, in the request that caused the message, and a
    pending row is the relay's to publish again. With no broker (eager mode: `make run`, the
    tests) the task runs here, and its failure is logged the same way.
    """
    schema = message.tenant.schema_name if message.tenant else get_public_schema_name()
    published = _publish(message=message, schema=schema)
    with in_public_schema():
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1,
            published_at=timezone.now() if published else None,
        )
    return published


def _publish(*, message: OutboxMessage, schema: str) -> bool:
    kwargs = {"message_id": str(message.pk)}
    # tenant-schemas-celery runs the task in the schema its header names; the relay runs in the
    # public schema, so the header is always given, never taken from the connection.
    headers = {"_schema_name": schema}
    app = current_app
    if app.conf.task_always_eager:
        try:
            task = app.tasks[message.task_name]
        except KeyError:
            app.loader.import_default_modules()
            task = app.tasks[message.task_name]
        try:
            task.apply(kwargs=kwargs, headers=headers, throw=True)
        except Exception as exc:  # the commit is kept; the row stays pending
            logger.warning(
                "Outbox message %s (%s) failed in eager mode: %s",
                message.pk,
                message.task_name,
                type(exc).__name__,
            )
            return False
        return True
    try:
        with app.producer_or_acquire() as producer:
            # Connect once, without kombu's retry loop (seconds with Redis down): the relay
            # is the retry.
            producer.connection.ensure_connection(max_retries=0)
            app.send_task(
                message.task_name,
                kwargs=kwargs,
                headers=headers,
                producer=producer,
                retry=False,
                ignore_result=True,
            )
    except Exception as exc:  # any broker failure leaves the row to the relay
        logger.warning(
            "Outbox message %s (%s) not published, the relay will: %s",
            message.pk,
            message.task_name,
            type(exc).__name__,
        )
        return False
    return True


def outbox_relay(
    *,
    visibility: timedelta | None = None,
    grace: timedelta = RELAY_GRACE,
    limit: int = RELAY_BATCH,
) -> int:
    """Publish again the pending messages whose publish failed or is older than `visibility`
    (default CIAM_OUTBOX_VISIBILITY_SECONDS); returns how many the broker took.

    Oldest first, at most `limit`. The rows are taken in a short transaction (SKIP LOCKED,
    their `published_at` moved to now), so two relays at once share the work instead of
    doubling it; they are published after it commits, since a worker finding a row still
    locked would take it for another worker's and skip it. Stops at the first failed
    publish: the broker is down, and the rows not tried are left for the next run.
    """
    if visibility is None:
        visibility = timedelta(seconds=settings.CIAM_OUTBOX_VISIBILITY_SECONDS)
    due = _relay_take(visibility=visibility, grace=grace, limit=limit)
    published = 0
    for position, message in enumerate(due):
        if not outbox_publish(message=message):
            untried = [later.pk for later in due[position + 1 :]]
            with in_public_schema():
                OutboxMessage.objects.filter(pk__in=untried).update(published_at=None)
            break
        published += 1
    if published:
        logger.info("Outbox relay published %d message(s)", published)
    return published


def _relay_take(*, visibility: timedelta, grace: timedelta, limit: int) -> list[OutboxMessage]:
    now = timezone.now()
    with in_public_schema(), transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("tenant")
            .filter(delivered_at__isnull=True, created_at__lte=now - grace)
            .filter(Q(published_at__isnull=True) | Q(published_at__lte=now - visibility))
            .order_by("created_at")[:limit]
        )
        OutboxMessage.objects.filter(pk__in=[message.pk for message in due]).update(
            published_at=now
        )
    return due


@contextmanager
def outbox_delivery(*, message_id: str) -> Iterator[dict[str, Any] | None]:
    """The payload of a pending message, for the task to do its work with; None when the
    message is delivered already, taken by another worker (locked) or gone.

    One transaction: the row is claimed `FOR UPDATE SKIP LOCKED`, and when the block ends
    without raising it is marked delivered and its payload wiped. When the block raises,
    nothing is marked: the task's retry, or the relay, does the work again.
    """
    with transaction.atomic():
        with in_public_schema():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, delivered_at__isnull=True)
                .first()
            )
        if message is None:
            yield None
            return
        yield cast(dict[str, Any], json.loads(secret_decrypt(message.payload)))
        with in_public_schema():
            OutboxMessage.objects.filter(pk=message.pk).update(
                delivered_at=timezone.now(), payload=""
            )


def outbox_purge() -> int:
    """Delete the messages delivered more than a day ago, and those still pending after
    CIAM_OUTBOX_ABANDON_DAYS (their codes expired long ago); returns how many."""
    now = timezone.now()
    with in_public_schema():
        deleted, _ = OutboxMessage.objects.filter(
            Q(delivered_at__lte=now - timedelta(days=1))
            | Q(
                delivered_at__isnull=True,
                created_at__lte=now - timedelta(days=settings.CIAM_OUTBOX_ABANDON_DAYS),
            )
        ).delete()
    return deleted


def outbox_backlog() -> int:
    """How many messages are not delivered yet (the operations metric: it grows while the
    broker or the workers are down, and drains once they are back)."""
    with in_public_schema():
        return OutboxMessage.objects.filter(delivered_at__isnull=True).count()
