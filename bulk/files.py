"""The files of a customer import: their columns (docs/bulk-import.md) and reading their rows.

A CSV file has a header row naming its columns; a JSON file is an array of objects or JSON
Lines (one object a line), with the same names as keys. Rows are numbered from 1, the first
customer, whatever the format, so the error report names rows the way the admin counts them.
Files are read as streams (an array excepted: it is parsed whole, within the 50 MB limit).
"""

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import IO

# Entra's (Microsoft Graph's) property names for the built-in attributes (accounts.attributes'
# BUILTIN_ATTRIBUTES but the email address), as User fields.
BUILTIN_COLUMNS: dict[str, str] = {
    "displayName": "display_name",
    "givenName": "given_name",
    "surname": "surname",
    "jobTitle": "job_title",
    "streetAddress": "street_address",
    "city": "city",
    "state": "state",
    "postalCode": "postal_code",
    "country": "country",
}
EMAIL = "email"
PASSWORD_HASH = "passwordHash"
ACCOUNT_ENABLED = "accountEnabled"
# What an export has and an import does not set: read and left alone, so an export imports.
READ_ONLY_COLUMNS = ("objectId", "createdAt")
# A custom attribute's column: this prefix and the attribute's name.
CUSTOM_PREFIX = "extension_"
MAX_FILE_BYTES = 50 * 1024 * 1024


class FileUnreadable(ValueError):
    """The file as a whole cannot be imported (its message says why, for the admin)."""


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, object]
    problem: str = ""  # the row could not be read as a customer at all


def known_column(name: str) -> bool:
    return (
        name in BUILTIN_COLUMNS
        or name in (EMAIL, PASSWORD_HASH, ACCOUNT_ENABLED, *READ_ONLY_COLUMNS)
        or (name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX))
    )


def _text(stream: IO[bytes]) -> io.TextIOWrapper:
    # utf-8-sig: Excel's CSV files start with a byte order mark.
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def csv_header(stream: IO[bytes]) -> list[str]:
    """The CSV file's columns; FileUnreadable when one is unknown or `email` is missing. The
    stream is left open (the caller's)."""
    text = _text(stream)
    try:
        header = next(csv.reader(text), None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise FileUnreadable("The file is not UTF-8 CSV.") from error
    finally:
        text.detach()  # a wrapper closes its stream when collected
    if not header:
        raise FileUnreadable("The file is empty: its first row must name the columns.")
    columns = [name.strip() for name in header]
    unknown = [name for name in columns if not known_column(name)]
    if unknown:
        raise FileUnreadable(f"Unknown columns: {', '.join(unknown[:5])}.")
    if EMAIL not in columns:
        raise FileUnreadable("The file has no email column.")
    if len(set(columns)) != len(columns):
        raise FileUnreadable("A column is named twice.")
    return columns


def _csv_rows(stream: IO[bytes]) -> Iterator[Row]:
    reader = csv.reader(_text(stream))
    try:
        columns = [name.strip() for name in next(reader, [])]
        number = 0
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # a blank line (a trailing one, often) is no customer
            number += 1
            if len(cells) != len(columns):
                yield Row(number, {}, f"The row has {len(cells)} cells for {len(columns)} columns.")
                continue
            yield Row(number, dict(zip(columns, cells, strict=True)))
    except (UnicodeDecodeError, csv.Error) as error:
        raise FileUnreadable("The file is not UTF-8 CSV.") from error


def _json_row(number: int, value: object) -> Row:
    if not isinstance(value, dict):
        return Row(number, {}, "Not a JSON object.")
    unknown = [name for name in value if not known_column(str(name))]
    if unknown:
        keys = ", ".join(str(name) for name in unknown[:5])
        return Row(number, value, f"Unknown keys: {keys}.")
    return Row(number, value)


def _json_rows(stream: IO[bytes]) -> Iterator[Row]:
    reader = codecs.getreader("utf-8-sig")(stream)
    first = reader.read(1)
    while first.isspace():
        first = reader.read(1)
    try:
        if first == "[":
            # An array is read whole (≤ 50 MB): json has no incremental parser.
            values = json.loads("[" + reader.read())
            for number, value in enumerate(values, start=1):
                yield _json_row(number, value)
            return
        number = 0
        for line in chain([first + reader.readline()], reader):
            if not line.strip():
                continue
            number += 1
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                yield Row(number, {}, "Not a JSON object.")
                continue
            yield _json_row(number, value)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise FileUnreadable("The file is not a JSON array of objects nor JSON Lines.") from error


def rows_of(stream: IO[bytes], file_format: str) -> Iterator[Row]:
    """The file's customers, in order, numbered from 1."""
    return _json_rows(stream) if file_format == "json" else _csv_rows(stream)
