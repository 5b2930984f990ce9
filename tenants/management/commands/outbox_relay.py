"""Publish the outbox's pending messages again (tenants/outbox.py), as Celery beat does every
few seconds: after an outage, to drain the backlog at once, or where no beat runs."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.outbox import outbox_backlog, outbox_relay


class Command(BaseCommand):
    help = "Publish again the outbox messages whose publish failed or was never delivered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--visibility",
            type=int,
            default=None,
            help="Seconds after which a published, undelivered message is published again "
            "(default: CIAM_OUTBOX_VISIBILITY_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seconds = options["visibility"]
        published = outbox_relay(visibility=None if seconds is None else timedelta(seconds=seconds))
        self.stdout.write(f"published {published}, pending {outbox_backlog()}")
