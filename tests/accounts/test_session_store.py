"""The session store: Django's database sessions in fewer statements, with the same guarantees,
and rows that name the account signed in."""

import contextlib

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

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


def test_a_new_session_is_one_insert_and_reads_back(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        store = SessionStore()
        store["flow"] = {"client_id": "abc"}
        with CaptureQueriesContext(connection) as captured:
            store.save()
        assert [sql.split()[0] for sql in _statements(captured)] == ["INSERT"]
        assert SessionStore(store.session_key)["flow"] == {"client_id": "abc"}


def test_a_session_row_decodes_through_the_configured_store(tenant_a: Tenant) -> None:
    """The model finds its store through SESSION_ENGINE (it imports no store module)."""
    assert Session.get_session_store_class() is SessionStore
    with in_tenant(tenant_a):
        store = SessionStore()
        store["flow"] = {"client_id": "abc"}
        store.save()
        assert Session.objects.get(session_key=store.session_key).get_decoded() == {
            "flow": {"client_id": "abc"}
        }


def test_rotating_the_key_moves_the_data_and_drops_the_old_row(tenant_a: Tenant) -> None:
    customer = make_customer(tenant_a, "cycle@example.com")
    with in_tenant(tenant_a):
        store = SessionStore()
        store["_csrftoken"] = "secret"
        store.save()
        old_key = store.session_key
        store.cycle_key()
        new_key = store.session_key
        assert new_key != old_key
        assert not Session.objects.filter(session_key=old_key).exists()
        assert not Session.objects.filter(session_key=new_key).exists()  # written on save
        store["_auth_user_id"] = str(customer.pk)
        store.save()
        reloaded = SessionStore(new_key)
        assert reloaded["_csrftoken"] == "secret"
        assert reloaded["_auth_user_id"] == str(customer.pk)
        assert Session.objects.get(session_key=new_key).user_id == customer.pk


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
    with in_tenant(tenant_a):
        store = SessionStore()
        store["x"] = 1
        store.set_expiry(-1)
        store.save()
        assert SessionStore(store.session_key).load() == {}
        assert SessionStore("nosuchkey" * 4).load() == {}


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
        assert not Session.objects.filter(session_key=before).exists()
        assert SessionStore(after).get("_auth_user_id")
        # The row names the account, so that ending its sessions needs no decoding.
        assert Session.objects.get(session_key=after).user_id == customer.pk
    client.post(f"/{tenant_a.domain_name}/account/logout/")
    with in_tenant(tenant_a):
        assert not Session.objects.filter(user=customer).exists()


def test_expired_sessions_are_cleared_in_every_schema(tenant_a: Tenant, tenant_b: Tenant) -> None:
    """Celery beat's hourly task removes expired sessions, the admin center's and each
    tenant's, and keeps the live ones."""
    kept, gone = [], []
    for tenant in (tenant_a, tenant_b, None):
        with _in_schema(tenant):
            for lifetime, into in ((-1, gone), (3600, kept)):
                store = SessionStore()
                store["x"] = 1
                store.set_expiry(lifetime)
                store.save()
                into.append((tenant, store.session_key))
    sessions_clear_expired.delay()
    for keys, expected in ((kept, True), (gone, False)):
        for tenant, key in keys:
            with _in_schema(tenant):
                assert Session.objects.filter(session_key=key).exists() is expected


@pytest.mark.parametrize(
    "value",
    ["aaaa\x00" + "b" * 27, "x" * 5000, "é" * 32, "ABCDEFGH" * 4, "short", "x" * 31 + ";"],
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
