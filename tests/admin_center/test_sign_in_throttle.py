"""Failed admin-center sign-ins are limited per address and per account, without letting an
attacker lock the operator out (admin_center/operators/throttle.py)."""

from django.core.cache import cache
from django.test import Client

from admin_center.operators.throttle import DEVICE_COOKIE
from tests.factories.accounts import PASSWORD, MakeOperator

SIGN_IN = "/admin-center/sign-in/"
ATTACKER = "203.0.113.66"
OPERATOR_HOME = "198.51.100.7"


def attempt(client: Client, email: str, password: str) -> int:
    return client.post(SIGN_IN, {"username": email, "password": password}).status_code


def signed_in(client: Client) -> bool:
    return client.get("/admin-center/").status_code == 200


def test_forty_wrong_passwords_then_the_right_one_from_one_address_does_not_get_in(
    operator_factory: MakeOperator,
) -> None:
    """The attack as reported: 40 guesses for one operator in a row, then the right password."""
    operator = operator_factory("ops@admins.example")
    attacker = Client(REMOTE_ADDR=ATTACKER)
    answers = [attempt(attacker, operator.email, f"guess-{n}") for n in range(40)]
    assert answers[:5] == [200] * 5  # "do not match"
    assert set(answers[5:]) == {429}
    response = attacker.post(SIGN_IN, {"username": operator.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert not signed_in(attacker)


def test_the_operator_still_gets_in_from_their_own_address(
    operator_factory: MakeOperator,
) -> None:
    operator = operator_factory("ops@admins.example")
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(10):
        attempt(attacker, operator.email, f"guess-{n}")
    assert attempt(attacker, operator.email, PASSWORD) == 429
    at_home = Client(REMOTE_ADDR=OPERATOR_HOME)
    assert attempt(at_home, operator.email, PASSWORD) == 302
    assert signed_in(at_home)


def test_one_address_cannot_spray_guesses_over_many_operators(
    operator_factory: MakeOperator,
) -> None:
    operators = [operator_factory() for _ in range(11)]
    attacker = Client(REMOTE_ADDR=ATTACKER)
    answers = [attempt(attacker, operator.email, "Spring2025!") for operator in operators]
    assert answers[:10] == [200] * 10
    assert answers[10] == 429
    # Other addresses are not held by that address's count.
    assert attempt(Client(REMOTE_ADDR=OPERATOR_HOME), operators[10].email, PASSWORD) == 302


def test_guesses_spread_over_many_addresses_stop_but_not_the_operators_own_browser(
    operator_factory: MakeOperator,
) -> None:
    operator = operator_factory("ops@admins.example")
    own_browser = Client(REMOTE_ADDR=OPERATOR_HOME)
    assert attempt(own_browser, operator.email, PASSWORD) == 302
    assert DEVICE_COOKIE in own_browser.cookies
    own_browser.post("/admin-center/sign-out/")

    # 5 guesses from each of 4 addresses: 20, the limit for browsers the operator never used.
    for host in range(4):
        bot = Client(REMOTE_ADDR=f"192.0.2.{host + 1}")
        assert {attempt(bot, operator.email, f"guess-{n}") for n in range(5)} == {200}
    fresh_bot = Client(REMOTE_ADDR="192.0.2.99")
    assert attempt(fresh_bot, operator.email, "guess-21") == 429
    assert attempt(fresh_bot, operator.email, PASSWORD) == 429
    # The browser the operator signed in with before is not held by the account's count.
    assert attempt(own_browser, operator.email, PASSWORD) == 302
    assert signed_in(own_browser)


def test_another_operators_device_cookie_does_not_lift_the_limit(
    operator_factory: MakeOperator,
) -> None:
    target = operator_factory("target@admins.example")
    attacker_account = operator_factory("attacker@admins.example")
    bot = Client(REMOTE_ADDR="192.0.2.50")
    assert attempt(bot, attacker_account.email, PASSWORD) == 302
    bot.post("/admin-center/sign-out/")
    for host in range(4):
        other = Client(REMOTE_ADDR=f"192.0.2.{host + 1}")
        for n in range(5):
            attempt(other, target.email, f"guess-{n}")
    assert attempt(bot, target.email, "guess") == 429
    bot.cookies[DEVICE_COOKIE] = "forged"
    assert attempt(bot, target.email, "guess") == 429


def test_a_successful_sign_in_takes_its_count_back_but_clears_no_failure(
    operator_factory: MakeOperator,
) -> None:
    """As allauth does for customers: a success is not counted, and it does not wipe the
    failures either (or an attacker who knows one account's password could reset the count
    between guesses)."""
    operator = operator_factory("ops@admins.example")
    client = Client(REMOTE_ADDR=OPERATOR_HOME)
    for n in range(4):
        assert attempt(client, operator.email, f"typo-{n}") == 200
    assert attempt(client, operator.email, PASSWORD) == 302
    client.post("/admin-center/sign-out/")
    assert attempt(client, operator.email, "typo-4") == 200  # the fifth failure, not the sixth
    assert attempt(client, operator.email, PASSWORD) == 429


def test_the_counts_live_in_djangos_cache(operator_factory: MakeOperator) -> None:
    """Every worker reads the same counts: they are in the cache (Redis or the database when
    configured), not in the process."""
    operator = operator_factory("ops@admins.example")
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(5):
        attempt(attacker, operator.email, f"guess-{n}")
    assert attempt(attacker, operator.email, PASSWORD) == 429
    cache.clear()
    assert attempt(attacker, operator.email, PASSWORD) == 302
