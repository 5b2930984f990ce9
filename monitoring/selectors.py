"""Reading the sign-in log (issue 13): the admin center's page, detail pane and downloads, and
the management API later, all filter through `SignInFilter` (call in the tenant's schema)."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from psycopg.errors import QueryCanceled

from monitoring.models import LogSettings, SignInEvent
from monitoring.reasons import OUTCOMES
from tenants.keyset import Cursor, Page, keyset_page

PAGE_SIZE = 50
# What one database round trip of a download reads (a server-side cursor: the set is never
# whole in memory).
STREAM_CHUNK = 2000


@dataclass(frozen=True)
class SignInFilter:
    """Every field narrows; None (or empty) does not. Times are inclusive from, exclusive to."""

    since: datetime | None = None
    until: datetime | None = None
    customer: str = ""  # an object ID, or an email (exact, case-insensitive)
    client_id: str = ""
    status: str = ""
    reason: str = ""
    ip_address: str = ""
    method: str = ""
    kind: str = ""
    error_code: int | None = None


def _customer_filter(rows: "QuerySet[SignInEvent]", customer: str) -> "QuerySet[SignInEvent]":
    try:
        return rows.filter(customer_object_id=uuid.UUID(customer))
    except ValueError:
        return rows.filter(customer_email__iexact=customer)


def sign_in_events(found: SignInFilter) -> "QuerySet[SignInEvent]":
    rows = SignInEvent.objects.all()
    if found.since is not None:
        rows = rows.filter(occurred_at__gte=found.since)
    if found.until is not None:
        rows = rows.filter(occurred_at__lt=found.until)
    if found.customer:
        rows = _customer_filter(rows, found.customer.strip())
    if found.client_id:
        rows = rows.filter(client_id=found.client_id)
    if found.status:
        rows = rows.filter(status=found.status)
    if found.reason:
        rows = rows.filter(reason=found.reason)
    if found.ip_address:
        rows = rows.filter(ip_address=found.ip_address)
    if found.method:
        rows = rows.filter(methods__contains=[found.method])
    if found.kind:
        rows = rows.filter(kind=found.kind)
    if found.error_code is not None:
        # Through the reasons that carry the code, so the reason index serves it (a code is
        # one or two reasons: OUTCOMES); the column itself stays the rule.
        reasons = [
            reason for reason, outcome in OUTCOMES.items() if outcome.code == found.error_code
        ]
        if reasons:
            rows = rows.filter(reason__in=reasons)
        rows = rows.filter(error_code=found.error_code)
    return rows


class SearchTooSlow(Exception):
    """A page's query ran past its time limit (a combination of filters that no index serves and
    that matches little, walking the whole time range): narrow the range."""


def sign_in_event_page(
    found: SignInFilter,
    *,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
    timeout_ms: int | None = None,
) -> Page[SignInEvent]:
    """One page, newest first, after the cursor. With `timeout_ms`, the query is stopped past
    that time (`SearchTooSlow`), so that no page view can hold a database backend for long."""
    if timeout_ms is None:
        return keyset_page(sign_in_events(found), after=after, size=size)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [int(timeout_ms)])
            return keyset_page(sign_in_events(found), after=after, size=size)
    except OperationalError as error:
        if isinstance(error.__cause__, QueryCanceled):
            raise SearchTooSlow from error
        raise


def sign_in_event_get(event_id: int) -> SignInEvent | None:
    return SignInEvent.objects.filter(pk=event_id).first()


def sign_in_event_stream(found: SignInFilter) -> Iterator[SignInEvent]:
    """Every matching event, newest first, read in chunks through a server-side cursor inside a
    transaction of its own: outside one, the cursor would be declared WITH HOLD and PostgreSQL
    would run the whole query and store its result before handing over the first row."""
    rows = sign_in_events(found).order_by("-occurred_at", "-id")
    with transaction.atomic():
        yield from rows.iterator(chunk_size=STREAM_CHUNK)


def log_settings() -> LogSettings:
    """The tenant's log settings (the defaults until first saved)."""
    return LogSettings.objects.first() or LogSettings()
