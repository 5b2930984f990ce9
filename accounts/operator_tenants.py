"""Which tenants an operator sees in the admin center: the tenant list and the switcher
(issue 16).

An operator may see 10,000 tenants (a platform administrator sees them all), so nothing here
ever reads them all: the list is keyset-paged newest first (tenants/keyset.py) and searched by
prefix through indexes (migration tenants 0023); the switcher shows the tenants the operator
opened last and asks the search, at most 20 matches, for the rest.
"""

from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower

from accounts.models import User
from tenants.keyset import Cursor, Page, keyset_page
from tenants.models import PlatformAdministrator, RoleAssignment, Tenant

TENANT_PAGE_SIZE = 50
SWITCHER_MATCHES = 20
SWITCHER_RECENT = 8
# Longer than any domain name (63) and than most display names: a longer search finds nothing
# the prefix of 100 characters would not.
SEARCH_MAX_LENGTH = 100


def sees_every_tenant(*, operator: User) -> bool:
    """Whether the operator is a platform administrator (one probe of a unique index)."""
    return PlatformAdministrator.objects.filter(operator=operator).exists()


def _holds_role(operator: User) -> Exists:
    return Exists(RoleAssignment.objects.filter(operator=operator, tenant=OuterRef("pk")))


def tenants_administered_by(*, operator: User) -> QuerySet[Tenant]:
    """The tenants on which the operator holds a role, suspended ones included: those they
    can open.

    A semi-join (EXISTS on the (operator, tenant) index), not a join: an operator with five
    roles on a tenant sees it once, and no DISTINCT has to read every match before the first
    page can be cut.
    """
    tenants: QuerySet[Tenant] = Tenant.objects.filter(_holds_role(operator))
    return tenants


def tenants_visible_to(*, operator: User) -> QuerySet[Tenant]:
    """Every tenant for a platform administrator, else those the operator administers; each
    row says whether the operator holds a role on it (`has_role`: whether it opens for them).
    """
    if sees_every_tenant(operator=operator):
        every: QuerySet[Tenant] = Tenant.objects.annotate(has_role=_holds_role(operator))
        return every
    administered: QuerySet[Tenant] = tenants_administered_by(operator=operator).annotate(
        has_role=Value(True)
    )
    return administered


def tenant_search(tenants: QuerySet[Tenant], *, search: str) -> QuerySet[Tenant]:
    """The tenants whose domain name or display name starts with `search`, ignoring case (the
    two prefix indexes of migration tenants 0023); a blank search narrows nothing."""
    term = search.strip().lower()[:SEARCH_MAX_LENGTH]
    if not term:
        return tenants
    found: QuerySet[Tenant] = tenants.alias(name_lower=Lower("display_name")).filter(
        Q(domain_name__startswith=term) | Q(name_lower__startswith=term)
    )
    return found


def tenant_list_page(
    *, operator: User, search: str = "", after: Cursor | None = None, size: int = TENANT_PAGE_SIZE
) -> Page[Tenant]:
    """One page of the tenants the operator sees, newest first, after the cursor: the same
    queries on the first page and the two-hundredth, whatever the number of tenants."""
    tenants = tenant_search(tenants_visible_to(operator=operator), search=search)
    return keyset_page(tenants, after=after, size=size, time_field="created_at")


def tenant_switcher_list(*, operator: User, recent: Sequence[str]) -> list[Tenant]:
    """At most SWITCHER_RECENT tenants for the switcher: those the operator opened last (tenant
    IDs, most recent first) that they still administer, then the newest others.

    The switcher offers only tenants that open for the operator (a platform administrator
    finds the others on the list page). Two bounded queries, whatever the number of tenants;
    the rest is found by the search.
    """
    recent = list(recent)[:SWITCHER_RECENT]
    visible = tenants_administered_by(operator=operator)
    by_id = {str(tenant.tenant_id): tenant for tenant in visible.filter(tenant_id__in=recent)}
    shown = [by_id[tenant_id] for tenant_id in recent if tenant_id in by_id]
    missing = SWITCHER_RECENT - len(shown)
    if missing:
        others = visible.exclude(pk__in=[tenant.pk for tenant in shown])
        shown += list(others.order_by("-created_at", "-id")[:missing])
    return shown


def tenant_switcher_matches(*, operator: User, search: str) -> list[Tenant]:
    """At most SWITCHER_MATCHES tenants the operator administers whose domain or display name
    starts with `search`, newest first."""
    tenants = tenant_search(tenants_administered_by(operator=operator), search=search)
    return list(tenants.order_by("-created_at", "-id")[:SWITCHER_MATCHES])
