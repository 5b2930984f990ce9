"""An SMTP server on a free loopback port, for tests that follow a message to its recipient."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller


@contextmanager
def smtp_server(handler: Any) -> Iterator[int]:
    """Serve aiosmtpd's `handler` (its `handle_DATA` decides each message's fate) on a free
    port of 127.0.0.1; yield the port; stop on leaving."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
