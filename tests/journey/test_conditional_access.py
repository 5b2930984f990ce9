"""Conditional access end to end (issue 12): real policies, made through
protection.conditional_access's services, decide real sign-ins through the hosted pages, the
authorization endpoint and the token endpoint (the Django test client on the real journey,
allauth and database; nothing substituted). A policy for one app, its exclusions (a customer,
an app, a named location), block, report-only, off, and "any location but the trusted ones";
a session signed in to another app is held to the app's policies too. Every decision is
recorded for the sign-in log: a line on the `ciam.sign_in` logger and the signal
`protection.signals.sign_in_evaluated`."""

import dataclasses
import html
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.http import HttpRequest
from django.test import Client

from accounts.models import User
from apps import services as app_services
from apps.models import Grant, Platform
from protection.access import SignInEvaluation
from protection.conditional_access import (
    PolicySettings,
    conditional_access_policy_create,
    conditional_access_policy_update,
    named_location_create,
)
from protection.models import ConditionalAccessPolicy
from protection.signals import sign_in_evaluated
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.federation import id_token_of
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld
from tests.journey.test_second_factor import EMAIL, MFA, SFA, page, sign_in, signed_in
from userflows import services as flow_services

Capture = Callable[..., Any]
OFFICE = ["203.0.113.0/24", "2001:db8:10::/48"]
BLOCKED = "You can't sign in here right now"
_NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)"')


@pytest.fixture
def shop(flow_world: FlowWorld) -> FlowWorld:
    """The flow's app, "Shop", and a customer with a password."""
    make_customer(flow_world.tenant, EMAIL)
    return flow_world


@pytest.fixture
def blog(shop: FlowWorld) -> FlowWorld:
    """Another app of the same tenant and user flow, "Blog" (the same redirect URI)."""
    with in_tenant(shop.tenant):
        app = app_services.app_register(
            name="Blog", platform=Platform.WEB, redirect_uris=[FLOW_APP_REDIRECT]
        )
        flow_services.flow_apps_assign(flow=shop.flow, apps=[app])
        _s, secret = app_services.client_secret_add(app=app, description="t", lifetime_days=90)
    return dataclasses.replace(shop, app=app, secret=secret)


@pytest.fixture
def evaluations() -> Iterator[list[SignInEvaluation]]:
    """What the sign-in log (issue 13) will hear: each `sign_in_evaluated`, in order."""
    heard: list[SignInEvaluation] = []

    def receiver(
        sender: object, *, request: HttpRequest, evaluation: SignInEvaluation, **_: Any
    ) -> None:
        assert isinstance(request, HttpRequest)  # the request that decided it
        heard.append(evaluation)

    sign_in_evaluated.connect(receiver, weak=False)
    yield heard
    sign_in_evaluated.disconnect(receiver)


def policy(world: FlowWorld, name: str, **settings: Any) -> ConditionalAccessPolicy:
    """A policy made as the admin center makes it (on, requiring MFA, unless said)."""
    given = {"state": "on", "grant": "mfa", **settings}
    with in_tenant(world.tenant):
        return conditional_access_policy_create(settings=PolicySettings(name=name, **given))


def asked_the_code(
    client: Client, world: FlowWorld, capture: Capture, email: str = EMAIL
) -> dict[str, Any]:
    """A sign-in the policies ask a second factor of: held on the emailed code's page (the
    tenant's default second factor), nobody signed in until the code; the ID token's claims."""
    with capture(execute=True):
        held = sign_in(client, world, authorize_url(world), email)
    assert held.status_code == 302
    assert held["Location"] == page(world, "email/")
    assert not signed_in(client, world)
    done = client.post(page(world, "email/"), {"code": last_code()})
    return id_token_of(client, world, done)


def not_asked(client: Client, world: FlowWorld, email: str = EMAIL) -> dict[str, Any]:
    """A sign-in with the password alone, straight back to the app; the ID token's claims."""
    return id_token_of(client, world, sign_in(client, world, authorize_url(world), email))


def two_factors(claims: dict[str, Any]) -> bool:
    if claims["acr"] == MFA:
        assert claims["amr"] == ["pwd", "otp", "mfa"]
        return True
    assert claims["acr"] == SFA
    assert claims["amr"] == ["pwd"]
    return False


def decided(evaluation: SignInEvaluation) -> tuple[Any, ...]:
    """Who, which app, the policies applied, the report-only ones, and what came of it."""
    return (
        evaluation.customer_object_id,
        evaluation.client_id,
        evaluation.decision.applied,
        evaluation.decision.report_only,
        evaluation.result,
    )


def object_id(world: FlowWorld, email: str = EMAIL) -> str:
    with in_tenant(world.tenant):
        return str(User.objects.get(email=email).object_id)


def test_a_policy_for_one_app_asks_a_second_factor_there_and_not_at_another_app(
    shop: FlowWorld,
    blog: FlowWorld,
    django_capture_on_commit_callbacks: Capture,
    evaluations: list[SignInEvaluation],
) -> None:
    policy(shop, "MFA for the shop", all_apps=False, client_ids=[shop.app.client_id])
    assert two_factors(asked_the_code(Client(), shop, django_capture_on_commit_callbacks))
    assert not two_factors(not_asked(Client(), blog))
    customer = object_id(shop)
    assert [decided(evaluation) for evaluation in evaluations] == [
        (customer, shop.app.client_id, ("MFA for the shop",), (), "challenge"),
        (customer, blog.app.client_id, (), (), "none"),
    ]


def sign_in_page_next(response: Any) -> str:
    """The sign-in page's `next` (the authorization request it answers once signed in)."""
    assert response.status_code == 200, response.status_code
    assert 'name="password"' in response.text
    match = _NEXT.search(response.text)
    assert match, response.text[:1000]
    return html.unescape(match.group(1))


def test_a_session_signed_in_at_another_app_is_held_to_the_apps_policy(
    shop: FlowWorld,
    blog: FlowWorld,
    django_capture_on_commit_callbacks: Capture,
    evaluations: list[SignInEvaluation],
) -> None:
    """Single sign-on carries the session's sign-in to the next app, not past that app's
    policies: a one-factor session is asked to sign in again, with the second factor."""
    policy(shop, "MFA for the shop", all_apps=False, client_ids=[shop.app.client_id])
    client = Client()
    assert not two_factors(not_asked(client, blog))
    silent = client.get(f"{authorize_url(shop)}&{urlencode({'prompt': 'none'})}")
    assert silent.status_code == 302
    assert silent["Location"].startswith(FLOW_APP_REDIRECT)
    assert parse_qs(urlsplit(silent["Location"]).query)["error"] == ["login_required"]
    next_url = sign_in_page_next(client.get(authorize_url(shop)))
    with django_capture_on_commit_callbacks(execute=True):
        held = client.post(
            f"/{shop.tenant.domain_name}/account/login/",
            {"login": EMAIL, "password": PASSWORD, "next": next_url},
        )
    assert held["Location"] == page(shop, "email/")
    done = client.post(page(shop, "email/"), {"code": last_code()})
    assert two_factors(id_token_of(client, shop, done))
    # The session now has two factors: the shop's next request gets its code at once.
    assert two_factors(id_token_of(client, shop, client.get(authorize_url(shop))))
    shop_id = shop.app.client_id
    assert [(e.single_sign_on, *decided(e)[1:]) for e in evaluations] == [
        (False, blog.app.client_id, (), (), "none"),
        (True, shop_id, ("MFA for the shop",), (), "sign_in_again"),
        (True, shop_id, ("MFA for the shop",), (), "sign_in_again"),
        (False, shop_id, ("MFA for the shop",), (), "challenge"),
        (True, shop_id, ("MFA for the shop",), (), "none"),
    ]


def test_an_excluded_customer_is_not_asked(
    shop: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    make_customer(shop.tenant, "tester@example.com")
    policy(shop, "MFA for everyone", excluded_customer_emails=["Tester@example.com"])
    assert not two_factors(not_asked(Client(), shop, "tester@example.com"))
    assert two_factors(asked_the_code(Client(), shop, django_capture_on_commit_callbacks))


def test_an_excluded_app_is_not_asked(
    shop: FlowWorld, blog: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    policy(shop, "MFA but for the blog", excluded_client_ids=[blog.app.client_id])
    assert not two_factors(not_asked(Client(), blog))
    assert two_factors(asked_the_code(Client(), shop, django_capture_on_commit_callbacks))


def test_an_excluded_named_location_is_not_asked(
    shop: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    with in_tenant(shop.tenant):
        office = named_location_create(name="Office", ip_ranges=OFFICE)
    policy(shop, "MFA outside the office", excluded_location_ids=[office.location_id])
    for inside in ("203.0.113.7", "2001:db8:10::7"):
        assert not two_factors(not_asked(Client(REMOTE_ADDR=inside), shop)), inside
    away = Client(REMOTE_ADDR="198.51.100.9")
    assert two_factors(asked_the_code(away, shop, django_capture_on_commit_callbacks))


def test_a_block_ends_the_sign_in_on_the_blocked_page_and_no_code_reaches_the_app(
    shop: FlowWorld, blog: FlowWorld, evaluations: list[SignInEvaluation]
) -> None:
    policy(shop, "Block the shop", grant="block", all_apps=False, client_ids=[shop.app.client_id])
    client = Client()
    answer = sign_in(client, shop, authorize_url(shop))
    assert answer.status_code == 403
    assert BLOCKED in answer.text
    assert "Location" not in answer
    assert not signed_in(client, shop)
    assert client.get(f"/{shop.tenant.domain_name}/api/v1/me").status_code == 401
    # Signed in at the blog, the customer is still refused the shop: asked to sign in again,
    # then blocked.
    assert not two_factors(not_asked(client, blog))
    next_url = sign_in_page_next(client.get(authorize_url(shop)))
    again = client.post(
        f"/{shop.tenant.domain_name}/account/login/",
        {"login": EMAIL, "password": PASSWORD, "next": next_url},
    )
    assert again.status_code == 403
    assert BLOCKED in again.text
    with in_tenant(shop.tenant):
        assert list(Grant.objects.values_list("application__client_id", flat=True)) == [
            blog.app.client_id
        ]
    assert [decided(evaluation)[2:] for evaluation in evaluations] == [
        (("Block the shop",), (), "block"),
        ((), (), "none"),
        (("Block the shop",), (), "sign_in_again"),
        (("Block the shop",), (), "block"),
    ]


def test_report_only_is_recorded_and_not_enforced(
    shop: FlowWorld,
    evaluations: list[SignInEvaluation],
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy(shop, "Trial: block", state="report_only", grant="block")
    policy(shop, "Trial: MFA", state="report_only")
    caplog.set_level(logging.INFO, logger="ciam.sign_in")
    assert not two_factors(not_asked(Client(), shop))

    customer = object_id(shop)
    trial = (("Trial: block", "block"), ("Trial: MFA", "mfa"))
    assert [decided(evaluation) for evaluation in evaluations] == [
        (customer, shop.app.client_id, (), trial, "none")
    ]
    # The log line: structured (its fields beside the message), and never the password or
    # the customer's address.
    (line,) = [record for record in caplog.records if record.name == "ciam.sign_in"]
    fields = {
        "tenant": str(shop.tenant.tenant_id),
        "customer": customer,
        "client_id": shop.app.client_id,
        "single_sign_on": False,
        "applied": [],
        "report_only": [
            {"policy": "Trial: block", "grant": "block"},
            {"policy": "Trial: MFA", "grant": "mfa"},
        ],
        "result": "none",
    }
    assert line.levelno == logging.INFO
    assert line.sign_in == fields  # type: ignore[attr-defined]
    message = line.getMessage()
    assert json.loads(message.split(" ", 2)[2]) == fields
    assert PASSWORD not in message
    assert EMAIL not in message


def test_a_policy_switched_off_does_nothing(
    shop: FlowWorld,
    django_capture_on_commit_callbacks: Capture,
    evaluations: list[SignInEvaluation],
) -> None:
    settings = PolicySettings(name="Block everyone", state="on", grant="block")
    with in_tenant(shop.tenant):
        blocking = conditional_access_policy_create(settings=settings)
    assert sign_in(Client(), shop, authorize_url(shop)).status_code == 403
    with in_tenant(shop.tenant):
        conditional_access_policy_update(
            policy=blocking, settings=dataclasses.replace(settings, state="off")
        )
    assert not two_factors(not_asked(Client(), shop))
    policy(shop, "MFA, off", state="off")
    assert not two_factors(not_asked(Client(), shop))
    assert [decided(evaluation)[2:] for evaluation in evaluations] == [
        (("Block everyone",), (), "block"),
        ((), (), "none"),
        ((), (), "none"),
    ]


def test_any_location_but_the_trusted_ones(
    shop: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    """Entra's usual policy: a second factor everywhere but at the trusted places. A named
    location that is not trusted does not count."""
    with in_tenant(shop.tenant):
        named_location_create(name="Office", ip_ranges=OFFICE, trusted=True)
        named_location_create(name="Partner", ip_ranges=["192.0.2.0/24"])
    policy(shop, "MFA away from the office", exclude_trusted_locations=True)
    for trusted in ("203.0.113.7", "2001:db8:10::7", "::ffff:203.0.113.7"):
        assert not two_factors(not_asked(Client(REMOTE_ADDR=trusted), shop)), trusted
    for away in ("192.0.2.44", "2001:db8:99::1"):
        client = Client(REMOTE_ADDR=away)
        assert two_factors(asked_the_code(client, shop, django_capture_on_commit_callbacks)), away
