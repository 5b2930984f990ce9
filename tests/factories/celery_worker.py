"""A real Celery worker's broker: the real Redis, or a plain statement that it is not there."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from kombu import pools

from ciam_portal.celery import app
from tests.conftest import in_ci


@pytest.fixture
def redis_broker() -> Iterator[str]:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if in_ci():
            pytest.fail(f"Redis is not reachable at {url}, and CI must run this test.")
        pytest.skip(f"Redis is not reachable at {url}: the live Celery worker test did NOT run.")
    with broker_at(url):
        yield url


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """This process publishes to the broker at `url` (no eager mode) until the block ends."""
    previous = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=url, task_always_eager=False)
    forget_broker_connections()
    try:
        yield
    finally:
        app.conf.update(previous)
        forget_broker_connections()


def forget_broker_connections() -> None:
    """Drop pooled connections to the previous broker, so publishing follows broker_url."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools per connection URL, process-wide.
    pools.reset()
