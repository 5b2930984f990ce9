"""The request limits hold across worker processes: the real server (granian, two workers, as
deployed) on the real Redis, a bounded burst over loopback, each request on a new connection so
that both workers answer some. Counted per process, each worker would let the limit through.

The burst is sent at the start of a second and must end within it, so that it falls in one
fixed window; a burst the machine could not send in time is sent again, at most three times."""

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings

from protection.models import SignInProtection
from tenants.schemas import in_tenant
from tests.factories.oidc import OidcWorld, drop_world, make_world

pytestmark = [
    pytest.mark.usefixtures("committed_db"),
    pytest.mark.skipif(not settings.REDIS_URL, reason="the real Redis: REDIS_URL"),
]

BURST = 40
CONCURRENCY = 8


@pytest.fixture(scope="module")
def world(live_server_url: str, django_db_blocker: pytest.FixtureRequest) -> Iterator[OidcWorld]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        made = make_world(live_server_url, "limits")
    yield made
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        drop_world(made)


def protect(world: OidcWorld, *, per_address: int, per_tenant: int) -> None:
    with in_tenant(world.tenant):
        SignInProtection.objects.update_or_create(
            singleton=True,
            defaults={
                "requests_per_second_per_address": per_address,
                "requests_per_second_per_tenant": per_tenant,
            },
        )


def requests_of_every_path(world: OidcWorld) -> list[Callable[[], requests.Response]]:
    """The burst: the client-credentials fast path at the WSGI entry, a code exchange through
    tenant routing's token shortcut, and the sign-in page through the whole middleware."""
    close = {"Connection": "close"}

    def fast_path() -> requests.Response:
        return requests.post(
            world.endpoint("token"),
            data={"grant_type": "client_credentials", "scope": world.default_scope},
            auth=(world.daemon.client_id, world.daemon_secret),
            headers=close,
            timeout=30,
        )

    def code_exchange() -> requests.Response:
        return requests.post(
            world.endpoint("token"),
            data={"grant_type": "authorization_code", "code": "nothing"},
            auth=(world.web.client_id, world.web_secret),
            headers=close,
            timeout=30,
        )

    def sign_in_page() -> requests.Response:
        return requests.get(
            f"{world.base_url}/{world.tenant.domain_name}/account/login/",
            headers=close,
            timeout=30,
        )

    kinds = [fast_path, code_exchange, sign_in_page]
    return [kinds[n % len(kinds)] for n in range(BURST)]


def burst_in_one_second(world: OidcWorld) -> list[requests.Response]:
    for _attempt in range(3):
        time.sleep(1 - time.time() % 1 + 0.01)  # the start of the next second
        started = time.time()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            answers = list(pool.map(lambda send: send(), requests_of_every_path(world)))
        if int(time.time()) == int(started):
            return answers
    pytest.fail("the machine could not send the burst within one second, three times")


def test_the_limit_per_address_holds_across_two_workers(world: OidcWorld) -> None:
    protect(world, per_address=10, per_tenant=10_000)
    answers = burst_in_one_second(world)
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(429) == BURST - 10, statuses
    assert set(statuses) - {429} <= {200, 400, 401}, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.headers["Retry-After"] == "1"


def test_the_limit_per_tenant_holds_across_two_workers(world: OidcWorld) -> None:
    protect(world, per_address=10_000, per_tenant=15)
    statuses = [answer.status_code for answer in burst_in_one_second(world)]
    assert statuses.count(429) == BURST - 15, statuses
