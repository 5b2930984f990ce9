"""The transactional outbox (tenants/outbox.py): an email is a row of the transaction that
caused it, encrypted at rest, published after the commit without ever hanging or breaking the
request, relayed when its publish failed, and delivered once however often it is published."""

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.tasks import email_deliver, email_enqueue
from ciam_portal.celery import app
from tenants.models import OutboxMessage, Tenant
from tenants.outbox import outbox_backlog, outbox_publish, outbox_purge, outbox_relay
from tenants.schemas import current_schema_name, in_public_schema, in_tenant
from tenants.secrets import secret_decrypt, secret_encrypt
from tests.factories.celery_worker import broker_at
from tests.factories.live_server import database_url

Capture = Callable[..., Any]
CODE = "48151623"


def an_email(to: str = "outbox@example.com") -> dict[str, Any]:
    return {
        "subject": "Your code",
        "body": f"Your code is {CODE}",
        "html": f"<p>Your code is <b>{CODE}</b></p>",
        "from_email": "Web <no-reply@mail.example>",
        "to": [to],
    }


def only_message() -> OutboxMessage:
    return OutboxMessage.objects.get()


def test_the_message_is_a_row_of_the_tenants_transaction_and_leaves_with_its_rollback(
    tenant_a: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    rows_inside: list[int] = []

    def sign_up_that_fails() -> None:
        with transaction.atomic():
            email_enqueue(tenant=tenant_a, email=an_email())
            # Written from the tenant's schema (its search path holds no public table), into
            # the public schema's table...
            with in_public_schema():
                rows_inside.append(OutboxMessage.objects.filter(tenant=tenant_a).count())
            raise RuntimeError("the sign-up failed")

    with (
        in_tenant(tenant_a),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        sign_up_that_fails()
    assert rows_inside == [1]
    # ...and gone with the transaction: nothing left, nothing published, nothing sent.
    assert not OutboxMessage.objects.exists()
    assert callbacks == []
    assert mail.outbox == []


def test_the_payload_is_encrypted_in_the_table_and_wiped_once_delivered(
    tenant_a: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_enqueue(tenant=tenant_a, email=an_email())
    message = only_message()
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM tenants_outboxmessage WHERE id = %s", [message.pk])
        (stored,) = cursor.fetchone()
    assert CODE not in stored
    assert "outbox@example.com" not in stored
    assert json.loads(secret_decrypt(stored))["body"] == f"Your code is {CODE}"

    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert message.delivered_at is not None
    assert message.payload == ""
    assert len(mail.outbox) == 1


def test_delivered_once_with_a_message_id_from_the_outbox_however_often_published(
    tenant_a: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        email_enqueue(tenant=tenant_a, email=an_email())
    message = only_message()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{message.pk}@mail.example>"
    sent = mail.outbox[0]
    assert isinstance(sent, EmailMultiAlternatives)
    assert sent.alternatives[0][0] == f"<p>Your code is <b>{CODE}</b></p>"
    # The relay's copy, a redelivery after a worker died: both find it delivered.
    email_deliver.apply(kwargs={"message_id": str(message.pk)})
    assert outbox_publish(message=message)
    assert len(mail.outbox) == 1
    assert outbox_backlog() == 0


def test_an_email_queued_before_the_outbox_is_still_sent() -> None:
    """A rolling deploy: the previous release queued the email itself, not an outbox ID."""
    email_deliver.apply(kwargs=an_email("queued-before@example.com"))
    assert [sent.to for sent in mail.outbox] == [["queued-before@example.com"]]


@pytest.fixture
def committed_message(committed_db: None) -> Iterator[OutboxMessage]:
    """A pending message committed (and not published), for another connection to lock."""
    message = OutboxMessage.objects.create(
        tenant=None,
        task_name=email_deliver.name,
        payload=secret_encrypt(json.dumps(an_email("locked@example.com")).encode()),
    )
    try:
        yield message
    finally:
        OutboxMessage.objects.filter(pk=message.pk).delete()


def test_a_message_another_worker_holds_is_left_to_it(committed_message: OutboxMessage) -> None:
    with psycopg.connect(database_url(), autocommit=False) as other_worker:
        other_worker.execute(
            "SELECT 1 FROM public.tenants_outboxmessage WHERE id = %s FOR UPDATE",
            [committed_message.pk],
        )
        email_deliver.apply(kwargs={"message_id": str(committed_message.pk)})
        assert mail.outbox == []  # skipped, not waited for
        other_worker.rollback()  # that worker died before it sent anything
    email_deliver.apply(kwargs={"message_id": str(committed_message.pk)})
    assert len(mail.outbox) == 1


def test_the_relay_holds_no_lock_while_it_publishes(committed_message: OutboxMessage) -> None:
    """A worker that gets the relay's copy at once must be able to claim the row: a row still
    locked by the relay would look taken by another worker, and be skipped."""
    claimable: dict[uuid.UUID, bool] = {}

    def publish(*, message: OutboxMessage) -> bool:
        with psycopg.connect(database_url(), autocommit=True) as worker:
            claimed = worker.execute(
                "SELECT id FROM public.tenants_outboxmessage WHERE id = %s FOR UPDATE SKIP LOCKED",
                [message.pk],
            ).fetchone()
        claimable[message.pk] = claimed is not None
        return True

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tenants.outbox.outbox_publish", publish)
        outbox_relay(grace=timedelta(0))
    assert claimable[committed_message.pk] is True


@pytest.fixture
def broker_down() -> Iterator[None]:
    """Celery publishing to a Redis that refuses connections (a closed loopback port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with broker_at(f"redis://127.0.0.1:{port}/0"):
        yield


def test_with_the_broker_down_the_request_goes_on_at_once_and_the_relay_sends_later(
    tenant_a: Tenant,
    django_capture_on_commit_callbacks: Capture,
    caplog: pytest.LogCaptureFixture,
    broker_down: None,
) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        email_enqueue(tenant=tenant_a, email=an_email())
        email_enqueue(tenant=tenant_a, email=an_email("second@example.com"))
    assert time.monotonic() - started < 3
    assert "not published, the relay will" in caplog.text
    assert CODE not in caplog.text
    assert {(m.published_at, m.attempts) for m in OutboxMessage.objects.all()} == {(None, 1)}
    assert outbox_relay(grace=timedelta(0)) == 0  # still down: the relay stops at once
    assert outbox_backlog() == 2

    app.conf.update(task_always_eager=True)  # the broker is back (and runs in this thread)
    assert outbox_relay(grace=timedelta(0)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["outbox@example.com", "second@example.com"]
    assert outbox_backlog() == 0


def test_the_relay_republishes_only_what_is_pending_and_overdue(tenant_a: Tenant) -> None:
    now = timezone.now()
    cases: dict[str, dict[str, Any]] = {
        "failed": {"published_at": None},
        "recent": {"published_at": now - timedelta(seconds=30)},
        "overdue": {"published_at": now - timedelta(minutes=10)},
        "delivered": {"published_at": now - timedelta(minutes=10), "delivered_at": now},
    }
    rows = {
        name: OutboxMessage.objects.create(
            tenant=tenant_a,
            task_name=email_deliver.name,
            created_at=now - timedelta(minutes=20),
            **fields,
        )
        for name, fields in cases.items()
    }
    published: list[uuid.UUID] = []

    def publish(*, message: OutboxMessage) -> bool:
        published.append(message.pk)
        return True

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tenants.outbox.outbox_publish", publish)
        assert outbox_relay(visibility=timedelta(minutes=5)) == 2
    assert published == [rows["failed"].pk, rows["overdue"].pk]
    assert outbox_backlog() == 3


def test_an_eager_delivery_that_fails_never_breaks_the_request(
    tenant_a: Tenant,
    django_capture_on_commit_callbacks: Capture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    smtp = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=closed_port,
        EMAIL_USE_TLS=False,
    )
    with smtp, in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        email_enqueue(tenant=tenant_a, email=an_email())
    assert "failed in eager mode" in caplog.text
    assert CODE not in caplog.text
    message = only_message()
    assert message.delivered_at is None
    assert message.published_at is None  # the relay sends it again
    assert message.payload


def test_delivered_messages_are_purged_after_a_day(tenant_a: Tenant) -> None:
    now = timezone.now()

    def row(**fields: Any) -> OutboxMessage:
        return OutboxMessage.objects.create(tenant=tenant_a, task_name=email_deliver.name, **fields)

    old = row(created_at=now - timedelta(days=2), delivered_at=now - timedelta(hours=25))
    fresh = row(created_at=now - timedelta(hours=2), delivered_at=now - timedelta(hours=1))
    pending = row(created_at=now - timedelta(days=2), payload="x")
    abandoned = row(created_at=now - timedelta(days=8), payload="x")
    assert outbox_purge() == 2
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {fresh.pk, pending.pk}
    assert {old.pk, abandoned.pk}.isdisjoint(OutboxMessage.objects.values_list("pk", flat=True))


def test_the_relay_runs_in_the_public_schema_and_each_task_in_its_tenants(
    tenant_a: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    schemas: list[str] = []
    seen = threading.Event()

    def record(**kwargs: Any) -> None:
        schemas.append(current_schema_name())
        seen.set()

    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=False):
        email_enqueue(tenant=tenant_a, email=an_email())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("accounts.tasks.email_send", record)
        assert outbox_relay(grace=timedelta(0)) == 1
    assert seen.is_set()
    assert schemas == [tenant_a.schema_name]


def test_the_relay_and_the_purge_run_on_the_beat_schedule() -> None:
    tasks = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert tasks["tenants.tasks.outbox_relay"] <= 10  # seconds
    assert "tenants.tasks.outbox_purge" in tasks
