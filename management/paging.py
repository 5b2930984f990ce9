"""Cursor paging of the management API's lists: `?limit=` (1 to 999, default 100) and `?cursor=`.

A list answers `{"value": [...], "nextLink": "<URL of the next page>"}` (Graph's shape, without
OData's `@odata.` prefix); `nextLink` is absent on the last page. A cursor is opaque: a keyset
position, never an offset, so a page deep in a million rows costs what the first one does
(one index range scan). A cursor that does not read back is refused (400), not read as the
first page: a script must not loop over page one forever.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_LIMIT = 100
MAX_LIMIT = 999

Row = TypeVar("Row", bound=Model)

PAGING_PARAMETERS = [
    OpenApiParameter(
        "limit", int, description=f"Rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})."
    ),
    OpenApiParameter("cursor", str, description="The `nextLink`'s cursor: the next page."),
]


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: Sequence[Row]
    next_cursor: str | None


def limit_of(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise exceptions.ValidationError({"limit": [f"A whole number from 1 to {MAX_LIMIT}."]})
    return int(raw)


def cursor_of(request: Request) -> str | None:
    raw = request.query_params.get("cursor")
    if raw is not None and (not raw or len(raw) > 200):
        raise exceptions.ValidationError({"cursor": ["Not a cursor of this list."]})
    return raw


def _id_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"id:{value}".encode()).decode().rstrip("=")


def _id_of_cursor(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    kind, _, number = raw.partition(":")
    if kind != "id" or not number.isascii() or not number.isdigit() or len(number) > 18:
        raise exceptions.ValidationError({"cursor": ["Not a cursor of this list."]})
    return int(number)


def id_page(rows: "QuerySet[Row]", *, request: Request) -> Page[Row]:
    """A page of `rows` in ascending primary key order, after the request's cursor: for lists
    whose natural order is creation (groups, apps, flows…)."""
    limit = limit_of(request)
    token = cursor_of(request)
    if token is not None:
        rows = rows.filter(pk__gt=_id_of_cursor(token))
    found = list(rows.order_by("pk")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return Page(rows=found, next_cursor=_id_cursor(found[-1].pk) if more else None)


def paged_response(
    request: Request, page: Page[Any], serialize: Callable[[Any], dict[str, Any]]
) -> Response:
    """The page as the API answers it; `nextLink` is built on CIAM_BASE_URL, never on the
    request's Host header."""
    body: dict[str, Any] = {"value": [serialize(row) for row in page.rows]}
    if page.next_cursor is not None:
        url = settings.CIAM_BASE_URL + request.get_full_path()
        body["nextLink"] = replace_query_param(url, "cursor", page.next_cursor)
    return Response(body)


def paged_serializer(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The schema of a page of `item`s, for the OpenAPI document."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "value": item(many=True),
            "nextLink": serializers.URLField(required=False, help_text="The next page, if any."),
        },
    )
