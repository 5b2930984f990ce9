"""Password-spray detection (protection/risk.py): many accounts, few passwords each, from one
address or network; the source is first throttled (one password a second, its risk medium),
then refused password sign-ins (429, its risk high), while customers elsewhere sign in as usual
and those on its network within the rate. Real sign-in pages, real allauth, the real shared
cache."""

from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from protection import risk as risk_module
from protection.access import RiskLevel
from protection.risk import network_of, password_failure_record, sign_in_risk
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import PASSWORD, make_customer

ATTACKER = "192.0.2.10"
ATTACKERS_NEIGHBOUR = "192.0.2.99"
ELSEWHERE = "198.51.100.7"
SPRAYED = ("Winter2025!", "Summer2025!")
WRONG_PASSWORD = "are not correct"


@pytest.fixture
def accounts(tenant_a: Tenant) -> list[str]:
    """200 customers of tenant A, with the shared test password."""
    emails = [f"sprayed{n:03}@example.com" for n in range(200)]
    encoded = make_password(PASSWORD)
    with in_tenant(tenant_a):
        users = User.objects.bulk_create(User(email=email, password=encoded) for email in emails)
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
        )
    return emails


@pytest.fixture
def without_allauths_per_address_limit() -> Iterator[None]:
    """allauth's own limits per address (10 failed sign-ins a minute, 30 sign-in posts) stop
    one address by themselves; lifted, what stops the spray here is its detection. Its limit
    per account stays."""
    with override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "5/5m/key", "login": ""}):
        yield


def sign_in(client: Client, tenant: Tenant, email: str, password: str, address: str) -> int:
    response = client.post(
        f"/{tenant.domain_name}/account/login/",
        {"login": email, "password": password},
        REMOTE_ADDR=address,
    )
    if response.status_code == 200:
        assert WRONG_PASSWORD in response.content.decode()
    if response.status_code == 429:  # ours (allauth's own 429 has no Retry-After)
        assert int(response["Retry-After"]) > 0
    return response.status_code


def signed_in(client: Client, tenant: Tenant, address: str) -> bool:
    return client.get(f"/{tenant.domain_name}/", REMOTE_ADDR=address).status_code == 200


def risk(tenant: Tenant, email: str, address: str, **kwargs: bool) -> RiskLevel:
    with in_tenant(tenant):
        return sign_in_risk(RequestFactory().get("/", REMOTE_ADDR=address), email, **kwargs)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Spray detection's clock (`protection.risk._now`), held on one second until a test moves
    it: a throttled source's rate is counted in the clock's seconds, however slowly this
    machine answers."""
    now = [1_800_000_000.25]
    monkeypatch.setattr(risk_module, "_now", lambda: now[0])
    return now


@pytest.mark.usefixtures("without_allauths_per_address_limit")
def test_a_spray_of_200_accounts_by_2_passwords_from_one_address_is_detected_and_throttled(
    tenant_a: Tenant, accounts: list[str], clock: list[float]
) -> None:
    attacker = Client()
    attempts = iter((email, password) for password in SPRAYED for email in accounts)

    def spray(count: int) -> list[int]:
        return [sign_in(attacker, tenant_a, *next(attempts), ATTACKER) for _ in range(count)]

    # Ten accounts fail (CIAM_SPRAY_THROTTLE_ACCOUNTS): the address and its /24 are throttled
    # to one password a second, the rest of the second refused before any password is checked.
    assert spray(10) == [200] * 10
    assert spray(30) == [200] + [429] * 29
    assert risk(tenant_a, accounts[150], ATTACKER) == RiskLevel.MEDIUM
    # A customer on the attacker's network signs in within the rate (the next second).
    clock[0] += 1
    neighbour = Client()
    assert sign_in(neighbour, tenant_a, accounts[4], PASSWORD, ATTACKERS_NEIGHBOUR) == 302
    assert signed_in(neighbour, tenant_a, ATTACKERS_NEIGHBOUR)
    assert risk(tenant_a, accounts[4], ATTACKERS_NEIGHBOUR) == RiskLevel.MEDIUM
    # One wrong password a second gets through, until twenty accounts failed
    # (CIAM_SPRAY_ACCOUNTS_PER_ADDRESS): the address is marked, everything after refused.
    answers = []
    for _ in range(8):
        clock[0] += 1
        answers += spray(2)
    assert answers == [200, 429] * 8
    clock[0] += 1
    assert spray(1) == [200]  # the twentieth account
    clock[0] += 1
    assert spray(40) == [429] * 40
    # Refused before any password is checked: the right one of a sprayed account too.
    refused = attacker.post(
        f"/{tenant_a.domain_name}/account/login/",
        {"login": accounts[150], "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 429
    assert 3000 < int(refused["Retry-After"]) <= 3600
    assert "Too many sign-in attempts" in refused.content.decode()
    assert not signed_in(attacker, tenant_a, ATTACKER)
    assert risk(tenant_a, accounts[150], ATTACKER) == RiskLevel.HIGH

    # Meanwhile customers elsewhere sign in: one of the sprayed accounts, and another.
    customer = Client()
    assert sign_in(customer, tenant_a, accounts[3], PASSWORD, ELSEWHERE) == 302
    assert signed_in(customer, tenant_a, ELSEWHERE)
    make_customer(tenant_a, "unsprayed@example.com")
    other = Client()
    assert sign_in(other, tenant_a, "unsprayed@example.com", PASSWORD, ELSEWHERE) == 302
    assert risk(tenant_a, "unsprayed@example.com", ELSEWHERE) == RiskLevel.NONE
    # The attacker's neighbour on its /24 is throttled, not refused: 20 accounts do not mark a
    # network.
    clock[0] += 1
    assert sign_in(Client(), tenant_a, accounts[5], PASSWORD, ATTACKERS_NEIGHBOUR) == 302


def test_a_spray_spread_over_a_networks_addresses_marks_the_network(
    tenant_a: Tenant, tenant_b: Tenant, accounts: list[str], clock: list[float]
) -> None:
    """Each address stays under allauth's limit (on here) and under the address's thresholds;
    their /24 crosses the network's: throttled at 10 accounts, marked at 50."""
    attacker = Client()
    answers = []
    for n, email in enumerate(accounts[:80]):
        clock[0] += 1  # within the throttled network's rate
        address = f"203.0.113.{n // 4 + 1}"  # four accounts from each address
        answers.append(sign_in(attacker, tenant_a, email, SPRAYED[0], address))
    assert answers[:50] == [200] * 50
    assert answers[50:] == [429] * 30
    assert sign_in(Client(), tenant_a, accounts[0], PASSWORD, "203.0.113.250") == 429
    assert risk(tenant_a, accounts[0], "203.0.113.250") == RiskLevel.HIGH
    # The next network, and the same network at another tenant, are not marked.
    assert sign_in(Client(), tenant_a, accounts[1], PASSWORD, "203.0.114.1") == 302
    make_customer(tenant_b, "elsewhere@example.com")
    assert sign_in(Client(), tenant_b, "elsewhere@example.com", PASSWORD, "203.0.113.250") == 302


def test_a_throttled_network_is_allowed_one_password_a_second_across_its_addresses(
    tenant_a: Tenant, accounts: list[str], clock: list[float]
) -> None:
    """The rate is the network's, whichever of its addresses sends: a spray that moves to
    another address each attempt gets no more through; and what the rate lets through in a
    second, a customer's right password included, is a sign-in like any other."""
    for n, email in enumerate(accounts[:10]):  # one account from each of ten addresses
        assert sign_in(Client(), tenant_a, email, SPRAYED[0], f"203.0.113.{n + 1}") == 200
    assert risk(tenant_a, "anyone@example.com", "203.0.113.200") == RiskLevel.MEDIUM
    assert risk(tenant_a, "anyone@example.com", "203.0.114.1") == RiskLevel.NONE
    answers = [
        sign_in(Client(), tenant_a, email, SPRAYED[0], f"203.0.113.{n + 20}")
        for n, email in enumerate(accounts[10:20])
    ]
    assert answers == [200] + [429] * 9
    refused = Client().post(
        f"/{tenant_a.domain_name}/account/login/",
        {"login": accounts[30], "password": PASSWORD},
        REMOTE_ADDR="203.0.113.77",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (refused.status_code, refused["Retry-After"]) == (429, "1")
    assert "Too many sign-in attempts" in refused.content.decode()
    clock[0] += 1
    customer = Client()
    assert sign_in(customer, tenant_a, accounts[30], PASSWORD, "203.0.113.77") == 302
    assert signed_in(customer, tenant_a, "203.0.113.77")
    # Throttling lowers no threshold of smart lockout and spares other tenants.
    assert sign_in(Client(), tenant_a, accounts[31], PASSWORD, "203.0.114.1") == 302


def test_a_refused_password_costs_no_session_csrf_check_or_form(
    tenant_a: Tenant, accounts: list[str], clock: list[float]
) -> None:
    """The refusal comes right after the request guard (protection.risk.PasswordSprayMiddleware):
    a refused attempt reads no session and needs no CSRF token (it would be refused anyway),
    so the attack spends the refusal alone. Sign-ins let through still pass the CSRF check."""
    for n, email in enumerate(accounts[:10]):
        assert sign_in(Client(), tenant_a, email, SPRAYED[0], f"203.0.113.{n + 1}") == 200
    assert sign_in(Client(), tenant_a, accounts[10], SPRAYED[0], "203.0.113.50") == 200
    strict = Client(enforce_csrf_checks=True)
    with CaptureQueriesContext(connection) as captured:
        refused = strict.post(
            f"/{tenant_a.domain_name}/account/login/",
            {"login": accounts[11], "password": SPRAYED[0]},
            REMOTE_ADDR="203.0.113.51",
        )
    assert refused.status_code == 429
    # Tenant routing's, the request limits' and the page's branding's reads (which a web node
    # remembers for seconds, the tests not at all), and the sign-in log's one row: no session,
    # no account.
    statements = [
        query["sql"]
        for query in captured.captured_queries
        # The PostgreSQL cache's own transactions, nested in the test's.
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))
    ]
    read = (
        "tenants_tenant",
        "search_path",
        "protection_signinprotection",
        "branding_",
        "monitoring_signinevent",
        "ciam_cache",  # the shared cache's counters, when it is PostgreSQL's table
    )
    assert all(any(table in sql for table in read) for sql in statements), statements
    assert "sessionid" not in refused.cookies
    clock[0] += 1
    assert (
        strict.post(
            f"/{tenant_a.domain_name}/account/login/",
            {"login": accounts[11], "password": SPRAYED[0]},
            REMOTE_ADDR="203.0.113.51",
        ).status_code
        == 403
    )


def test_the_risk_of_a_sign_in_rises_with_the_failures_behind_it(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    factory = RequestFactory()
    email = "customer@example.com"

    def fail(address: str, account: str = email) -> None:
        with in_tenant(tenant_a):
            password_failure_record(request=factory.post("/", REMOTE_ADDR=address), email=account)

    assert risk(tenant_a, email, "198.51.100.1") == RiskLevel.NONE
    fail("198.51.100.1")  # a typo
    assert risk(tenant_a, email, "198.51.100.1") == RiskLevel.LOW
    # The account's failure, seen from another address: medium where the customer never
    # signed in from it before (smart lockout's familiarity, when the caller knows it).
    assert risk(tenant_a, email, "198.51.100.2") == RiskLevel.LOW
    assert risk(tenant_a, email, "198.51.100.2", familiar=True) == RiskLevel.LOW
    assert risk(tenant_a, email, "198.51.100.2", familiar=False) == RiskLevel.MEDIUM
    assert risk(tenant_a, "someone-else@example.com", "198.51.100.2") == RiskLevel.NONE
    for _ in range(4):
        fail("198.51.100.1")
    assert risk(tenant_a, email, "198.51.100.1") == RiskLevel.MEDIUM  # five on this account
    for n in range(3):
        fail("198.51.100.3", f"other{n}@example.com")
    assert risk(tenant_a, "fresh@example.com", "198.51.100.3") == RiskLevel.MEDIUM
    # Counted per tenant: tenant B saw none of it.
    assert risk(tenant_b, email, "198.51.100.1") == RiskLevel.NONE


def test_an_ipv6_client_is_its_64_and_an_ipv4_client_also_its_24() -> None:
    assert network_of("192.0.2.10") == "192.0.2.0/24"
    assert network_of("2001:db8:1:2::") == "2001:db8:1:2::/64"


def test_ipv6_addresses_of_one_64_spray_as_one_source(tenant_a: Tenant) -> None:
    factory = RequestFactory()
    with in_tenant(tenant_a), override_settings(CIAM_SPRAY_ACCOUNTS_PER_ADDRESS=3):
        for n in range(3):
            request = factory.post("/", REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
            password_failure_record(request=request, email=f"v6-{n}@example.com")
    assert risk(tenant_a, "anyone@example.com", "2001:db8:1:2:ffff::1") == RiskLevel.HIGH
    assert risk(tenant_a, "anyone@example.com", "2001:db8:1:3::1") == RiskLevel.NONE
