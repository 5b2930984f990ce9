"""The session store: Django's database sessions in fewer statements, with the same guarantees,
and rows that name the account signed in; sessions naming no account yet in the shared cache."""

import contextlib
import datetime
import time

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Session
from accounts.session_store import SessionStore
from accounts.tasks import sessions_clear_expired
from tenants.models import Tenant
from tenants.schemas import in_tenant, use_public_schema
from tests.factories.accounts import make_customer


def _in_schema(tenant: Tenant | None) -> contextlib.AbstractContextManager[object]:
    """The tenant's schema, or the public one (the admin center's) for None."""
    if tenant is not None:
        return in_tenant(tenant)
    use_public_schema()
    return contextlib.nullcontext()


def _statements(captured: CaptureQueriesContext) -> list[str]:
    """The statements sent, without django-tenants' search path for the first cursor."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith("SET search_path")
    ]


def _tenant_tables_touched(captured: CaptureQueriesContext) -> list[str]:
    """The statements that name the session table of the schema (not the shared cache's)."""
    return [sql for sql in _statements(captured) if "accounts_session" in sql]


def test_a_signed_in_session_is_one_insert_and_reads_back(tenant_a: Tenant) -> None:
    customer = make_customer(tenant_a, "one-insert@example.com")
    with in_tenant(tenant_a):
        store = SessionStore()
        store["_auth_user_id"] = str(customer.pk)
        store["flow"] = {"client_id": "abc"}
        with CaptureQueriesContext(connection) as captured:
            store.save()
        assert [sql.split()[0] for sql in _statements(captured)] == ["INSERT"]
        assert len(store.session_key or "") == 32
        assert SessionStore(store.session_key)["flow"] == {"client_id": "abc"}


def test_a_session_naming_no_account_stays_out_of_the_tenants_tables(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """A sign-in page's session (its CSRF secret, where the sign-in goes) is kept in the shared
    cache under the tenant's schema: no statement on the tenant's session table, and its key
    means nothing in another tenant."""
    with in_tenant(tenant_a):
        store = SessionStore()
        store["_csrftoken"] = "secret"
        with CaptureQueriesContext(connection) as captured:
            store.save()
            reloaded = SessionStore(store.session_key)
            assert reloaded["_csrftoken"] == "secret"
            reloaded["next"] = "/authorize"
            reloaded.save()
        assert _tenant_tables_touched(captured) == []
        key = store.session_key or ""
        assert len(key) == 40
        assert SessionStore(key).load() == {"_csrftoken": "secret", "next": "/authorize"}
        assert not Session.objects.filter(session_key=key).exists()
    with in_tenant(tenant_b):
        assert SessionStore(key).load() == {}
        assert not SessionStore().exists(key)
    with in_tenant(tenant_a):
        SessionStore(key).delete()
        assert SessionStore(key).load() == {}


def test_a_sign_in_in_progress_expires_after_its_own_lifetime(tenant_a: Tenant) -> None:
    """CIAM_SIGN_IN_SESSION_SECONDS after its last change, however long its cookie lasts."""
    with in_tenant(tenant_a), override_settings(CIAM_SIGN_IN_SESSION_SECONDS=1):
        store = SessionStore()
        store["_csrftoken"] = "secret"
        store.save()
        assert store.get_expiry_age() > 1
        assert SessionStore(store.session_key).load() == {"_csrftoken": "secret"}
        time.sleep(1.6)
        assert SessionStore(store.session_key).load() == {}


def test_a_session_row_decodes_through_the_configured_store(tenant_a: Tenant) -> None:
    """The model finds its store through SESSION_ENGINE (it imports no store module)."""
    assert Session.get_session_store_class() is SessionStore
    customer = make_customer(tenant_a, "decodes@example.com")
    with in_tenant(tenant_a):
        store = SessionStore()
        store["_auth_user_id"] = str(customer.pk)
        store["flow"] = {"client_id": "abc"}
        store.save()
        assert Session.objects.get(session_key=store.session_key).get_decoded() == {
            "_auth_user_id": str(customer.pk),
            "flow": {"client_id": "abc"},
        }


def test_signing_in_moves_the_session_into_the_tenants_table_under_a_new_key(
    tenant_a: Tenant,
) -> None:
    customer = make_customer(tenant_a, "cycle@example.com")
    with in_tenant(tenant_a):
        store = SessionStore()
        store["_csrftoken"] = "secret"
        store.save()
        old_key = store.session_key or ""
        store.cycle_key()  # django.contrib.auth.login, before it names the account
        cycled = store.session_key or ""
        assert cycled != old_key
        assert not store.exists(old_key)
        assert not store.exists(cycled)  # written on save
        store["_auth_user_id"] = str(customer.pk)
        with CaptureQueriesContext(connection) as captured:
            store.save()
        assert [sql.split()[0] for sql in _tenant_tables_touched(captured)] == ["INSERT"]
        new_key = store.session_key or ""
        assert len(new_key) == 32
        assert new_key not in (old_key, cycled)
        reloaded = SessionStore(new_key)
        assert reloaded["_csrftoken"] == "secret"
        assert reloaded["_auth_user_id"] == str(customer.pk)
        assert Session.objects.get(session_key=new_key).user_id == customer.pk
        assert SessionStore(old_key).load() == {}
        assert SessionStore(cycled).load() == {}


def test_a_written_pending_session_that_signs_in_leaves_no_cache_entry(tenant_a: Tenant) -> None:
    """Signing in without a key rotation (a store written, then naming an account): the cache's
    entry goes as the row is written."""
    customer = make_customer(tenant_a, "no-rotation@example.com")
    with in_tenant(tenant_a):
        store = SessionStore()
        store["x"] = 1
        store.save()
        pending = store.session_key or ""
        store["_auth_user_id"] = str(customer.pk)
        store.save()
        assert store.session_key != pending
        assert not store.exists(pending)
        assert Session.objects.get(session_key=store.session_key).user_id == customer.pk


def test_a_session_deleted_meanwhile_is_never_brought_back(tenant_a: Tenant) -> None:
    """Signed out elsewhere or revoked by an admin: a late save fails instead of resurrecting."""
    customer = make_customer(tenant_a, "late@example.com")
    with in_tenant(tenant_a):
        store = SessionStore()
        store["_auth_user_id"] = str(customer.pk)
        store.save()
        Session.objects.filter(session_key=store.session_key).delete()
        store["later"] = True
        with pytest.raises(UpdateError):
            store.save()
        assert not Session.objects.filter(session_key=store.session_key).exists()


def test_expired_and_unknown_keys_load_as_empty(tenant_a: Tenant) -> None:
    customer = make_customer(tenant_a, "expired@example.com")
    with in_tenant(tenant_a):
        for account in (None, str(customer.pk)):
            store = SessionStore()
            store["x"] = 1
            if account:
                store["_auth_user_id"] = account
            store.set_expiry(-1)
            store.save()
            assert SessionStore(store.session_key).load() == {}
        assert SessionStore("nosuchkey" * 4 + "0123").load() == {}
        assert SessionStore("nosuchkey" * 4 + "0123" + "a" * 4).load() == {}


def test_sign_in_rotates_the_key_and_the_page_itself_writes_nothing(tenant_a: Tenant) -> None:
    customer = make_customer(tenant_a, "rotate@example.com", password="Correct-Horse-42")
    client = Client()
    login = f"/{tenant_a.domain_name}/account/login/"
    client.get(login)  # a new session holding the form's CSRF secret
    cookie = f"ciam_session_{tenant_a.domain_name}"
    before = client.cookies[cookie].value
    with CaptureQueriesContext(connection) as captured:
        assert client.get(login).status_code == 200
    # No session or account row is written (the request limits' counters are, where the
    # shared cache is PostgreSQL's: they are not what this test is about).
    writes = [sql for sql in _statements(captured) if sql.startswith(("INSERT", "UPDATE"))]
    assert not [sql for sql in writes if '"public"."ciam_cache"' not in sql]
    response = client.post(login, {"login": "rotate@example.com", "password": "Correct-Horse-42"})
    assert response.status_code == 302
    after = client.cookies[cookie].value
    assert after != before
    with in_tenant(tenant_a):
        assert len(before) == 40
        assert len(after) == 32
        assert SessionStore(before).load() == {}
        assert SessionStore(after).get("_auth_user_id")
        # The row names the account, so that ending its sessions needs no decoding.
        assert Session.objects.get(session_key=after).user_id == customer.pk
    client.post(f"/{tenant_a.domain_name}/account/logout/")
    with in_tenant(tenant_a):
        assert not Session.objects.filter(user=customer).exists()


def test_a_sign_in_in_progress_carried_to_another_tenant_is_no_session_there(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """An outsider's replay: tenant A's sign-in session key (its CSRF secret with it) sent as
    tenant B's cookie opens nothing at B; B's form refuses A's CSRF token and B hands out a
    session of its own."""
    login_a = f"/{tenant_a.domain_name}/account/login/"
    login_b = f"/{tenant_b.domain_name}/account/login/"
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(login_a)
    token = page.context["csrf_token"]
    key_a = browser.cookies[f"ciam_session_{tenant_a.domain_name}"].value
    assert len(key_a) == 40
    replay = Client(
        enforce_csrf_checks=True, HTTP_COOKIE=f"ciam_session_{tenant_b.domain_name}={key_a}"
    )
    refused = replay.post(
        login_b, {"login": "x@example.com", "password": "y", "csrfmiddlewaretoken": token}
    )
    assert refused.status_code == 403
    fresh = replay.get(login_b)
    assert fresh.status_code == 200
    assert fresh.cookies[f"ciam_session_{tenant_b.domain_name}"].value != key_a
    # At A, the key still opens A's session: the replay did not disturb it.
    with in_tenant(tenant_a):
        assert SessionStore(key_a).get("_csrftoken")


def test_expired_sessions_are_cleared_in_every_schema(tenant_a: Tenant, tenant_b: Tenant) -> None:
    """Celery beat's hourly task removes expired sessions, the admin center's and each
    tenant's, and keeps the live ones."""
    kept: list[tuple[Tenant | None, str]] = []
    gone: list[tuple[Tenant | None, str]] = []
    now = timezone.now()
    for tenant in (tenant_a, tenant_b, None):
        with _in_schema(tenant):
            for lifetime, into in ((-1, gone), (3600, kept)):
                key = SessionStore()._get_new_session_key()
                Session.objects.create(
                    session_key=key,
                    session_data=SessionStore().encode({"x": 1}),
                    expire_date=now + datetime.timedelta(seconds=lifetime),
                )
                into.append((tenant, key))
    sessions_clear_expired.delay()
    for keys, expected in ((kept, True), (gone, False)):
        for tenant, key in keys:
            with _in_schema(tenant):
                assert Session.objects.filter(session_key=key).exists() is expected


@pytest.mark.parametrize(
    "value",
    [
        "aaaa\x00" + "b" * 27,
        "x" * 5000,
        "é" * 32,
        "ABCDEFGH" * 4,
        "ABCDEFGH" * 5,
        "short",
        "x" * 31 + ";",
        "x" * 39 + "\x00",
    ],
)
def test_a_session_cookie_no_store_could_have_made_is_no_session(
    tenant_a: Tenant, value: str
) -> None:
    """NUL bytes, odd characters or lengths in the cookie: a new session, never a 500."""
    cookie = f"ciam_session_{tenant_a.domain_name}={value}"
    page = Client(HTTP_COOKIE=cookie).get(f"/{tenant_a.domain_name}/account/login/")
    assert page.status_code == 200
    admin = Client(HTTP_COOKIE=f"ciam_session_admin={value}").get("/admin-center/")
    assert admin.status_code == 302  # to the admin center's sign-in page
