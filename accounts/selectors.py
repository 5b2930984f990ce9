"""Reads about customers, in the current tenant's schema, and about operators' roles on tenants
(in the public schema).

The customer list is built to stay fast with millions of customers in a tenant: prefix search
runs on the functional `text_pattern_ops` indexes of lower(email) and lower(display_name), and
pages are read by keyset on the (created_at, id) index, never by OFFSET.
"""

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import CustomerGroup, Session, User
from accounts.services.customers import CUSTOMER_RESTORE_DAYS
from tenants.models import AdminRole, RoleAssignment, Tenant

CUSTOMER_PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 254
# How many rows, newest first, a search reads looking for its page before it turns to the
# prefix indexes (see `customer_search_statements`).
SEARCH_WINDOW = 5000
# What a list row shows; the password hash and attribute values stay in the table.
_LIST_COLUMNS = (
    "id",
    "object_id",
    "email",
    "display_name",
    "is_active",
    "must_change_password",
    "profile_completed",
    "created_at",
    "deleted_at",
)
# And what the management API's list shows of each customer (management/users.py): left
# deferred, each would be read by a query of its own per row, a thousand per page.
_PROFILE_COLUMNS = (
    "given_name",
    "surname",
    "job_title",
    "street_address",
    "city",
    "state",
    "postal_code",
    "country",
    "preferred_language",
    "custom_attributes",
)


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's (created_at, id), in the list's descending order."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str | None) -> "Cursor | None":
        """The cursor, or None for anything that is not one (which reads the first page)."""
        if not value or len(value) > 100:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            stamp, _sep, row_id = raw.partition("|")
            created_at = datetime.fromisoformat(stamp)
            number = int(row_id)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        if created_at.tzinfo is None or number < 1:
            return None
        return cls(created_at=created_at, id=number)


@dataclass(frozen=True)
class CustomerPage:
    customers: list[User]
    next_cursor: str | None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def customer_queryset(
    *,
    search: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
    blocked: bool | None = None,
    deleted: bool = False,
    after: Cursor | None = None,
    profile: bool = False,
) -> QuerySet[User]:
    """Customers matching the filters, newest first: ordered by (created_at desc, id desc).

    `search` matches the start of the email address or of the display name, ignoring case
    (`lower(…) LIKE 'prefix%'`, which the `text_pattern_ops` indexes answer). Dates are
    inclusive days in the server's time zone. Without `deleted`, deleted customers are left out;
    with it, only the deleted ones that can still be restored are listed. `after` continues a
    listing below the cursor's row; the redundant `created_at <= …` lets PostgreSQL start the
    index scan at the cursor. With `profile`, the rows carry the profile's columns too.
    """
    customers = User.objects.all()
    if deleted:
        restorable_since = timezone.now() - timedelta(days=CUSTOMER_RESTORE_DAYS)
        customers = customers.filter(deleted_at__gt=restorable_since)
    else:
        customers = customers.filter(deleted_at__isnull=True)
    prefix = search.strip().lower()[:SEARCH_MAX_LENGTH]
    if prefix:
        customers = customers.alias(
            email_lower=Lower("email"), display_name_lower=Lower("display_name")
        ).filter(Q(email_lower__startswith=prefix) | Q(display_name_lower__startswith=prefix))
    if created_from is not None:
        customers = customers.filter(created_at__gte=_day_start(created_from))
    if created_to is not None:
        customers = customers.filter(created_at__lt=_day_start(created_to + timedelta(days=1)))
    if blocked is not None:
        customers = customers.filter(is_active=not blocked)
    if after is not None:
        customers = customers.filter(
            Q(created_at__lte=after.created_at)
            & (Q(created_at__lt=after.created_at) | Q(id__lt=after.id))
        )
    columns = _LIST_COLUMNS + _PROFILE_COLUMNS if profile else _LIST_COLUMNS
    return customers.only(*columns).order_by("-created_at", "-id")


def _newest_window_statement(
    *, prefix: str, filters: dict[str, Any], after: Cursor | None, limit: int, window: int
) -> tuple[str, tuple[Any, ...]]:
    newest = customer_queryset(**filters, after=after)[:window]
    sql, params = newest.query.sql_with_params()
    pattern = connection.ops.prep_for_like_query(prefix) + "%"
    statement = (
        f"SELECT * FROM ({sql}) AS newest "  # noqa: S608 - Django's SQL; values stay parameters
        "WHERE lower(newest.email) LIKE %s OR lower(newest.display_name) LIKE %s "
        "ORDER BY newest.created_at DESC, newest.id DESC LIMIT %s"
    )
    return statement, (*params, pattern, pattern, limit)


def _prefix_index_statement(
    *, prefix: str, filters: dict[str, Any], after: Cursor | None, limit: int
) -> tuple[str, tuple[Any, ...]]:
    matches = customer_queryset(search=prefix, **filters, after=after).order_by()
    sql, params = matches.query.sql_with_params()
    statement = (
        f"WITH matches AS MATERIALIZED ({sql}) "  # noqa: S608 - Django's SQL; values stay parameters
        "SELECT * FROM matches ORDER BY created_at DESC, id DESC LIMIT %s"
    )
    return statement, (*params, limit)


def customer_search_statements(
    *,
    search: str,
    created_from: date | None = None,
    created_to: date | None = None,
    blocked: bool | None = None,
    after: Cursor | None = None,
    limit: int = CUSTOMER_PAGE_SIZE + 1,
    window: int = SEARCH_WINDOW,
    profile: bool = False,
) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements `customer_list` runs for a prefix search, in order (for EXPLAIN).

    PostgreSQL has no index that both finds a prefix and keeps the newest-first order, and its
    estimate of how many rows a prefix matches is coarse (rare prefixes are often guessed at
    1 %). Left to choose, it walks the (created_at, id) index hoping to meet 51 matches soon and,
    for a rare prefix, reads most of the table (seconds at a million customers). So the walk is
    bounded: the first statement looks for the page among the next `window` rows in order (the
    keyset index, read backward, stops as soon as the page is full); only when the prefix is
    rarer than that shows, the second one takes every match from the prefix indexes (a bitmap
    of both, materialized so it cannot turn into the walk) and sorts them.
    """
    prefix = search.strip().lower()[:SEARCH_MAX_LENGTH]
    filters: dict[str, Any] = {
        "created_from": created_from,
        "created_to": created_to,
        "blocked": blocked,
        "profile": profile,
    }
    return [
        _newest_window_statement(
            prefix=prefix, filters=filters, after=after, limit=limit, window=window
        ),
        _prefix_index_statement(prefix=prefix, filters=filters, after=after, limit=limit),
    ]


def customer_list(
    *,
    search: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
    blocked: bool | None = None,
    deleted: bool = False,
    cursor: str | None = None,
    page_size: int = CUSTOMER_PAGE_SIZE,
    search_window: int = SEARCH_WINDOW,
    profile: bool = False,
) -> CustomerPage:
    """One page of `customer_queryset`, and the opaque cursor of the next page (None on the
    last). An unreadable cursor reads the first page.

    Without a search, one keyset query of `page_size + 1` rows. With one, the bounded search
    of `customer_search_statements`: one statement when the prefix is common enough to fill the
    page from the next `search_window` rows, two otherwise; either way the work grows with the
    page and the prefix's matches, never with the tenant. (Searches among blocked or deleted
    customers, which are few, are left to the planner.) With `profile`, the rows carry the
    profile's columns too (`customer_queryset`).
    """
    after = Cursor.decode(cursor)
    limit = page_size + 1
    # The window is `search_window` rows per CUSTOMER_PAGE_SIZE of the page: a prefix fills a
    # larger page (the management API's 100) from a window of the same density of matches,
    # instead of falling to the index statement and sorting all its matches
    # (bench/api_users.py: a 100-row page from 5,000 rows did for most 3-4 character prefixes).
    window = search_window * max(1, -(-page_size // CUSTOMER_PAGE_SIZE))
    filters: dict[str, Any] = {
        "created_from": created_from,
        "created_to": created_to,
        "blocked": blocked,
        "profile": profile,
    }
    rows: list[User] = []
    if search.strip() and not deleted and blocked is not True:
        window_statement, index_statement = customer_search_statements(
            search=search, **filters, after=after, limit=limit, window=window
        )
        rows = list(User.objects.raw(*window_statement))
        if len(rows) < limit:
            rows = list(User.objects.raw(*index_statement))
    else:
        queryset = customer_queryset(search=search, **filters, deleted=deleted, after=after)
        rows = list(queryset[:limit])
    customers, more = rows[:page_size], len(rows) > page_size
    next_cursor = None
    if more:
        last = customers[-1]
        next_cursor = Cursor(created_at=last.created_at, id=last.pk).encode()
    return CustomerPage(customers=customers, next_cursor=next_cursor)


def customer_get(*, object_id: uuid.UUID) -> User | None:
    """The customer with this object ID, deleted or not (purged ones are gone)."""
    customer: User | None = User.objects.filter(object_id=object_id).first()
    return customer


def customer_session_count(*, customer: User) -> int:
    """How many unexpired sessions the customer has on this tenant's hosted pages (browsers
    signed in); one indexed count."""
    return Session.objects.filter(user=customer, expire_date__gt=timezone.now()).count()


def customer_identity_list(*, customer: User) -> list[SocialAccount]:
    """The customer's linked identities: their accounts at identity providers, as allauth
    links them (`SocialAccount`: the provider's name and the subject it gave), oldest link
    first. What the provider said about the customer (`extra_data`) is not loaded."""
    return list(
        SocialAccount.objects.filter(user=customer)
        .defer("extra_data")
        .order_by("date_joined", "pk")
    )


def customer_restore_deadline(*, customer: User) -> datetime | None:
    """Until when a deleted customer can be restored (None when not deleted)."""
    if customer.deleted_at is None:
        return None
    return customer.deleted_at + timedelta(days=CUSTOMER_RESTORE_DAYS)


def roles_of(*, operator: User, tenant: Tenant) -> frozenset[AdminRole]:
    return frozenset(
        AdminRole(role)
        for role in RoleAssignment.objects.filter(operator=operator, tenant=tenant).values_list(
            "role", flat=True
        )
    )


@dataclass(frozen=True)
class TenantAdmin:
    operator: User
    roles: frozenset[AdminRole]


def tenant_admin_list(*, tenant: Tenant) -> list[TenantAdmin]:
    """The tenant's admin accounts with their roles, by email."""
    roles_by_operator: dict[int, set[AdminRole]] = {}
    operators: dict[int, User] = {}
    for assignment in RoleAssignment.objects.filter(tenant=tenant).select_related("operator"):
        operators[assignment.operator_id] = assignment.operator
        roles_by_operator.setdefault(assignment.operator_id, set()).add(AdminRole(assignment.role))
    return sorted(
        (TenantAdmin(operators[pk], frozenset(roles)) for pk, roles in roles_by_operator.items()),
        key=lambda admin: admin.operator.email,
    )


def customer_get_by_email(*, email: str) -> User | None:
    """The customer (not deleted) with this address, ignoring case: one probe of the unique
    lower(email) index."""
    address = User.objects.normalize_email(email)
    if not address or len(address) > SEARCH_MAX_LENGTH:
        return None
    customer: User | None = (
        User.objects.alias(email_lower=Lower("email"))
        .filter(email_lower=address, deleted_at__isnull=True)
        .first()
    )
    return customer


# Groups of customers. A tenant has few groups next to its customers, but a group may have
# millions of members: both lists are read by keyset, never by OFFSET.
GROUP_PAGE_SIZE = 50


@dataclass(frozen=True)
class GroupPage:
    groups: list[CustomerGroup]
    next_cursor: str | None


@dataclass(frozen=True)
class MemberPage:
    members: list[User]
    next_cursor: str | None


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _untoken(token: str | None) -> str | None:
    if not token or len(token) > 2000:
        return None
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def group_list(
    *, search: str = "", cursor: str | None = None, size: int = GROUP_PAGE_SIZE
) -> GroupPage:
    """Groups in name order, ignoring case; `search` matches the start of the name (the
    `text_pattern_ops` index). A page continues after the cursor's name: names are unique
    ignoring case, so the lower-cased name alone is the key. A cursor that does not read back
    starts at the first page."""
    groups = CustomerGroup.objects.alias(name_lower=Lower("display_name"))
    prefix = search.strip().lower()[:SEARCH_MAX_LENGTH]
    if prefix:
        groups = groups.filter(name_lower__startswith=prefix)
    after = _untoken(cursor)
    if after is not None:
        groups = groups.filter(name_lower__gt=after)
    found: list[CustomerGroup] = list(groups.order_by("name_lower")[: size + 1])
    more = len(found) > size
    found = found[:size]
    return GroupPage(
        groups=found,
        next_cursor=_token(found[-1].display_name.lower()) if more and found else None,
    )


def group_get(*, object_id: uuid.UUID | str) -> CustomerGroup | None:
    try:
        key = uuid.UUID(str(object_id))
    except ValueError:
        return None
    group: CustomerGroup | None = CustomerGroup.objects.filter(object_id=key).first()
    return group


def groups_of(*, user: User) -> list[CustomerGroup]:
    """The customer's groups, in name order (the (user, group) index)."""
    return list(
        CustomerGroup.objects.filter(memberships__user=user).order_by(Lower("display_name"))
    )


def group_members(
    *, group: CustomerGroup, cursor: str | None = None, size: int = GROUP_PAGE_SIZE
) -> MemberPage:
    """The group's members in the order they were made (account ID), `size` at a time: each
    page one range of the unique (group, user) index, however deep."""
    members = User.objects.filter(group_memberships__group=group).only(*_LIST_COLUMNS)
    after = _untoken(cursor)
    if after is not None and after.isdigit():
        members = members.filter(id__gt=int(after))
    found = list(members.order_by("id")[: size + 1])
    more = len(found) > size
    found = found[:size]
    return MemberPage(
        members=found, next_cursor=_token(str(found[-1].pk)) if more and found else None
    )


@dataclass(frozen=True)
class PrefixCursor:
    """Where a page of a prefix search ends: the matched value (lower-cased) and the row."""

    key: str
    id: int

    def encode(self) -> str:
        raw = f"p|{self.id}|{self.key}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str | None) -> "PrefixCursor | None":
        if not value or len(value) > 1400:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        kind, _sep, rest = raw.partition("|")
        row_id, _sep, key = rest.partition("|")
        if kind != "p" or not row_id.isascii() or not row_id.isdigit() or "\x00" in key:
            return None
        return cls(key=key, id=int(row_id))


def _prefix_branch(
    column: str,
    *,
    low: str,
    high: str,
    other: str | None,
    blocked: bool | None,
    after: PrefixCursor | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """One index range scan of the `text_pattern_ops` index on lower(`column`), in that
    index's order (`USING ~<~`, byte order), from the cursor on. `other`: a column whose
    matches the other branch already answers (a customer matching both comes once)."""
    key = f"lower({column})"
    conditions = [f"{key} ~>=~ %s", f"{key} ~<~ %s", "deleted_at IS NULL"]
    params: list[Any] = [low, high]
    if other is not None:
        conditions.append(f"NOT (lower({other}) ~>=~ %s AND lower({other}) ~<~ %s)")
        params += [low, high]
    if blocked is not None:
        conditions.append("is_active = %s")
        params.append(not blocked)
    if after is not None:
        conditions.append(f"({key} ~>~ %s OR ({key} = %s AND id > %s))")
        params += [after.key, after.key, after.id]
    params.append(limit)
    # Emails are unique ignoring case: the index's order is the whole order, and the scan stops
    # at the limit. Display names tie: the index's order, then the row (an incremental sort).
    order = f"{key} USING ~<~" if column == "email" else f"{key} USING ~<~, id"
    sql = (
        f"SELECT id, {key} AS match_key FROM accounts_user "  # noqa: S608 - our column names
        f"WHERE {' AND '.join(conditions)} ORDER BY {order} LIMIT %s"
    )
    return sql, params


def customer_prefix_page(
    *,
    prefix: str,
    blocked: bool | None = None,
    cursor: str | None = None,
    page_size: int = CUSTOMER_PAGE_SIZE,
) -> CustomerPage:
    """Customers whose email or display name starts with `prefix` (ignoring case), ordered by
    the value that matched (byte order), then by row: the management API's search.

    Unlike `customer_list`'s newest-first search, every page is two index range scans of the
    prefix indexes that stop after `page_size + 1` rows each, however many customers match
    (thousands for a common surname's first letters, where sorting every match by time took
    hundreds of milliseconds at a million customers). The cursor is (matched value, id).
    """
    low = prefix.strip().lower()[:SEARCH_MAX_LENGTH]
    if not low:
        raise ValueError("a prefix search needs a prefix")
    # The exclusive upper bound of the prefix's range in byte order: the prefix with its last
    # character's code point raised by one.
    high = low[:-1] + chr(ord(low[-1]) + 1)
    after = PrefixCursor.decode(cursor)
    limit = page_size + 1
    statements: list[str] = []
    params: list[Any] = []
    for column, other in (("email", None), ("display_name", "email")):
        sql, branch_params = _prefix_branch(
            column, low=low, high=high, other=other, blocked=blocked, after=after, limit=limit
        )
        statements.append(f"({sql})")
        params += branch_params
    merged = (
        "SELECT found.id, found.match_key FROM ("  # noqa: S608 - the branches above; values stay parameters
        + " UNION ALL ".join(statements)
        + ") AS found ORDER BY found.match_key USING ~<~, found.id LIMIT %s"
    )
    params.append(limit)
    with connection.cursor() as db:
        db.execute(merged, params)
        matched = db.fetchall()
    keys = dict(matched)
    rows = {
        user.pk: user
        for user in User.objects.filter(pk__in=keys).only(*_LIST_COLUMNS, *_PROFILE_COLUMNS)
    }
    ordered = [rows[row_id] for row_id, _key in matched if row_id in rows]
    customers, more = ordered[:page_size], len(ordered) > page_size
    next_cursor = None
    if more:
        last = customers[-1]
        next_cursor = PrefixCursor(key=keys[last.pk], id=last.pk).encode()
    return CustomerPage(customers=customers, next_cursor=next_cursor)
