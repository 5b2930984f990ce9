"""A custom authentication extension on loopback for the journey's tests (issue 14): the real
HTTP service of tests/extensions/test_client.py, started per test and stopped after it."""

from collections.abc import Iterator

import pytest

from tests.extensions.test_client import Service


@pytest.fixture
def loopback_extension() -> Iterator[Service]:
    running = Service()
    yield running
    running.server.shutdown()
    running.server.server_close()
