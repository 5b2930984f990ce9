"""Keyset paging for the logs (issue 13) and the admin center's tenant list (issue 16): newest
first by (time, `id`), each page read with one index range scan however deep it is (OFFSET would
read and drop every row before it: at 10 million rows, seconds). The time is `occurred_at` for
the logs, `created_at` for tenants.

A cursor is the last row's (time, id), written as an opaque URL-safe token; a token that does
not read back is no cursor (the first page), never an error.
"""

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.db import models

Row = TypeVar("Row", bound=models.Model)


@dataclass(frozen=True)
class Cursor:
    occurred_at: datetime
    id: int

    def token(self) -> str:
        raw = f"{self.occurred_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_read(token: str | None) -> Cursor | None:
    """The cursor a token names, or None for no, or a malformed, token."""
    if not token or len(token) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        when, _, ident = raw.partition("|")
        occurred_at = datetime.fromisoformat(when)
        if occurred_at.tzinfo is None:
            return None
        return Cursor(occurred_at=occurred_at, id=int(ident))
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    next: Cursor | None


def keyset_page(
    rows: "models.QuerySet[Row]",
    *,
    after: Cursor | None,
    size: int,
    time_field: str = "occurred_at",
) -> Page[Row]:
    """One page of `rows` (a queryset with the time field and `id`), newest first, after the
    cursor; `next` is set when more rows follow."""
    if after is not None:
        # "Before (time, id)", spelled so the time's bound is an index condition (the scan
        # starts at the cursor) and the id only tells rows of the cursor's very time apart; as
        # one OR it would be a filter, and a deep page would read every row before it.
        rows = rows.filter(
            models.Q(**{f"{time_field}__lte": after.occurred_at})
            & (models.Q(**{f"{time_field}__lt": after.occurred_at}) | models.Q(id__lt=after.id))
        )
    found = list(rows.order_by(f"-{time_field}", "-id")[: size + 1])
    more = len(found) > size
    found = found[:size]
    last = found[-1] if more and found else None
    return Page(
        rows=found,
        next=Cursor(occurred_at=getattr(last, time_field), id=last.pk)
        if last is not None
        else None,
    )
