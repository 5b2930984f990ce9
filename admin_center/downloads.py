"""Streamed downloads of the logs (issue 13): CSV or JSON Lines, written row by row as the
database hands them over (a server-side cursor, monitoring/selectors.py), so a million rows
cost the web node a few chunks of memory, never the whole set.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) are
prefixed with an apostrophe (OWASP's CSV injection advice): customer emails, user agents and
app names come from outside.
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from django.http import StreamingHttpResponse

Row = TypeVar("Row")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "json")


class _Line:
    """A file-like object csv.writer writes one line to, which it hands back."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    if isinstance(value, list | tuple):
        text = " ".join(str(item) for item in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_lines(
    rows: Iterable[Row], columns: Sequence[str], fields: Callable[[Row], dict[str, Any]]
) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(columns)  # the BOM: Excel reads the file as UTF-8
    for row in rows:
        values = fields(row)
        yield writer.writerow([_cell(values.get(column)) for column in columns])


def _json_lines(rows: Iterable[Row], fields: Callable[[Row], dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(fields(row), ensure_ascii=False, default=str) + "\n"


def download_response(
    *,
    rows: Iterable[Row],
    columns: Sequence[str],
    fields: Callable[[Row], dict[str, Any]],
    file_format: str,
    filename: str,
) -> StreamingHttpResponse:
    """`rows` as a CSV file (the columns named, in order) or JSON Lines (every field), streamed."""
    if file_format == "json":
        body: Iterator[str] = _json_lines(rows, fields)
        content_type, extension = "application/x-ndjson; charset=utf-8", "jsonl"
    else:
        body = _csv_lines(rows, columns, fields)
        content_type, extension = "text/csv; charset=utf-8", "csv"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    response["Cache-Control"] = "no-store"
    return response
