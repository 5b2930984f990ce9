"""What the tenant's conditional access policies decide about a sign-in: each condition
(excluded customers, selected and excluded apps, risk, named locations over IPv4 and IPv6,
trusted locations), each state (on, report-only, off), block over MFA, and the queries it
costs. Policies are made through the services, evaluated in the tenant's schema."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from protection.access import AccessDecision, RiskLevel, SignInContext, access_evaluate
from protection.conditional_access import (
    PolicySettings,
    conditional_access_policy_create,
    named_location_create,
)
from protection.models import ConditionalAccessPolicy, NamedLocation
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer

APP = "11111111-1111-4111-8111-111111111111"
OTHER_APP = "22222222-2222-4222-8222-222222222222"
OFFICE_V4 = "203.0.113.7"
OFFICE_V6 = "2001:db8:10::7"
ELSEWHERE_V4 = "198.51.100.9"
ELSEWHERE_V6 = "2001:db8:99::1"


@pytest.fixture
def customers(tenant_a: Tenant) -> dict[str, User]:
    return {name: make_customer(tenant_a, f"{name}@example.com") for name in ("alice", "bob")}


@pytest.fixture
def in_a(tenant_a: Tenant) -> Iterator[None]:
    with in_tenant(tenant_a):
        yield


def policy(name: str, **settings: Any) -> ConditionalAccessPolicy:
    given = {"state": "on", "grant": "mfa", **settings}
    return conditional_access_policy_create(settings=PolicySettings(name=name, **given))


def office(*, trusted: bool = False) -> NamedLocation:
    return named_location_create(
        name="Office", ip_ranges=["203.0.113.0/24", "2001:db8:10::/48"], trusted=trusted
    )


def decide(
    customer: User,
    *,
    client_id: str | None = APP,
    address: str = ELSEWHERE_V4,
    risk: RiskLevel = RiskLevel.NONE,
) -> AccessDecision:
    return access_evaluate(
        SignInContext(customer_id=customer.pk, client_id=client_id, address=address, risk=risk)
    )


def test_no_policy_decides_nothing(customers: dict[str, User], in_a: None) -> None:
    assert decide(customers["alice"]) == AccessDecision()


def test_a_policy_for_all_customers_and_apps_requires_mfa(
    customers: dict[str, User], in_a: None
) -> None:
    policy("MFA for everyone")
    for customer in customers.values():
        for client_id in (APP, OTHER_APP, None):
            decision = decide(customer, client_id=client_id)
            assert decision == AccessDecision(require_mfa=True, applied=("MFA for everyone",))


def test_excluded_customers_are_left_out(customers: dict[str, User], in_a: None) -> None:
    policy("MFA but Bob", excluded_customer_emails=["BOB@example.com"])
    assert decide(customers["alice"]).require_mfa
    assert decide(customers["bob"]) == AccessDecision()


def test_selected_apps_only_and_exclusions(customers: dict[str, User], in_a: None) -> None:
    policy("MFA for one app", all_apps=False, client_ids=[APP])
    alice = customers["alice"]
    assert decide(alice, client_id=APP).applied == ("MFA for one app",)
    assert decide(alice, client_id=OTHER_APP) == AccessDecision()
    # A sign-in without an app is in no app's selection.
    assert decide(alice, client_id=None) == AccessDecision()


def test_excluded_app_under_all_apps(customers: dict[str, User], in_a: None) -> None:
    policy("Block but the shop", grant="block", excluded_client_ids=[OTHER_APP])
    alice = customers["alice"]
    assert decide(alice, client_id=APP).block
    assert decide(alice, client_id=None).block
    assert decide(alice, client_id=OTHER_APP) == AccessDecision()


@pytest.mark.parametrize(
    ("risk", "applies"),
    [
        (RiskLevel.NONE, False),
        (RiskLevel.LOW, False),
        (RiskLevel.MEDIUM, True),
        (RiskLevel.HIGH, True),
    ],
)
def test_risk_levels(
    customers: dict[str, User], in_a: None, risk: RiskLevel, applies: bool
) -> None:
    policy("Risky sign-ins", risk_levels=["high", "medium"])
    assert decide(customers["alice"], risk=risk).require_mfa is applies


def test_no_risk_levels_means_any_risk(customers: dict[str, User], in_a: None) -> None:
    policy("Always")
    for risk in RiskLevel:
        assert decide(customers["alice"], risk=risk).require_mfa


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        (OFFICE_V4, True),
        (OFFICE_V6, True),
        (f"::ffff:{OFFICE_V4}", True),  # IPv4 through a dual-stack socket
        (ELSEWHERE_V4, False),
        (ELSEWHERE_V6, False),
        ("not an address", False),
        ("", False),
    ],
)
def test_selected_locations_v4_and_v6(
    customers: dict[str, User], in_a: None, address: str, inside: bool
) -> None:
    location = office()
    policy("Office only", locations="selected", included_location_ids=[location.location_id])
    assert decide(customers["alice"], address=address).require_mfa is inside


@pytest.mark.parametrize(
    ("address", "applies"),
    [(OFFICE_V4, False), (OFFICE_V6, False), (ELSEWHERE_V4, True), (ELSEWHERE_V6, True)],
)
def test_excluded_locations(
    customers: dict[str, User], in_a: None, address: str, applies: bool
) -> None:
    location = office()
    policy("Block outside the office", grant="block", excluded_location_ids=[location.location_id])
    assert decide(customers["alice"], address=address).block is applies


def test_trusted_locations_included_and_excluded(customers: dict[str, User], in_a: None) -> None:
    office(trusted=True)
    named_location_create(name="Partner", ip_ranges=["192.0.2.0/24"], trusted=False)
    policy("Inside trusted", locations="trusted")
    policy("Outside trusted", grant="block", exclude_trusted_locations=True)
    alice = customers["alice"]
    assert decide(alice, address=OFFICE_V6) == AccessDecision(
        require_mfa=True, applied=("Inside trusted",)
    )
    assert decide(alice, address="192.0.2.5") == AccessDecision(
        block=True, applied=("Outside trusted",)
    )


def test_report_only_is_reported_not_enforced(customers: dict[str, User], in_a: None) -> None:
    policy("Trial block", state="report_only", grant="block")
    policy("Trial MFA", state="report_only", grant="mfa")
    assert decide(customers["alice"]) == AccessDecision(
        report_only=(("Trial block", "block"), ("Trial MFA", "mfa"))
    )


def test_off_does_nothing(customers: dict[str, User], in_a: None) -> None:
    policy("Switched off", state="off", grant="block")
    assert decide(customers["alice"]) == AccessDecision()


def test_block_wins_over_mfa_and_all_are_named(customers: dict[str, User], in_a: None) -> None:
    policy("B: require MFA")
    policy("A: block", grant="block")
    policy("C: trial", state="report_only")
    assert decide(customers["alice"]) == AccessDecision(
        block=True,
        require_mfa=False,
        applied=("A: block", "B: require MFA"),
        report_only=(("C: trial", "mfa"),),
    )


def test_a_policy_applies_only_when_every_condition_holds(
    customers: dict[str, User], in_a: None
) -> None:
    location = office()
    policy(
        "Everything",
        grant="block",
        excluded_customer_emails=["bob@example.com"],
        all_apps=False,
        client_ids=[APP],
        risk_levels=["high"],
        locations="selected",
        included_location_ids=[location.location_id],
    )
    alice, bob = customers["alice"], customers["bob"]
    assert decide(alice, address=OFFICE_V4, risk=RiskLevel.HIGH).block
    assert not decide(bob, address=OFFICE_V4, risk=RiskLevel.HIGH).block
    assert not decide(alice, client_id=OTHER_APP, address=OFFICE_V4, risk=RiskLevel.HIGH).block
    assert not decide(alice, address=OFFICE_V4, risk=RiskLevel.MEDIUM).block
    assert not decide(alice, address=ELSEWHERE_V4, risk=RiskLevel.HIGH).block


def test_other_tenants_policies_do_not_apply(
    customers: dict[str, User], tenant_b: Tenant, in_a: None
) -> None:
    with in_tenant(tenant_b):
        policy("Tenant B blocks", grant="block")
    assert decide(customers["alice"]) == AccessDecision()


def reads(captured: CaptureQueriesContext) -> list[str]:
    """The statements that read (django-tenants' search_path switch aside)."""
    return [
        query["sql"] for query in captured.captured_queries if query["sql"].startswith("SELECT")
    ]


def test_queries(customers: dict[str, User], in_a: None) -> None:
    alice = customers["alice"]
    with CaptureQueriesContext(connection) as none:
        decide(alice)
    assert len(reads(none)) == 1
    location = office()
    for number in range(5):
        policy(f"Policy {number}", excluded_location_ids=[location.location_id])
    policy("Other app", all_apps=False, client_ids=[OTHER_APP], locations="trusted")
    with CaptureQueriesContext(connection) as some:
        decision = decide(alice)
    # The policies with their locations' IDs, then the named locations: however many policies.
    assert len(reads(some)) == 2
    assert len(decision.applied) == 5
    for number in range(5):
        ConditionalAccessPolicy.objects.filter(name=f"Policy {number}").update(state="off")
    with CaptureQueriesContext(connection) as unneeded:
        decide(alice)
    # The only policy left is for another app: its location condition is never read.
    assert len(reads(unneeded)) == 1
