"""The auth transaction: one typed value in the session, JSON on the way, and anything that is
not what `begin` wrote (malformed, foreign, stale) reads as no transaction, never an error."""

import time
import uuid
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpRequest
from django.test import Client, RequestFactory, override_settings

from apps.oidc.sign_in import SignInRequest
from journey import transaction
from journey.transaction import AuthTransaction
from tenants.schemas import in_tenant
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld

FLOW_ID = uuid.UUID("0b6a4f1e-8d7c-4c1a-9a57-3c2f1d0e9b21")


def a_request() -> HttpRequest:
    request = RequestFactory().get("/")
    request.session = SessionStore()
    return request


def begin(request: HttpRequest, **changes: Any) -> AuthTransaction:
    values: dict[str, Any] = {
        "client_id": "c0ffee00-0000-4000-8000-000000000001",
        "redirect_uri": "https://shop.example/callback",
        "scopes": ("openid", "profile"),
        "state": "s-1",
        "nonce": "n-1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "prompt": ("login",),
        "max_age": 300,
        "login_hint": "ada@example.com",
        "ui_locales": ("fr-CA", "en"),
        "user_flow": FLOW_ID,
        "fresh_sign_in": False,
        **changes,
    }
    return transaction.begin(request, SignInRequest(**values))


def through_json(request: HttpRequest) -> HttpRequest:
    """The same session as the next request reads it: saved (JSON) and loaded again."""
    request.session.save()
    again = RequestFactory().get("/")
    again.session = SessionStore(session_key=request.session.session_key)
    return again


def test_what_begins_is_what_the_next_request_reads() -> None:
    request = a_request()
    begun = begin(request)
    assert transaction.current(request) == begun  # in the same request
    read = transaction.current(through_json(request))
    assert read == begun
    assert read is not None
    assert read.scopes == ("openid", "profile")
    assert read.ui_locales == ("fr-CA", "en")
    assert read.user_flow == FLOW_ID
    assert read.max_age == 300
    assert abs(read.began_at - time.time()) < 5
    assert not read.awaits_fresh_sign_in
    assert uuid.UUID(read.correlation_id)  # every row of this sign-in in the log shares it
    assert begin(a_request()).correlation_id != read.correlation_id


def test_finish_ends_it_and_signed_in_is_recorded() -> None:
    request = a_request()
    begun = begin(request, fresh_sign_in=True)
    assert begun.awaits_fresh_sign_in
    done = transaction.signed_in(request, transaction=begun)
    read = transaction.current(through_json(request))
    assert read == done
    assert read is not None
    assert read.signed_in_at is not None
    assert not read.awaits_fresh_sign_in
    transaction.finish(request)
    assert transaction.current(request) is None
    assert transaction.current(through_json(request)) is None


def test_begin_bounds_what_a_crafted_request_can_store() -> None:
    request = a_request()
    begun = begin(
        request,
        state="s" * 5000,
        scopes=[f"scope{n}" for n in range(500)],
        login_hint="h" * 1000,
        ui_locales=["fr", "<script>", "x" * 50, "de-DE", "en"],
    )
    assert len(begun.state) == 512
    assert len(begun.scopes) == 20
    assert len(begun.login_hint) == 254
    assert begun.ui_locales == ("fr", "de-DE", "en")


@pytest.mark.parametrize(
    "change",
    [
        lambda stored: "not a dict",
        lambda stored: {**stored, "v": 1},  # before the transaction kept what acr asks
        lambda stored: {**stored, "v": 2},  # before it had its sign-in log correlation ID
        lambda stored: {**stored, "v": 4},
        lambda stored: {key: value for key, value in stored.items() if key != "correlation_id"},
        lambda stored: {**stored, "correlation_id": None},
        lambda stored: {key: value for key, value in stored.items() if key != "client_id"},
        lambda stored: {**stored, "client_id": 7},
        lambda stored: {**stored, "scopes": "openid profile"},
        lambda stored: {**stored, "scopes": ["openid", None]},
        lambda stored: {**stored, "max_age": True},
        lambda stored: {**stored, "max_age": "300"},
        lambda stored: {**stored, "user_flow": "not-a-uuid"},
        lambda stored: {**stored, "began_at": "yesterday"},
        lambda stored: {**stored, "fresh_sign_in": "yes"},
        lambda stored: {**stored, "signed_in_at": []},
        lambda stored: {**stored, "mfa_asked": "yes"},
        lambda stored: {key: value for key, value in stored.items() if key != "mfa_essential"},
        # Stale, or from a clock that is not ours.
        lambda stored: {**stored, "began_at": time.time() - 3601},
        lambda stored: {**stored, "began_at": time.time() + 3600},
    ],
)
def test_anything_else_in_the_session_reads_as_no_transaction(change: Any) -> None:
    request = a_request()
    begin(request)
    [key] = request.session.keys()
    request.session[key] = change(dict(request.session[key]))
    assert transaction.current(request) is None
    assert transaction.current(through_json(request)) is None


@override_settings(CIAM_AUTH_TRANSACTION_SECONDS=60)
def test_the_lifetime_is_a_setting() -> None:
    request = a_request()
    begin(request)
    [key] = request.session.keys()
    request.session[key] = {**request.session[key], "began_at": time.time() - 61}
    assert transaction.current(request) is None


def test_a_malformed_transaction_on_the_hosted_pages_is_no_500(flow_world: FlowWorld) -> None:
    """A session whose transaction is not what `begin` wrote: the hosted pages serve no app
    (sign-up is closed, as for a customer who came without one), and nothing crashes."""
    tenant = flow_world.tenant
    client = Client(raise_request_exception=False)
    page = client.get(
        f"/{tenant.domain_name}/oauth2/v2.0/authorize?client_id={flow_world.app.client_id}"
        f"&response_type=code&scope=openid&redirect_uri={FLOW_APP_REDIRECT}"
    )
    assert f"/{tenant.domain_name}/account/signup/" in page.text  # the app's flow allows it
    cookie = client.cookies[f"{settings.SESSION_COOKIE_NAME}_{tenant.domain_name}"].value
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with in_tenant(tenant):
        session = store(session_key=cookie)
        [key] = [key for key, value in session.items() if isinstance(value, dict) and "v" in value]
        session[key] = {**session[key], "scopes": {"not": "a list"}}
        session.save()
    for path in ("account/login/", "account/signup/", "account/password/reset/"):
        response = client.get(f"/{tenant.domain_name}/{path}")
        assert response.status_code == 200, path
    assert "closed" in client.get(f"/{tenant.domain_name}/account/signup/").text.lower()
