"""Customers in the admin center: search and filters, keyset pages, create, edit, block, reset,
revoke, delete, restore and the purge after 30 days."""

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import selectors
from accounts.models import User
from accounts.services import custom_attribute_create
from accounts.tasks import customers_purge_due
from apps import services as app_services
from apps.models import AccessToken, Platform, RefreshToken
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import PASSWORD, MakeOperator, make_customer, operator_client
from userflows import services as userflow_services


def base(tenant: Tenant) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/customers/"


def customer_url(tenant: Tenant, customer: User, action: str = "") -> str:
    return f"{base(tenant)}{customer.object_id}/{action + '/' if action else ''}"


def sign_in(client: Client, tenant: Tenant, email: str, password: str = PASSWORD) -> None:
    client.post(f"/{tenant.domain_name}/account/login/", {"login": email, "password": password})


def signed_in(client: Client, tenant: Tenant) -> bool:
    """Whether the client has a customer session at the tenant (its home page needs one), or
    signed in with a temporary password and is at the step that changes it (a login stage: the
    sign-in page sends the browser back to it)."""
    response = client.get(f"/{tenant.domain_name}/")
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        return True
    assert "/account/login/" in response["Location"]
    sign_in_page = client.get(f"/{tenant.domain_name}/account/login/")
    return sign_in_page.status_code == 302 and "/account/password/change/" in sign_in_page.get(
        "Location", ""
    )


def listed_emails(client: Client, tenant: Tenant, **params: str) -> list[str]:
    response = client.get(base(tenant), params)
    assert response.status_code == 200
    return [customer.email for customer in response.context["customers"]]


def audit_entries(tenant: Tenant, action: AuditAction) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id, action=action))


def test_only_user_and_global_administrators_manage_customers(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    operator_factory(
        "apps@admins.example", tenant=tenant_a, roles=[AdminRole.APPLICATION_ADMINISTRATOR]
    )
    operator_factory("users@admins.example", tenant=tenant_a, roles=[AdminRole.USER_ADMINISTRATOR])
    apps_admin = operator_client("apps@admins.example")
    assert apps_admin.get(base(tenant_a)).status_code == 403
    overview = apps_admin.get(f"/admin-center/tenants/{tenant_a.tenant_id}/").text
    assert base(tenant_a) not in overview
    users_admin = operator_client("users@admins.example")
    page = users_admin.get(base(tenant_a))
    assert page.status_code == 200
    assert re.search(r'href="[^"]*/customers/" aria-current="page">Customers<', page.text)


def test_search_by_email_or_display_name_prefix_ignoring_case(
    admin_client: Client, tenant_a: Tenant
) -> None:
    with in_tenant(tenant_a):
        for email, name in [
            ("alice@example.com", "Alice Smith"),
            ("bob@example.com", "Alicia Keys"),
            ("carol@example.com", "Carol Ålander"),
            ("a_b@example.com", "Underscore"),
            ("axb@example.com", "Looks alike"),
        ]:
            User.objects.create_user(email=email, password=None, display_name=name)
    assert sorted(listed_emails(admin_client, tenant_a, q="ALI")) == [
        "alice@example.com",
        "bob@example.com",
    ]
    assert listed_emails(admin_client, tenant_a, q="carol ål") == ["carol@example.com"]
    # Wildcards in the search are literal characters.
    assert listed_emails(admin_client, tenant_a, q="a_") == ["a_b@example.com"]
    assert listed_emails(admin_client, tenant_a, q="%") == []
    # Prefixes only: the middle of an address does not match.
    assert listed_emails(admin_client, tenant_a, q="example") == []


def test_filters_by_creation_date_blocked_and_deleted(
    admin_client: Client, tenant_a: Tenant
) -> None:
    now = timezone.now()
    with in_tenant(tenant_a):
        rows = {
            "old@example.com": {"created_at": now - timedelta(days=100)},
            "recent@example.com": {"created_at": now - timedelta(days=2)},
            "blocked@example.com": {"is_active": False},
            "deleted@example.com": {"deleted_at": now - timedelta(days=3), "is_active": False},
            "gone@example.com": {"deleted_at": now - timedelta(days=31), "is_active": False},
        }
        for email, fields in rows.items():
            user = User.objects.create_user(email=email, password=None)
            User.objects.filter(pk=user.pk).update(**fields)
    day = timedelta(days=1)
    window = {
        "created_from": (now - 101 * day).date().isoformat(),
        "created_to": (now - 99 * day).date().isoformat(),
    }
    assert listed_emails(admin_client, tenant_a, **window) == ["old@example.com"]
    assert listed_emails(
        admin_client, tenant_a, created_from=(now - 5 * day).date().isoformat()
    ) == ["blocked@example.com", "recent@example.com"]
    assert listed_emails(admin_client, tenant_a, blocked="yes") == ["blocked@example.com"]
    assert "blocked@example.com" not in listed_emails(admin_client, tenant_a, blocked="no")
    everyone = listed_emails(admin_client, tenant_a)
    assert "deleted@example.com" not in everyone
    assert "gone@example.com" not in everyone
    assert listed_emails(admin_client, tenant_a, deleted="on") == ["deleted@example.com"]
    # A bad filter is reported and ignored; the others still apply.
    response = admin_client.get(base(tenant_a), {"created_from": "yesterday", "blocked": "yes"})
    assert "Enter a valid date." in response.text
    assert [c.email for c in response.context["customers"]] == ["blocked@example.com"]
    reversed_window = {"created_from": window["created_to"], "created_to": window["created_from"]}
    response = admin_client.get(base(tenant_a), reversed_window)
    assert "end date comes before the start date" in response.text


def test_pages_walk_every_customer_once_newest_first(
    admin_client: Client, tenant_a: Tenant
) -> None:
    now = timezone.now()
    with in_tenant(tenant_a):
        # Groups of customers created at the very same instant: the id breaks the tie.
        User.objects.bulk_create(
            User(
                email=f"page{index:03}@example.com",
                password="!",
                created_at=now - timedelta(minutes=index // 7),
            )
            for index in range(137)
        )
    seen: list[str] = []
    query: dict[str, str] = {"q": "page"}
    pages = 0
    while True:
        response = admin_client.get(base(tenant_a), query)
        assert response.status_code == 200
        customers = response.context["customers"]
        pages += 1
        assert len(customers) == (50 if response.context["next_query"] else 37)
        seen += [customer.email for customer in customers]
        if not response.context["next_query"]:
            break
        assert 'rel="next"' in response.text
        query = dict(part.split("=", 1) for part in response.context["next_query"].split("&"))
        assert query["q"] == "page"
    assert pages == 3
    assert len(seen) == len(set(seen)) == 137
    with in_tenant(tenant_a):
        expected = list(
            User.objects.filter(email__startswith="page")
            .order_by("-created_at", "-id")
            .values_list("email", flat=True)
        )
    assert seen == expected
    # A tampered cursor reads the first page rather than failing.
    assert listed_emails(admin_client, tenant_a, q="page", after="not-a-cursor") == expected[:50]


def explain(sql: str, params: Sequence[object]) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_list_statements_use_the_keyset_and_prefix_indexes(tenant_a: Tenant) -> None:
    """With the sequential scan ruled out (a test tenant is too small for indexes to pay), the
    plans must reach the rows through the indexes, which they can only do if the statements'
    expressions are exactly the indexes' ones."""
    with in_tenant(tenant_a):
        User.objects.create_user(email="plan@example.com", password=None)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        after = selectors.Cursor(created_at=timezone.now(), id=10**9)
        page = explain(*selectors.customer_queryset(after=after)[:51].query.sql_with_params())
        window, index = selectors.customer_search_statements(search="Pl", after=after)
        window_plan = explain(*window)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_bitmapscan = on")
        index_plan = explain(*index)
    assert "Index Scan Backward using accounts_user_created_keyset" in page, page
    assert "Index Cond: (created_at <=" in page, page
    assert "Sort" not in page
    # The bounded walk: the keyset index read backward from the cursor, then the prefix test.
    assert "Index Scan Backward using accounts_user_created_keyset" in window_plan, window_plan
    assert "Index Cond: (created_at <=" in window_plan, window_plan
    assert "~~ 'pl%'::text" in window_plan, window_plan
    # The fallback: a bitmap of both prefix indexes.
    assert "Bitmap Index Scan on accounts_user_email_prefix" in index_plan, index_plan
    assert "Bitmap Index Scan on accounts_user_name_prefix" in index_plan, index_plan
    assert "Index Cond: ((lower((email)::text) ~>=~ 'pl'::text)" in index_plan, index_plan


@pytest.mark.parametrize("search_window", [3, 60, 5000])
def test_bounded_search_pages_match_the_plain_order(tenant_a: Tenant, search_window: int) -> None:
    """Whichever statement answers a page (the walk fills it, or the prefix indexes take over
    when the walk does not), the pages are the plain query's order, once each."""
    now = timezone.now()
    with in_tenant(tenant_a):
        User.objects.bulk_create(
            User(
                email=f"{'match' if index % 3 else 'other'}{index:03}@example.com",
                display_name="Match by name" if index % 10 == 0 else "",
                password="!",
                created_at=now - timedelta(minutes=index // 4),
            )
            for index in range(240)
        )
        expected = [
            user.email
            for user in selectors.customer_queryset(search="MATCH").order_by("-created_at", "-id")
        ]
        seen: list[str] = []
        cursor = None
        while True:
            page = selectors.customer_list(
                search="MATCH", cursor=cursor, page_size=50, search_window=search_window
            )
            seen += [user.email for user in page.customers]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert len(expected) == 160 + 8
    assert seen == expected


def test_create_a_customer_who_signs_in_with_the_temporary_password(
    admin_client: Client, tenant_a: Tenant
) -> None:
    response = admin_client.post(
        f"{base(tenant_a)}new/", {"email": " Zoe@Example.COM ", "display_name": "Zoë Ångström 山田"}
    )
    assert response.status_code == 200
    password = response.context["temporary_password"]
    assert len(password) >= 16
    assert password in response.text
    assert "Customer created" in response.text
    with in_tenant(tenant_a):
        customer = User.objects.get(email="zoe@example.com")
        assert customer.display_name == "Zoë Ångström 山田"
        assert customer.must_change_password
        assert customer.check_password(password)
        address = EmailAddress.objects.get(user=customer)
        assert (address.email, address.verified, address.primary) == ("zoe@example.com", True, True)
    [entry] = audit_entries(tenant_a, AuditAction.CUSTOMER_CREATED)
    assert entry.target == "zoe@example.com"
    assert entry.actor_email == "global@admins.example"
    assert password not in json.dumps(entry.details)
    # The password is shown once: the customer's page never shows it again.
    assert password not in admin_client.get(customer_url(tenant_a, customer)).text
    client = Client()
    sign_in(client, tenant_a, "ZOE@example.com", password)
    assert signed_in(client, tenant_a)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": ""}, "email", "This field is required."),
        ({"email": f"{'a' * 250}@example.com"}, "email", "At most 254 characters."),
        ({"email": "Taken@EXAMPLE.com"}, "email", "exists already"),
        ({"email": "deleted@example.com"}, "email", "restore it instead"),
        (
            {"email": "new@example.com", "display_name": "x" * 257},
            "display_name",
            "At most 256 characters.",
        ),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(
    admin_client: Client, tenant_a: Tenant, data: dict[str, str], field: str, message: str
) -> None:
    make_customer(tenant_a, "taken@example.com")
    deleted = make_customer(tenant_a, "deleted@example.com")
    with in_tenant(tenant_a):
        User.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now(), is_active=False)
        before = (User.objects.count(), EmailAddress.objects.count())
    response = admin_client.post(f"{base(tenant_a)}new/", {"display_name": "", **data})
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert 'role="alert"' in response.text
    assert not response.context.get("temporary_password")
    with in_tenant(tenant_a):
        assert (User.objects.count(), EmailAddress.objects.count()) == before
    assert audit_entries(tenant_a, AuditAction.CUSTOMER_CREATED) == []


@pytest.fixture
def profile_world(tenant_a: Tenant) -> User:
    """A customer, and custom attributes of each data type; Tier is collected by picking one
    of a user flow's options."""
    customer = make_customer(tenant_a, "profile@example.com")
    with in_tenant(tenant_a):
        custom_attribute_create(name="Loyalty", data_type="int")
        custom_attribute_create(name="Newsletter", data_type="boolean")
        custom_attribute_create(name="Nickname", data_type="string")
        tier = custom_attribute_create(name="Tier", data_type="string")
        flow = userflow_services.userflow_create(name="Shop", custom_attributes=[tier])
        item = flow.attributes.get(custom_attribute=tier)
        userflow_services.flow_attribute_update(
            attribute=item,
            label="Tier",
            required=False,
            input_type="RadioSingleSelect",
            options=[{"text": "Gold", "value": "gold"}, {"text": "Silver", "value": "silver"}],
        )
    return customer


def test_edit_the_profile_with_built_in_and_custom_attributes(
    admin_client: Client, tenant_a: Tenant, profile_world: User
) -> None:
    url = customer_url(tenant_a, profile_world)
    page = admin_client.get(url)
    assert page.status_code == 200
    assert '<label for="id_custom_Loyalty">Loyalty</label>' in page.text
    assert '<option value="gold">Gold</option>' in page.text
    response = admin_client.post(
        url,
        {
            "display_name": "Pröfile Person",
            "city": "Utrecht",
            "custom_Loyalty": " 42 ",
            "custom_Newsletter": "true",
            "custom_Nickname": "pp",
            "custom_Tier": "gold",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        customer = User.objects.get(pk=profile_world.pk)
    assert (customer.display_name, customer.city) == ("Pröfile Person", "Utrecht")
    assert customer.custom_attributes == {
        "Loyalty": 42,
        "Newsletter": True,
        "Nickname": "pp",
        "Tier": "gold",
    }
    [entry] = audit_entries(tenant_a, AuditAction.CUSTOMER_UPDATED)
    assert entry.target == "profile@example.com"
    assert entry.details["fields"] == [
        "Loyalty",
        "Newsletter",
        "Nickname",
        "Tier",
        "city",
        "display_name",
    ]
    assert "Utrecht" not in json.dumps(entry.details)
    # Emptying a value removes it.
    admin_client.post(url, {"display_name": "Pröfile Person", "custom_Loyalty": ""})
    with in_tenant(tenant_a):
        assert "Loyalty" not in User.objects.get(pk=profile_world.pk).custom_attributes


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("custom_Loyalty", "many", "Enter a whole number."),
        ("custom_Loyalty", str(2**63), "This number is too large."),
        ("custom_Tier", "platinum", "Select a valid choice."),
        ("custom_Newsletter", "maybe", "Select a valid choice."),
        ("custom_Nickname", "n" * 251, "At most 250 characters."),
        ("given_name", "g" * 65, "At most 64 characters."),
        ("display_name", "d" * 257, "At most 256 characters."),
    ],
)
def test_bad_profile_values_are_field_errors_and_nothing_is_stored(
    admin_client: Client,
    tenant_a: Tenant,
    profile_world: User,
    field: str,
    value: str,
    message: str,
) -> None:
    url = customer_url(tenant_a, profile_world)
    data = {
        "display_name": "Changed",
        "city": "Changed",
        "custom_Nickname": "changed",
        field: value,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert any(message in error for error in errors[field]), errors
    assert f'id="id_{field}_error"' in response.text
    with in_tenant(tenant_a):
        customer = User.objects.get(pk=profile_world.pk)
    assert (customer.display_name, customer.city, customer.custom_attributes) == ("", "", {})
    assert audit_entries(tenant_a, AuditAction.CUSTOMER_UPDATED) == []


def test_blocked_customer_cannot_sign_in_until_unblocked(
    admin_client: Client, tenant_a: Tenant
) -> None:
    customer = make_customer(tenant_a, "blocked@example.com")
    already_in = Client()
    sign_in(already_in, tenant_a, "blocked@example.com")
    assert signed_in(already_in, tenant_a)

    response = admin_client.post(customer_url(tenant_a, customer, "block"))
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert not User.objects.get(pk=customer.pk).is_active
    assert not signed_in(already_in, tenant_a)
    client = Client()
    sign_in(client, tenant_a, "blocked@example.com")
    assert not signed_in(client, tenant_a)
    assert "Sign-in blocked" in admin_client.get(customer_url(tenant_a, customer)).text
    assert [e.target for e in audit_entries(tenant_a, AuditAction.CUSTOMER_BLOCKED)] == [
        "blocked@example.com"
    ]

    admin_client.post(customer_url(tenant_a, customer, "unblock"))
    sign_in(client, tenant_a, "blocked@example.com")
    assert signed_in(client, tenant_a)
    assert len(audit_entries(tenant_a, AuditAction.CUSTOMER_UNBLOCKED)) == 1
    # Writes need POST.
    assert admin_client.get(customer_url(tenant_a, customer, "block")).status_code == 405


def test_reset_password_shows_a_new_temporary_password_once(
    admin_client: Client, tenant_a: Tenant
) -> None:
    customer = make_customer(tenant_a, "reset@example.com")
    response = admin_client.post(customer_url(tenant_a, customer, "reset-password"))
    assert response.status_code == 200
    password = response.context["temporary_password"]
    assert password in response.text
    with in_tenant(tenant_a):
        customer = User.objects.get(pk=customer.pk)
    assert customer.must_change_password
    assert not customer.check_password(PASSWORD)
    assert customer.check_password(password)
    client = Client()
    sign_in(client, tenant_a, "reset@example.com", PASSWORD)
    assert not signed_in(client, tenant_a)
    sign_in(client, tenant_a, "reset@example.com", password)
    assert signed_in(client, tenant_a)
    [entry] = audit_entries(tenant_a, AuditAction.CUSTOMER_PASSWORD_RESET)
    assert password not in json.dumps(entry.details)
    assert password not in admin_client.get(customer_url(tenant_a, customer)).text


def test_revoke_sessions_signs_out_and_revokes_refresh_tokens(
    admin_client: Client, tenant_a: Tenant
) -> None:
    customer = make_customer(tenant_a, "revoke@example.com")
    bystander = make_customer(tenant_a, "bystander@example.com")
    browser, other_browser, bystander_browser = Client(), Client(), Client()
    sign_in(browser, tenant_a, "revoke@example.com")
    sign_in(other_browser, tenant_a, "revoke@example.com")
    sign_in(bystander_browser, tenant_a, "bystander@example.com")
    with in_tenant(tenant_a):
        app = app_services.app_register(
            name="Web", platform=Platform.WEB, redirect_uris=["https://web.example/cb"]
        )
        expires = timezone.now() + timedelta(hours=1)
        for owner, suffix in ((customer, "c"), (bystander, "b")):
            access = AccessToken.objects.create(
                user=owner, application=app, token=f"access-{suffix}", expires=expires
            )
            RefreshToken.objects.create(
                user=owner, application=app, token=f"refresh-{suffix}", access_token=access
            )
    page = admin_client.get(customer_url(tenant_a, customer))
    assert '<dd id="session-count">2 browser sessions</dd>' in page.text
    response = admin_client.post(customer_url(tenant_a, customer, "revoke-sessions"), follow=True)
    assert "Signed out of 2 browser sessions; 1 refresh token revoked." in response.text
    assert '<dd id="session-count">0 browser sessions</dd>' in response.text
    assert not signed_in(browser, tenant_a)
    assert not signed_in(other_browser, tenant_a)
    assert signed_in(bystander_browser, tenant_a)
    with in_tenant(tenant_a):
        assert not AccessToken.objects.filter(user=customer).exists()
        assert not RefreshToken.objects.filter(user=customer, revoked__isnull=True).exists()
        assert AccessToken.objects.filter(user=bystander).count() == 1
        assert RefreshToken.objects.filter(user=bystander, revoked__isnull=True).count() == 1
    [entry] = audit_entries(tenant_a, AuditAction.CUSTOMER_SESSIONS_REVOKED)
    assert entry.details == {
        "object_id": str(customer.object_id),
        "sessions": 2,
        "refresh_tokens": 1,
    }
    # The customer may sign in again.
    sign_in(browser, tenant_a, "revoke@example.com")
    assert signed_in(browser, tenant_a)


def test_delete_then_restore(admin_client: Client, tenant_a: Tenant) -> None:
    customer = make_customer(tenant_a, "delete-me@example.com")
    browser = Client()
    sign_in(browser, tenant_a, "delete-me@example.com")
    response = admin_client.post(customer_url(tenant_a, customer, "delete"), follow=True)
    assert "is deleted. You can restore the customer until" in response.text
    with in_tenant(tenant_a):
        deleted = User.objects.get(pk=customer.pk)
    assert deleted.deleted_at is not None
    assert not deleted.is_active
    assert not signed_in(browser, tenant_a)
    sign_in(browser, tenant_a, "delete-me@example.com")
    assert not signed_in(browser, tenant_a)
    assert "delete-me@example.com" not in listed_emails(admin_client, tenant_a)
    assert listed_emails(admin_client, tenant_a, deleted="on") == ["delete-me@example.com"]
    page = admin_client.get(customer_url(tenant_a, customer))
    assert "This customer is deleted" in page.text
    assert "Save profile" not in page.text
    # A deleted customer's sign-in and profile stay as they are until it is restored.
    for action in ("unblock", "reset-password", ""):
        refused = admin_client.post(
            customer_url(tenant_a, customer, action), {"city": "Nowhere"}, follow=True
        )
        assert "This customer is deleted: restore it first." in refused.text
        assert not refused.context.get("temporary_password")
    with in_tenant(tenant_a):
        unchanged = User.objects.get(pk=customer.pk)
    assert (unchanged.is_active, unchanged.password, unchanged.city) == (
        False,
        deleted.password,
        "",
    )
    assert audit_entries(tenant_a, AuditAction.CUSTOMER_PASSWORD_RESET) == []

    admin_client.post(customer_url(tenant_a, customer, "restore"))
    with in_tenant(tenant_a):
        restored = User.objects.get(pk=customer.pk)
    assert restored.deleted_at is None
    assert restored.is_active
    sign_in(browser, tenant_a, "delete-me@example.com")
    assert signed_in(browser, tenant_a)
    assert [e.target for e in audit_entries(tenant_a, AuditAction.CUSTOMER_DELETED)] == [
        "delete-me@example.com"
    ]
    assert len(audit_entries(tenant_a, AuditAction.CUSTOMER_RESTORED)) == 1


def test_restore_is_refused_after_30_days(admin_client: Client, tenant_a: Tenant) -> None:
    customer = make_customer(tenant_a, "too-late@example.com")
    with in_tenant(tenant_a):
        User.objects.filter(pk=customer.pk).update(
            deleted_at=timezone.now() - timedelta(days=30, minutes=1), is_active=False
        )
    response = admin_client.post(customer_url(tenant_a, customer, "restore"), follow=True)
    assert "cannot be restored" in response.text
    with in_tenant(tenant_a):
        assert User.objects.get(pk=customer.pk).deleted_at is not None
    assert audit_entries(tenant_a, AuditAction.CUSTOMER_RESTORED) == []


def test_celery_purges_customers_deleted_more_than_30_days_ago(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    now = timezone.now()

    def deleted_since(tenant: Tenant, email: str, when: datetime) -> User:
        customer = make_customer(tenant, email)
        with in_tenant(tenant):
            User.objects.filter(pk=customer.pk).update(deleted_at=when, is_active=False)
        return customer

    due_a = deleted_since(tenant_a, "due@example.com", now - timedelta(days=31))
    kept_a = deleted_since(tenant_a, "kept@example.com", now - timedelta(days=29))
    due_b = deleted_since(tenant_b, "due@example.com", now - timedelta(days=45))
    active = make_customer(tenant_a, "active@example.com")

    customers_purge_due.delay()

    with in_tenant(tenant_a):
        assert not User.objects.filter(pk=due_a.pk).exists()
        assert not EmailAddress.objects.filter(email="due@example.com").exists()
        assert User.objects.filter(pk__in=[kept_a.pk, active.pk]).count() == 2
    with in_tenant(tenant_b):
        assert not User.objects.filter(pk=due_b.pk).exists()
    [entry] = audit_entries(tenant_a, AuditAction.CUSTOMERS_PURGED)
    assert entry.details == {"customers": 1}
    assert entry.actor_email == "system"
    assert "due@example.com" not in json.dumps(entry.details) + entry.target
