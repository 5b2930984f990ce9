"""Email codes survive the faults the outbox is for (tenants/outbox.py), with real processes on
loopback: a live server (granian), Celery workers and the relay as processes of their own, a
Redis broker of this test's own on port 6391 that is stopped and started again, and an SMTP
server that stalls.

- Redis goes down in the middle of 100 sign-ups and comes back empty: no sign-up fails, and
  once a worker and the relay run, each of the 100 codes arrives exactly once.
- A worker is killed (SIGKILL) while the SMTP server holds its message: a new worker and the
  relay deliver it, exactly once.

The server's cache stays on PostgreSQL (no REDIS_URL), so that only the broker goes down.
"""

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from django.db import transaction

from accounts.tasks import email_enqueue
from tenants.models import OutboxMessage, Tenant
from tenants.outbox import outbox_backlog
from tests.factories import live_server
from tests.factories.celery_worker import broker_at
from tests.factories.committed_tenant import committed_sign_up_tenant
from tests.factories.live_server import ROOT, database_url
from tests.factories.smtp import smtp_server

pytestmark = [
    pytest.mark.redis,
    pytest.mark.usefixtures("committed_db"),
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="redis-server is not installed: the outbox's fault tests did NOT run",
    ),
]

REDIS_PORT = 6391
REDIS_ARGV = ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
WORKER_ARGV = [
    *[sys.executable, "-m", "celery", "-A", "ciam_portal", "worker", "--pool", "solo"],
    *["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
]
BROKER_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
REDIRECT = "https://outbox.example/cb"
SIGN_UPS = 100
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CODE = re.compile(r"^\s*(\d{8})\s*$", re.MULTILINE)


class OwnRedis:
    """A redis-server on REDIS_PORT, nothing saved: stopped, it comes back empty (the harshest
    outage: what it held is lost)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [*REDIS_ARGV, "--port", str(REDIS_PORT)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=REDIS_PORT, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on {REDIS_PORT}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a server, worker or relay of these tests: the test database, the
    cache on PostgreSQL, the broker on our Redis."""
    leave_out = {"REDIS_URL", "CIAM_EMAIL_DIR", "CIAM_SMTP_HOST"}
    return {
        **{name: value for name, value in os.environ.items() if name not in leave_out},
        "DJANGO_SETTINGS_MODULE": "ciam_portal.settings.test",
        "DATABASE_URL": database_url(),
        "CIAM_TEST_BROKER_URL": BROKER_URL,
        **extra,
    }


@dataclass
class Workers:
    """Celery worker processes, each killed at the end of the test whatever happened."""

    env: dict[str, str]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        worker = subprocess.Popen(
            WORKER_ARGV,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.poll() is None:
                worker.kill()
            worker.wait(timeout=10)


@pytest.fixture
def workers_with(request: pytest.FixtureRequest) -> Iterator[Callable[..., Workers]]:
    made: list[Workers] = []

    def make(**extra: str) -> Workers:
        made.append(Workers(env=process_env(**extra)))
        return made[-1]

    try:
        yield make
    finally:
        for workers in made:
            workers.stop_all()


def relay(**extra: str) -> str:
    """One run of the relay, as a process of its own; every published message republished."""
    done = subprocess.run(
        [sys.executable, "manage.py", "outbox_relay", "--visibility", "0"],
        cwd=ROOT,
        env=process_env(**extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def wait_for(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.fixture
def sign_up_tenant(committed_db: None) -> Iterator[tuple[Tenant, str]]:
    with committed_sign_up_tenant("Outbox Co", REDIRECT) as made:
        yield made


def sign_up(base_url: str, tenant: Tenant, client_id: str, email: str, address: str) -> list[int]:
    """A customer starts a sign-up as a browser does: the app's authorization request, the
    sign-up page, its form posted with the email (which sends the code). The statuses.

    Each customer comes from an address of their own (through the one proxy the server
    trusts): allauth allows 20 sign-ups a minute per address."""
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = address
    prefix = f"{base_url}/{tenant.domain_name}"
    authorize = browser.get(
        f"{prefix}/oauth2/v2.0/authorize?client_id={client_id}&response_type=code"
        f"&scope=openid&redirect_uri={REDIRECT}",
        timeout=30,
    )
    page = browser.get(f"{prefix}/account/signup/", timeout=30)
    token = _CSRF.search(page.text)
    assert token, page.text[:500]
    posted = browser.post(
        f"{prefix}/account/signup/",
        data={"csrfmiddlewaretoken": token.group(1), "email": email},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=30,
    )
    return [authorize.status_code, page.status_code, posted.status_code]


def mails_in(directory: Path) -> list[Message]:
    """The messages Django's file backend wrote (one file per connection, messages separated
    by a line of dashes)."""
    separator = b"\n" + b"-" * 79 + b"\n"
    return [
        message_from_bytes(chunk.strip(b"\n"))
        for path in sorted(directory.iterdir())
        for chunk in path.read_bytes().split(separator)
        if chunk.strip()
    ]


def text_of(message: Any) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    return "".join(
        part.get_payload(decode=True).decode()
        for part in parts
        if part.get_content_type() == "text/plain"
    )


def test_a_broker_outage_during_sign_ups_loses_no_code_and_sends_none_twice(
    own_redis: OwnRedis,
    sign_up_tenant: tuple[Tenant, str],
    workers_with: Callable[..., Workers],
    tmp_path: Path,
) -> None:
    tenant, client_id = sign_up_tenant
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    emails = [f"fan-{n:03d}@example.com" for n in range(SIGN_UPS)]
    seconds: dict[str, list[float]] = {}

    def sign_ups(phase: str, numbers: range) -> list[int]:
        """Customers `numbers` sign up, four at a time; their statuses, in order."""

        def one(n: int) -> list[int]:
            started = time.monotonic()
            answered = sign_up(base_url, tenant, client_id, emails[n], f"198.51.100.{n + 1}")
            seconds.setdefault(phase, []).append(time.monotonic() - started)
            return answered

        with ThreadPoolExecutor(4) as pool:
            return [status for answered in pool.map(one, numbers) for status in answered]

    server = contextmanager(live_server._serve)(
        mail_dir,
        without=("REDIS_URL", "CIAM_EMAIL_DIR"),
        extra={"CIAM_TEST_BROKER_URL": BROKER_URL, "CIAM_TRUSTED_PROXY_COUNT": "1"},
    )
    with server as base_url:
        statuses = sign_ups("before", range(30))
        own_redis.stop()
        statuses += sign_ups("outage", range(30, 70))
        own_redis.start()
        statuses += sign_ups("after", range(70, SIGN_UPS))
    assert all(status < 500 for status in statuses), Counter(statuses)
    assert Counter(statuses[2::3]) == {302: SIGN_UPS}, "every sign-up sent its code"
    # The sign-ups with the broker down went on at once: the publish fails in milliseconds
    # (with kombu's own retries it took 4 to 6 seconds; a sign-up is about one here).
    assert max(seconds["outage"]) < 5, seconds
    # The 30 published before the outage died with Redis; the 40 of the outage were never
    # published; only the last 30 are queued.
    assert outbox_backlog() == SIGN_UPS

    workers_with(CIAM_EMAIL_DIR=str(mail_dir)).start()
    relay()
    assert wait_for(lambda: outbox_backlog() == 0, 60), f"{outbox_backlog()} not delivered"
    time.sleep(2)  # a duplicate would be sent now: the relay republished the last 30 too
    messages = mails_in(mail_dir)
    per_recipient = Counter(message["To"] for message in messages)
    assert per_recipient == dict.fromkeys(emails, 1)
    assert all(_CODE.search(text_of(message)) for message in messages)
    ids = {message["Message-ID"] for message in messages}
    assert len(ids) == SIGN_UPS
    assert not OutboxMessage.objects.filter(tenant=tenant).exclude(payload="").exists()


@dataclass
class StallingMailbox:
    """An SMTP server that holds the first message's DATA without answering (until released,
    then refuses it: never accepted, never counted) and accepts every later one."""

    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    accepted: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        self.accepted.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def stalling_smtp() -> Iterator[tuple[StallingMailbox, int]]:
    mailbox = StallingMailbox()
    with smtp_server(mailbox) as port:
        try:
            yield mailbox, port
        finally:
            mailbox.release.set()  # before the server stops: its handler waits on it


@pytest.fixture
def publishing_to_own_redis(own_redis: OwnRedis, committed_db: None) -> Iterator[None]:
    """This process publishes to our Redis, as a web node does."""
    with broker_at(BROKER_URL):
        yield


def test_a_worker_killed_mid_delivery_leaves_the_code_to_the_next_sent_once(
    stalling_smtp: tuple[StallingMailbox, int],
    publishing_to_own_redis: None,
    workers_with: Callable[..., Workers],
) -> None:
    mailbox, port = stalling_smtp
    workers = workers_with(
        CIAM_SMTP_HOST="127.0.0.1", CIAM_SMTP_PORT=str(port), CIAM_SMTP_STARTTLS="false"
    )
    first = workers.start()
    with transaction.atomic():
        message = email_enqueue(
            tenant=None,
            email={
                "subject": "Your code",
                "body": "Your code is 27182818",
                "html": None,
                "from_email": "no-reply@outbox.example",
                "to": ["killed@example.com"],
            },
        )
    try:
        assert mailbox.stalled.wait(45), "the worker never reached the SMTP server's DATA"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        mailbox.release.set()

        workers.start()

        def relayed_and_arrived() -> bool:
            # As beat runs it, again and again: the dead worker's lock goes with its database
            # session, which PostgreSQL ends once it sees the connection closed.
            relay()
            return wait_for(lambda: bool(mailbox.accepted), 2)

        assert wait_for(relayed_and_arrived, 45), "the code never arrived"
        time.sleep(2)  # a second copy would come now
        assert [m["To"] for m in mailbox.accepted] == ["killed@example.com"]
        assert mailbox.accepted[0]["Message-ID"] == f"<{message.pk}@outbox.example>"
        assert "27182818" in text_of(mailbox.accepted[0])
        message.refresh_from_db()
        assert message.delivered_at is not None
        assert message.payload == ""
    finally:
        OutboxMessage.objects.filter(pk=message.pk).delete()
