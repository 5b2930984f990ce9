"""Smart lockout in the customer's password sign-in (journey/adapters.py): a locked account is
answered as a wrong password, the customer is told by email, and an attacker elsewhere cannot
lock the customer out of the places they sign in from."""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from protection import lockout
from protection.lockout import DEVICE_COOKIE, SourceKind, lockouts_of
from protection.models import SignInProtection
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_base_url
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld

Capture = Callable[..., Any]
EMAIL = "grace@example.com"
HOME = "198.51.100.7"
WRONG = "are not correct"
TOO_MANY = "Too many failed"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def login_url(tenant: Tenant) -> str:
    return f"/{tenant.domain_name}/account/login/"


def sign_in(client: Client, tenant: Tenant, password: str, email: str = EMAIL) -> Any:
    return client.post(login_url(tenant), {"login": email, "password": password})


def signed_in(response: Any, tenant: Tenant) -> bool:
    return bool(response.status_code == 302 and response["Location"] == f"/{tenant.domain_name}/")


def at_home(tenant: Tenant) -> Client:
    """The customer's own browser at home, where they signed in before (then signed out)."""
    browser = Client(REMOTE_ADDR=HOME)
    assert signed_in(sign_in(browser, tenant, PASSWORD), tenant)
    browser.post(f"/{tenant.domain_name}/account/logout/")
    return browser


def guesses(tenant: Tenant, addresses: list[str], each: int, email: str = EMAIL) -> list[str]:
    """Wrong passwords, `each` from every address (a new browser per address)."""
    answers = []
    for address in addresses:
        bot = Client(REMOTE_ADDR=address)
        for n in range(each):
            answers.append(sign_in(bot, tenant, f"guess-{n}-{address}", email).content.decode())
    return answers


def botnet(count: int) -> list[str]:
    return [f"10.{n // 250}.{n % 250}.1" for n in range(count)]


def page(response: Any, email: str = EMAIL) -> str:
    """The answer's page with its CSRF token and the address typed blanked."""
    return _CSRF.sub("csrf", response.content.decode()).replace(email, "EMAIL")


@pytest.fixture
def customer(tenant_a: Tenant) -> User:
    return make_customer(tenant_a, EMAIL)


def test_ten_wrong_passwords_from_elsewhere_lock_elsewhere_only(
    tenant_a: Tenant, customer: User, django_capture_on_commit_callbacks: Capture
) -> None:
    home = at_home(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        answers = guesses(tenant_a, botnet(10), 1)
    assert all(WRONG in answer for answer in answers)
    with in_tenant(tenant_a):
        [locked] = lockouts_of(email=EMAIL)
    assert (locked.kind, locked.seconds) == (SourceKind.UNFAMILIAR, 60)
    # The right password from a place the customer never used is refused as a wrong one ...
    elsewhere = sign_in(Client(REMOTE_ADDR="203.0.113.200"), tenant_a, PASSWORD)
    assert elsewhere.status_code == 200
    assert WRONG in elsewhere.content.decode()
    # ... and at home it signs in.
    assert signed_in(sign_in(home, tenant_a, PASSWORD), tenant_a)


def test_a_locked_account_is_answered_exactly_as_a_wrong_password(
    tenant_a: Tenant, customer: User
) -> None:
    with in_tenant(tenant_a):
        SignInProtection.objects.create(lockout_threshold=3)
    wrong = sign_in(Client(REMOTE_ADDR="203.0.113.1"), tenant_a, "not-it")
    unknown = sign_in(Client(REMOTE_ADDR="203.0.113.2"), tenant_a, "not-it", "nobody@example.com")
    guesses(tenant_a, ["203.0.113.3"], 3)
    locked_right = sign_in(Client(REMOTE_ADDR="203.0.113.4"), tenant_a, PASSWORD)
    locked_wrong = sign_in(Client(REMOTE_ADDR="203.0.113.5"), tenant_a, "not-it")
    assert {wrong.status_code, unknown.status_code, locked_right.status_code} == {200}
    assert locked_wrong.status_code == 200
    assert page(wrong) == page(locked_right) == page(locked_wrong)
    assert page(unknown, "nobody@example.com") == page(wrong)
    assert wrong.cookies.keys() == locked_right.cookies.keys()
    assert WRONG in page(wrong)


def test_each_lockout_of_a_repeat_is_twice_as_long(
    tenant_a: Tenant, customer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_800_000_000.0]
    monkeypatch.setattr(lockout, "_now", lambda: now[0])
    lengths = []
    for round_ in range(3):
        guesses(tenant_a, [f"10.9.{round_}.{n}" for n in range(10)], 1)
        with in_tenant(tenant_a):
            [locked] = lockouts_of(email=EMAIL)
        lengths.append(locked.seconds)
        now[0] += locked.seconds + 1
    assert lengths == [60, 120, 240]


def test_the_customer_is_emailed_once_and_nobody_else(
    tenant_a: Tenant,
    customer: User,
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1_800_000_000.0]
    monkeypatch.setattr(lockout, "_now", lambda: now[0])
    with django_capture_on_commit_callbacks(execute=True):
        guesses(tenant_a, botnet(10), 1)
        guesses(tenant_a, botnet(10), 1, email="nobody@example.com")
    [notice] = mail.outbox
    assert notice.to == [EMAIL]
    assert notice.subject == "Your Tenant A account is locked for a while"
    assert "blocked for 1 minute" in notice.body
    assert "Where you signed in before, you can still sign in now." in notice.body
    assert f"{tenant_base_url(tenant_a)}/account/password/reset/" in notice.body
    html = next(content for content, kind in notice.alternatives if kind == "text/html")
    assert "Your account is locked for a while" in html
    # A second lockout within the hour sends nothing more.
    now[0] += 61
    with django_capture_on_commit_callbacks(execute=True):
        guesses(tenant_a, [f"10.8.0.{n}" for n in range(10)], 1)
    with in_tenant(tenant_a):
        assert lockouts_of(email=EMAIL)[0].repeat == 2
    assert len(mail.outbox) == 1


def test_a_thousand_wrong_passwords_from_one_address_and_the_customer_still_signs_in(
    tenant_a: Tenant, customer: User, django_capture_on_commit_callbacks: Capture
) -> None:
    home = at_home(tenant_a)
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    statuses: dict[str, int] = {}
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(1000):
            answer = sign_in(attacker, tenant_a, f"guess-{n}")
            text = answer.content.decode() if answer.status_code == 200 else ""
            kind = WRONG if WRONG in text else TOO_MANY if TOO_MANY in text else answer.status_code
            statuses[str(kind)] = statuses.get(str(kind), 0) + 1
    # allauth's per-address limits hold the attacker: 10 guesses checked a minute, then
    # "too many attempts", then 429 for the page itself (30 posts a minute).
    assert statuses == {WRONG: 10, TOO_MANY: 20, "429": 970}
    assert not signed_in(sign_in(attacker, tenant_a, PASSWORD), tenant_a)
    assert signed_in(sign_in(home, tenant_a, PASSWORD), tenant_a)


def test_wrong_passwords_from_many_addresses_and_the_customer_still_signs_in(
    tenant_a: Tenant, customer: User, django_capture_on_commit_callbacks: Capture
) -> None:
    """The attack smart lockout is for: every address stays under allauth's per-address
    limit, so only the account's count stops it (250 guesses: the same holds for more)."""
    home = at_home(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        answers = guesses(tenant_a, botnet(50), 5)
    assert len(answers) == 250
    assert all(WRONG in answer for answer in answers)
    with in_tenant(tenant_a):
        [locked] = lockouts_of(email=EMAIL)
    assert locked.kind == SourceKind.UNFAMILIAR
    # Not a single guess after the tenth was checked: the right one is refused too.
    late = sign_in(Client(REMOTE_ADDR="10.99.0.1"), tenant_a, PASSWORD)
    assert WRONG in late.content.decode()
    assert signed_in(sign_in(home, tenant_a, PASSWORD), tenant_a)


def test_the_device_cookie_lets_the_customer_in_from_a_new_network(
    flow_world: FlowWorld,
) -> None:
    """Signed in through an app (the answer goes straight back to it, `continue_to_app`),
    the browser keeps its device cookie; with it, a new address is a familiar place."""
    tenant = flow_world.tenant
    make_customer(tenant, EMAIL)
    laptop = Client(REMOTE_ADDR=HOME)
    laptop.get(authorize_url(flow_world))
    back = laptop.post(
        login_url(tenant), {"login": EMAIL, "password": PASSWORD, "next": authorize_url(flow_world)}
    )
    assert back.status_code == 302
    assert back["Location"].startswith(FLOW_APP_REDIRECT)
    device = back.cookies[DEVICE_COOKIE]
    assert device["path"] == f"/{tenant.domain_name}/"
    laptop.post(f"/{tenant.domain_name}/account/logout/")

    guesses(tenant, botnet(10), 1)
    laptop.defaults["REMOTE_ADDR"] = "192.0.2.123"  # the same laptop at a café
    assert signed_in(sign_in(laptop, tenant, PASSWORD), tenant)
    stranger = Client(REMOTE_ADDR="192.0.2.124")
    assert not signed_in(sign_in(stranger, tenant, PASSWORD), tenant)


def test_a_password_reset_ends_the_lockout(
    tenant_a: Tenant, customer: User, django_capture_on_commit_callbacks: Capture
) -> None:
    guesses(tenant_a, botnet(10), 1)
    owner = Client(REMOTE_ADDR="192.0.2.200")
    with django_capture_on_commit_callbacks(execute=True):
        sent = owner.post(f"/{tenant_a.domain_name}/account/password/reset/", {"email": EMAIL})
    choose = owner.post(sent["Location"], {"code": last_code()})["Location"]
    new_password = "Another-Horse-43"
    reset = owner.post(choose, {"password1": new_password, "password2": new_password})
    assert reset.status_code == 302
    with in_tenant(tenant_a):
        assert lockouts_of(email=EMAIL) == []
    assert signed_in(sign_in(owner, tenant_a, new_password), tenant_a)
    assert urlsplit(reset["Location"]).path.startswith(f"/{tenant_a.domain_name}/")


def test_a_locked_attempt_counts_on_the_address_limit_whatever_its_password(
    tenant_a: Tenant, customer: User
) -> None:
    """Were the right password taken back from allauth's per-address count (as a right one is
    when nothing is locked), an attacker could tell it from a wrong one by the next answer."""
    guesses(tenant_a, botnet(10), 1)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    answers = [sign_in(attacker, tenant_a, f"guess-{n}").content.decode() for n in range(9)]
    answers.append(sign_in(attacker, tenant_a, PASSWORD).content.decode())
    assert all(WRONG in answer for answer in answers)
    assert TOO_MANY in sign_in(attacker, tenant_a, "guess-10").content.decode()
