"""The admin center's tenant list and switcher at thousands of tenants (issue 16): the list
pages by keyset through every tenant once, searches by prefix through indexes, shows an
operator only their tenants, costs the same queries per page however many tenants exist; the
switcher never renders more than a handful."""

import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.operator_tenants import (
    SWITCHER_MATCHES,
    SWITCHER_RECENT,
    TENANT_PAGE_SIZE,
    tenant_search,
    tenants_visible_to,
)
from tenants.models import AdminRole, PlatformAdministrator, RoleAssignment, Tenant, TenantStatus
from tests.factories.accounts import MakeOperator, operator_client

MANY = 2_100
# Every seventh bulk tenant is the operator's.
THEIRS_EVERY = 7
ROW_ID = re.compile(r"<td><code>([0-9a-f-]{36})</code></td>")
NEXT_LINK = re.compile(r'<a class="button" href="\?([^"]+)" rel="next">')


def bulk_tenants(count: int, *, start: int = 0) -> list[Tenant]:
    """`count` tenant rows without schemas (a list reads only rows), suspended so nothing
    routes to them; every fourth shares its creation time with the one before it, so the
    keyset's tiebreak on id is exercised."""
    base = timezone.now() - timedelta(days=30)
    rows = []
    for number in range(start, start + count):
        tenant_id = uuid.uuid4()
        rows.append(
            Tenant(
                tenant_id=tenant_id,
                schema_name=Tenant.schema_name_for(tenant_id),
                domain_name=f"bulk-{number:05d}",
                display_name=f"Bulk Company {number:05d}",
                country="NL",
                status=TenantStatus.SUSPENDED,
                created_at=base + timedelta(seconds=number - number % 4 // 3),
            )
        )
    made: list[Tenant] = Tenant.objects.bulk_create(rows)
    return made


@pytest.fixture
def many_tenants(db: None) -> list[Tenant]:
    """MANY tenant rows, gone with the test's transaction."""
    return bulk_tenants(MANY)


@pytest.fixture
def platform_admin(operator_factory: MakeOperator) -> User:
    operator = operator_factory("platform@admins.example")
    PlatformAdministrator.objects.create(operator=operator)
    return operator


@pytest.fixture
def their_operator(operator_factory: MakeOperator, many_tenants: list[Tenant]) -> User:
    """An operator with roles on every seventh bulk tenant, two roles on some of them."""
    operator = operator_factory("theirs@admins.example")
    theirs = many_tenants[::THEIRS_EVERY]
    assignments = [
        RoleAssignment(tenant=tenant, operator=operator, role=AdminRole.GLOBAL_ADMINISTRATOR)
        for tenant in theirs
    ] + [
        RoleAssignment(tenant=tenant, operator=operator, role=AdminRole.REPORTS_READER)
        for tenant in theirs[::3]
    ]
    RoleAssignment.objects.bulk_create(assignments)
    return operator


def walk(client: Client, query: str = "") -> tuple[list[str], list[int]]:
    """Every tenant ID the list shows, following its next links from the first page; and the
    number of queries each page cost."""
    seen: list[str] = []
    costs: list[int] = []
    address: str | None = f"/admin-center/?{query}"
    while address is not None:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(address)
        assert response.status_code == 200
        costs.append(len(queries))
        html = response.content.decode()
        rows = ROW_ID.findall(html)
        assert len(rows) <= TENANT_PAGE_SIZE
        seen += rows
        found = NEXT_LINK.search(html)
        address = f"/admin-center/?{found.group(1).replace('&amp;', '&')}" if found else None
    return seen, costs


def test_the_list_pages_through_every_tenant_once_at_a_constant_cost(
    many_tenants: list[Tenant], platform_admin: User
) -> None:
    seen, costs = walk(operator_client(platform_admin.email))
    every = {str(tenant_id) for tenant_id in Tenant.objects.values_list("tenant_id", flat=True)}
    assert len(seen) == len(set(seen)), "a tenant was listed twice"
    assert set(seen) == every, "a tenant was skipped"
    assert len(costs) == -(-len(every) // TENANT_PAGE_SIZE)
    # The first page and the last cost what the middle ones do.
    assert len(set(costs)) == 1, costs


def test_the_list_is_newest_first(many_tenants: list[Tenant], platform_admin: User) -> None:
    first = ROW_ID.findall(operator_client(platform_admin.email).get("/admin-center/").text)
    newest = Tenant.objects.order_by("-created_at", "-id").values_list("tenant_id", flat=True)
    assert first == [str(tenant_id) for tenant_id in newest[:TENANT_PAGE_SIZE]]


def test_a_page_costs_the_same_queries_with_two_tenants_as_with_two_thousand(
    db: None, platform_admin: User
) -> None:
    client = operator_client(platform_admin.email)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin-center/?q=b").status_code == 200
    bulk_tenants(MANY)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin-center/?q=b")
    assert len(ROW_ID.findall(response.text)) == TENANT_PAGE_SIZE
    assert len(many) == len(few)


def test_an_operator_sees_only_their_tenants_each_once(
    many_tenants: list[Tenant], their_operator: User
) -> None:
    seen, costs = walk(operator_client(their_operator.email))
    theirs = {str(tenant.tenant_id) for tenant in many_tenants[::THEIRS_EVERY]}
    assert len(seen) == len(set(seen)) == len(theirs)
    assert set(seen) == theirs
    assert len(set(costs)) == 1, costs


def test_an_operator_without_a_role_anywhere_sees_no_tenant(
    many_tenants: list[Tenant], operator_factory: MakeOperator
) -> None:
    response = operator_client(operator_factory().email).get("/admin-center/")
    assert ROW_ID.findall(response.text) == []
    assert "No tenants yet" in response.text


def test_search_finds_by_the_prefix_of_the_domain_or_the_name_ignoring_case(
    many_tenants: list[Tenant], platform_admin: User
) -> None:
    client = operator_client(platform_admin.email)
    by_domain = ROW_ID.findall(client.get("/admin-center/?q=BULK-0012").text)
    assert set(by_domain) == {str(t.tenant_id) for t in many_tenants[120:130]}
    by_name = ROW_ID.findall(client.get("/admin-center/?q=bulk company 0020").text)
    assert set(by_name) == {str(t.tenant_id) for t in many_tenants[200:210]}
    # A prefix, not a substring; and LIKE's wildcards are only characters.
    assert ROW_ID.findall(client.get("/admin-center/?q=company").text) == []
    assert ROW_ID.findall(client.get("/admin-center/?q=bulk-%25").text) == []
    assert ROW_ID.findall(client.get("/admin-center/?q=bulk_").text) == []
    assert "No tenants match." in client.get("/admin-center/?q=nothing-such").text


def test_a_search_pages_through_its_matches_keeping_the_search(
    many_tenants: list[Tenant], their_operator: User
) -> None:
    seen, _ = walk(operator_client(their_operator.email), "q=bulk-01")
    theirs = {
        str(t.tenant_id)
        for t in many_tenants[::THEIRS_EVERY]
        if t.domain_name.startswith("bulk-01")
    }
    assert len(theirs) > TENANT_PAGE_SIZE  # more than one page
    assert len(seen) == len(set(seen))
    assert set(seen) == theirs


@pytest.mark.parametrize(
    ("search", "index"), [("bulk-001", "tenant_domain_prefix"), ("bulk c", "tenant_name_prefix")]
)
def test_the_search_can_use_its_prefix_indexes(
    many_tenants: list[Tenant], platform_admin: User, search: str, index: str
) -> None:
    """The lookups match the indexes' expressions and operator classes (with sequential scans
    off, a plan that cannot use them would still scan the table)."""
    tenants = tenant_search(tenants_visible_to(operator=platform_admin), search=search)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = tenants.order_by("-created_at", "-id")[:51].explain()
    assert index in plan, plan


def test_a_platform_administrator_sees_tenants_without_a_role_but_without_a_link(
    tenant_a: Tenant, tenant_b: Tenant, platform_admin: User
) -> None:
    RoleAssignment.objects.create(
        tenant=tenant_a, operator=platform_admin, role=AdminRole.REPORTS_READER
    )
    html = operator_client(platform_admin.email).get("/admin-center/").text
    assert f"/admin-center/tenants/{tenant_a.tenant_id}/" in html
    assert str(tenant_b.tenant_id) in html
    assert f"/admin-center/tenants/{tenant_b.tenant_id}/" not in html


def switcher_links(html: str) -> list[str]:
    found = re.search(r'<ul id="switcher-tenants">(.*?)</ul>', html, re.S)
    assert found is not None
    return re.findall(r'href="/admin-center/tenants/([0-9a-f-]{36})/"', found.group(1))


def test_the_switcher_renders_the_recent_tenants_never_all(
    many_tenants: list[Tenant], their_operator: User, tenant_a: Tenant
) -> None:
    RoleAssignment.objects.create(
        tenant=tenant_a, operator=their_operator, role=AdminRole.GLOBAL_ADMINISTRATOR
    )
    client = operator_client(their_operator.email)
    theirs = many_tenants[::THEIRS_EVERY]
    for tenant in (theirs[5], theirs[9], tenant_a):
        response = client.get(f"/admin-center/tenants/{tenant.tenant_id}/")
        assert response.status_code == 200
    shown = switcher_links(response.text)
    assert len(shown) == SWITCHER_RECENT
    # The ones opened last first, the current one at the top.
    opened = [tenant_a, theirs[9], theirs[5]]
    assert shown[:3] == [str(tenant.tenant_id) for tenant in opened]
    assert len(set(shown)) == len(shown)
    assert 'action="/admin-center/"' in response.text  # the search works without JavaScript


def test_the_switcher_offers_only_tenants_that_open(
    tenant_a: Tenant, tenant_b: Tenant, platform_admin: User
) -> None:
    RoleAssignment.objects.create(
        tenant=tenant_a, operator=platform_admin, role=AdminRole.GLOBAL_ADMINISTRATOR
    )
    client = operator_client(platform_admin.email)
    html = client.get(f"/admin-center/tenants/{tenant_a.tenant_id}/").text
    assert switcher_links(html) == [str(tenant_a.tenant_id)]
    answer = client.get("/admin-center/tenants/search/", {"q": "tenant"}).json()
    assert [match["domain_name"] for match in answer["tenants"]] == [tenant_a.domain_name]


def test_the_switcher_search_answers_at_most_twenty_of_the_operators_matches(
    many_tenants: list[Tenant], their_operator: User
) -> None:
    client = operator_client(their_operator.email)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin-center/tenants/search/", {"q": "Bulk Company 0"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    matches = response.json()["tenants"]
    assert len(matches) == SWITCHER_MATCHES
    theirs = {tenant.domain_name for tenant in many_tenants[::THEIRS_EVERY]}
    assert {match["domain_name"] for match in matches} <= theirs
    newest_theirs = sorted(
        (t for t in many_tenants[::THEIRS_EVERY]), key=lambda t: (t.created_at, t.pk), reverse=True
    )
    assert matches[0]["domain_name"] == newest_theirs[0].domain_name
    assert matches[0]["url"] == f"/admin-center/tenants/{newest_theirs[0].tenant_id}/"
    few = len(queries)
    one = client.get("/admin-center/tenants/search/", {"q": theirs_name(many_tenants)}).json()
    assert len(one["tenants"]) == 1
    with CaptureQueriesContext(connection) as queries:
        client.get("/admin-center/tenants/search/", {"q": "zzz"})
    assert len(queries) == few


def theirs_name(many_tenants: list[Tenant]) -> str:
    name: str = many_tenants[THEIRS_EVERY * 3].domain_name
    return name


def test_the_switcher_search_is_for_signed_in_operators_only(db: None) -> None:
    response = Client().get("/admin-center/tenants/search/", {"q": "tenant"})
    assert response.status_code == 302
    assert "/admin-center/sign-in/" in response["Location"]


def test_ciam_platform_admin_grants_and_takes_away_the_view_of_every_tenant(
    tenant_a: Tenant, tenant_b: Tenant, operator_factory: MakeOperator
) -> None:
    operator = operator_factory(
        "Runner@Admins.example", tenant=tenant_a, roles=[AdminRole.REPORTS_READER]
    )
    client = operator_client(operator.email)
    assert str(tenant_b.tenant_id) not in client.get("/admin-center/").text
    call_command("ciam_platform_admin", "runner@admins.EXAMPLE", stdout=StringIO())
    assert str(tenant_b.tenant_id) in client.get("/admin-center/").text
    call_command("ciam_platform_admin", operator.email, "--remove", stdout=StringIO())
    assert str(tenant_b.tenant_id) not in client.get("/admin-center/").text
    with pytest.raises(CommandError):
        call_command("ciam_platform_admin", "nobody@admins.example")
