"""The structured event stream (issue 13): each sign-in and each audit entry, also as one JSON
line on the `ciam.events` logger, for an operator's log stack (Loki, Elasticsearch, Splunk,
CloudWatch: anything that reads JSON lines from a container's output or a file).

`event_emit` logs the event; `JsonLinesFormatter` (named in settings.LOGGING) writes each record
as one line: `time`, `event` (`sign_in` or `audit`), `tenant` (its ID) and `domain`, the
`correlation_id` where the event has one, then the event's own fields. No password, code,
secret or token is ever a field.
"""

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger("ciam.events")


def event_emit(event: str, fields: Mapping[str, Any]) -> None:
    """One event on the stream (nothing is formatted unless a handler takes INFO)."""
    if logger.isEnabledFor(logging.INFO):
        logger.info(event, extra={"ciam_event": {"event": event, **fields}})


class JsonLinesFormatter(logging.Formatter):
    """A record as one JSON object on one line: the event's fields when it carries some,
    otherwise the logger, level and message."""

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
        return json.dumps(line, ensure_ascii=False, default=str, separators=(",", ":"))
