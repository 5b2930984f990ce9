"""One-time codes travel by email through a real Celery worker on Redis to a real SMTP server."""

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.test import Client, override_settings

from accounts.tasks import email_enqueue
from ciam_portal.celery import app
from tenants.models import OutboxMessage, Tenant
from tenants.outbox import outbox_backlog
from tests.factories.committed_tenant import committed_sign_up_tenant
from tests.factories.smtp import smtp_server

pytestmark = pytest.mark.redis


@dataclass
class Mailbox:
    """An SMTP server on loopback that can be told to refuse the first few messages."""

    refuse_first: int = 0
    attempts: int = 0
    messages: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.attempts <= self.refuse_first:
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        yield mailbox, port


@pytest.fixture
def worker(redis_broker: str, committed_db: None) -> Iterator[None]:
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="DEBUG"):
        yield


def smtp_settings(port: int) -> Any:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
    )


def wait_for(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def body_of(message: Any) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    return "".join(
        part.get_payload(decode=True).decode()
        for part in parts
        if part.get_content_type() == "text/plain"
    )


@pytest.fixture
def signup_tenant(committed_db: None) -> Iterator[tuple[Tenant, str]]:
    with committed_sign_up_tenant("Mail Co", "https://mail.example/cb") as made:
        yield made


def start_sign_up(tenant: Tenant, client_id: str, email: str) -> Client:
    client = Client()
    client.get(
        f"/{tenant.domain_name}/oauth2/v2.0/authorize?client_id={client_id}&response_type=code"
        "&scope=openid&redirect_uri=https://mail.example/cb"
    )
    response = client.post(f"/{tenant.domain_name}/account/signup/", {"email": email})
    assert response.status_code == 302
    return client


def test_a_sign_up_code_reaches_a_real_smtp_server_through_a_real_worker(
    smtp: tuple[Mailbox, int],
    worker: None,
    signup_tenant: tuple[Tenant, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailbox, port = smtp
    tenant, client_id = signup_tenant
    caplog.set_level(logging.DEBUG)
    with smtp_settings(port):
        client = start_sign_up(tenant, client_id, "mailer@example.com")
        assert wait_for(lambda: mailbox.messages, 20), "no email arrived"
    message = mailbox.messages[0]
    assert message["To"] == "mailer@example.com"
    # Sent for the app signing in ("Web"), in its name, without allauth's "[site]" prefix.
    assert message["Subject"] == "Verify your email address for Web"
    assert message["From"].startswith("Web <")
    code = re.search(r"^\s*(\d{8})\s*$", body_of(message), re.MULTILINE)
    assert code is not None
    # The code works...
    confirm = client.post(f"/{tenant.domain_name}/account/confirm-email/", {"code": code.group(1)})
    assert confirm.status_code == 302
    # ...and appears in no log line of the product, Django or Celery, whatever the level. (The
    # stand-in SMTP server's own "mail.log" debug lines are the receiving end, not the product.)
    records = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert any(r.name.startswith("celery") for r in records)
    for record in records:
        assert code.group(1) not in record.getMessage(), record.name
        assert code.group(1).replace("-", "") not in record.getMessage(), record.name


def test_smtp_failures_are_retried_until_the_code_arrives(
    smtp: tuple[Mailbox, int], worker: None
) -> None:
    mailbox, port = smtp
    mailbox.refuse_first = 2
    with smtp_settings(port):
        with transaction.atomic():
            message = email_enqueue(
                tenant=None,
                email={
                    "subject": "Your code",
                    "body": "Code: ABCD-EFGH",
                    "html": None,
                    "from_email": "no-reply@example.com",
                    "to": ["retry@example.com"],
                },
            )
        try:
            assert wait_for(lambda: mailbox.messages, 45), f"attempts: {mailbox.attempts}"
            assert wait_for(lambda: outbox_backlog() == 0, 10)
        finally:
            OutboxMessage.objects.filter(pk=message.pk).delete()
    assert mailbox.attempts == 3
    assert body_of(mailbox.messages[0]).strip() == "Code: ABCD-EFGH"
