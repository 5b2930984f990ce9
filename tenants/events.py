"""The structured event stream (issue 13): each sign-in and each audit entry, also as one JSON
line on the `ciam.events` logger, for an operator's log stack (Loki, Elasticsearch, Splunk,
CloudWatch: anything that reads JSON lines from a container's output or a file).

`event_emit` logs the event; `JsonLinesFormatter` (named in settings.LOGGING) writes each record
as one line: `time`, `event` (`sign_in` or `audit`), `tenant` (its ID) and `domain`, the
`correlation_id` where the event has one, then the event's own fields. No password, code,
secret or token is ever a field.

With CIAM_LOG_FORMAT=json every other log line takes the same shape (issue 16): `time`,
`level`, `logger`, `message`, the `tenant` and `domain` whose schema the connection is in, the
request's `correlation_id` (correlation.py) and, for an error, its `exception`.
"""

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from tenants.correlation import correlation_id_current

logger = logging.getLogger("ciam.events")


def event_emit(event: str, fields: Mapping[str, Any]) -> None:
    """One event on the stream (nothing is formatted unless a handler takes INFO)."""
    if logger.isEnabledFor(logging.INFO):
        logger.info(event, extra={"ciam_event": {"event": event, **fields}})


class JsonLinesFormatter(logging.Formatter):
    """A record as one JSON object on one line: the event's fields when it carries some,
    otherwise the logger, level and message; either way the tenant and correlation ID of the
    work in progress where the record does not say its own."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "ciam_event", None)
        time = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        if isinstance(fields, Mapping):
            line: dict[str, Any] = {"time": time, **fields}
        else:
            line = {
                "time": time,
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                line["exception"] = self.formatException(record.exc_info)
            elif record.exc_text:
                line["exception"] = record.exc_text
        for name, value in _context_fields().items():
            line.setdefault(name, value)
        return json.dumps(line, ensure_ascii=False, default=str, separators=(",", ":"))


def _context_fields() -> dict[str, str]:
    """The tenant whose schema this thread's connection is in, and the correlation ID in
    force. The connection is asked, not the request: a Celery task in a tenant logs its tenant
    too. Nothing is imported from the models (a formatter is built before the app registry)."""
    fields: dict[str, str] = {}
    try:
        tenant = getattr(connection, "tenant", None)
    except ImproperlyConfigured:  # a line logged before the settings are (a command's start)
        tenant = None
    tenant_id = getattr(tenant, "tenant_id", None)
    if tenant_id is not None:
        fields["tenant"] = str(tenant_id)
        fields["domain"] = str(getattr(tenant, "domain_name", ""))
    correlation_id = correlation_id_current()
    if correlation_id:
        fields["correlation_id"] = correlation_id
    return fields
