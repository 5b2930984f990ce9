"""Request limits on a tenant's authentication endpoints (protection/limits.py): Entra's 20
requests a second per address and 200 per tenant, answered 429 with Retry-After.

The clock is held on one second (`protection.limits._now`) so that a burst lands in one fixed
window however slowly this machine answers; everything else is the real stack, the real
shared cache (Redis when REDIS_URL is set; the PostgreSQL table where a test says so)."""

import json
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.http import HttpResponse
from django.template import Template
from django.test import Client, override_settings
from django.test.signals import template_rendered

from protection import limits
from protection.models import SignInProtection
from protection.selectors import sign_in_protection_forget
from tenants import errors
from tenants import selectors as tenant_selectors
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.apps.test_wsgi_fast_path import FAST, Daemon, basic, call, daemon, environ

__all__ = ["daemon"]  # the fast path's fixture, used below

SECOND = 1_800_000_000.25
ATTACKER = "192.0.2.10"
OTHER = "198.51.100.7"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The limits' clock, held on one second until a test moves it."""
    now = [SECOND]
    monkeypatch.setattr(limits, "_now", lambda: now[0])
    return now


def protect(tenant: Tenant, *, per_address: int = 20, per_tenant: int = 200) -> None:
    """Save the tenant's own sign-in protection (Entra's figures unless given)."""
    with in_tenant(tenant):
        SignInProtection.objects.update_or_create(
            singleton=True,
            defaults={
                "requests_per_second_per_address": per_address,
                "requests_per_second_per_tenant": per_tenant,
            },
        )


def sign_in_page(client: Client, tenant: Tenant, address: str) -> int:
    return client.get(f"/{tenant.domain_name}/account/login/", REMOTE_ADDR=address).status_code


def token_post(client: Client, tenant: Tenant, address: str) -> tuple[int, dict[str, str], str]:
    """A code exchange with a code that never was: the token endpoint answers it through tenant
    routing's shortcut (400 invalid_grant / 401), unless the limits refuse it first."""
    response = client.post(
        f"/{tenant.domain_name}/oauth2/v2.0/token",
        {"grant_type": "authorization_code", "code": "nothing", "client_id": "nobody"},
        REMOTE_ADDR=address,
    )
    return response.status_code, dict(response.headers), response.content.decode()


def test_the_21st_request_in_a_second_from_one_address_gets_the_branded_429_page(
    tenant_a: Tenant, clock: list[float]
) -> None:
    protect(tenant_a)  # the model's defaults: 20 and 200
    client = Client()
    assert [sign_in_page(client, tenant_a, ATTACKER) for _ in range(20)] == [200] * 20
    refused = client.get(
        f"/{tenant_a.domain_name}/account/login/",
        REMOTE_ADDR=ATTACKER,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert "no-store" in refused["Cache-Control"]
    assert "Content-Security-Policy" in refused
    page = refused.content.decode()
    assert "Too many requests" in page
    assert "Tenant A" in page  # the tenant's branding: its name on the card
    # Another address in the same second, and the same address in the next, go on.
    assert sign_in_page(client, tenant_a, OTHER) == 200
    clock[0] += 1
    assert sign_in_page(client, tenant_a, ATTACKER) == 200


@pytest.fixture
def remembered_for_seconds() -> Iterator[None]:
    """Each process remembers its tenants, and the 429 pages it answers, for 5 seconds, as
    deployed (the test settings remember nothing)."""
    with override_settings(CIAM_TENANT_CACHE_SECONDS=5):
        yield
    errors._refusal_pages.clear()
    tenant_selectors._tenant_cache.clear()


@pytest.mark.usefixtures("remembered_for_seconds")
def test_a_flood_is_answered_a_429_page_rendered_once_per_tenant_and_language(
    tenant_a: Tenant, tenant_b: Tenant, clock: list[float]
) -> None:
    protect(tenant_a, per_address=1)
    protect(tenant_b, per_address=1)
    client = Client()
    assert sign_in_page(client, tenant_a, ATTACKER) == 200
    assert sign_in_page(client, tenant_b, ATTACKER) == 200
    rendered: list[str] = []

    def record(sender: object, template: Template, **kwargs: object) -> None:
        rendered.append(str(template.name))

    def refused(tenant: Tenant, language: str) -> HttpResponse:
        url = f"/{tenant.domain_name}/account/login/"
        response: HttpResponse = client.get(
            url, REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 429
        assert response["Retry-After"] == "1"
        assert "no-store" in response["Cache-Control"]
        assert "Content-Security-Policy" in response
        return response

    template_rendered.connect(record)
    try:
        english = [refused(tenant_a, "en") for _ in range(5)]
        french = [refused(tenant_a, "fr") for _ in range(3)]
        other_tenant = refused(tenant_b, "en")
    finally:
        template_rendered.disconnect(record)
    assert rendered.count("errors/page.html") == 3  # tenant A in en and fr, tenant B in en
    assert len({page.content for page in english}) == len({page.content for page in french}) == 1
    page = english[0].content.decode()
    assert "Tenant A" in page
    assert "Too many requests" in page
    assert "Tenant A" in french[0].content.decode()
    assert french[0].content != english[0].content
    assert "Tenant B" in other_tenant.content.decode()


def test_the_token_endpoint_is_limited_through_the_routing_shortcut_with_a_json_429(
    tenant_a: Tenant, clock: list[float]
) -> None:
    protect(tenant_a)
    client = Client()
    answers = [token_post(client, tenant_a, ATTACKER)[0] for _ in range(20)]
    assert 429 not in answers
    status, headers, body = token_post(client, tenant_a, ATTACKER)
    assert status == 429
    assert headers["Retry-After"] == "1"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "too_many_requests"
    assert json.loads(body)["error_description"]


def test_the_client_credentials_fast_path_is_limited_too(
    tenant_a: Tenant, daemon: Daemon, clock: list[float]
) -> None:
    protect(tenant_a)
    body = f"grant_type=client_credentials&scope={daemon.scope}".encode()

    def post() -> tuple[str, dict[str, str], bytes, str]:
        return call(
            environ(daemon.path, body, HTTP_AUTHORIZATION=daemon.basic, REMOTE_ADDR=ATTACKER)
        )

    granted = [post() for _ in range(20)]
    assert {(status, path) for status, _h, _b, path in granted} == {("200 OK", FAST)}
    status, headers, answer, path = post()
    assert (status, path) == ("429 Too Many Requests", FAST)
    assert headers["Retry-After"] == "1"
    assert json.loads(answer)["error"] == "too_many_requests"
    # The same limit counts requests of both paths: a wrong secret is counted as well.
    wrong = environ(
        daemon.path, body, HTTP_AUTHORIZATION=basic(daemon.client_id, "x"), REMOTE_ADDR=OTHER
    )
    assert call(wrong)[0] == "401 Unauthorized"


def test_the_tenant_limit_counts_every_address_and_no_other_tenant(
    tenant_a: Tenant, tenant_b: Tenant, clock: list[float]
) -> None:
    protect(tenant_a, per_address=1000, per_tenant=30)
    protect(tenant_b, per_address=1000, per_tenant=30)
    client = Client()
    addresses = [f"203.0.113.{n}" for n in range(1, 32)]
    answers = [token_post(client, tenant_a, address)[0] for address in addresses]
    assert 429 not in answers[:30]
    assert answers[30] == 429
    # Tenant B's second is its own.
    assert [token_post(client, tenant_b, address)[0] for address in addresses[:30]].count(429) == 0


def test_requests_refused_for_their_address_do_not_spend_the_tenants_allowance(
    tenant_a: Tenant, clock: list[float]
) -> None:
    protect(tenant_a, per_address=5, per_tenant=10)
    client = Client()
    flood = [token_post(client, tenant_a, ATTACKER)[0] for _ in range(50)]
    assert flood.count(429) == 45
    others = [token_post(client, tenant_a, f"203.0.113.{n}")[0] for n in range(1, 6)]
    assert 429 not in others


def test_pages_that_are_not_authentication_endpoints_are_not_counted(
    tenant_a: Tenant, clock: list[float]
) -> None:
    protect(tenant_a, per_address=3)
    client = Client()
    discovery = f"/{tenant_a.domain_name}/v2.0/.well-known/openid-configuration"
    jwks = f"/{tenant_a.domain_name}/discovery/v2.0/keys"
    for path in (discovery, jwks):
        assert {client.get(path, REMOTE_ADDR=ATTACKER).status_code for _ in range(10)} == {200}
    assert [sign_in_page(client, tenant_a, ATTACKER) for _ in range(4)] == [200, 200, 200, 429]


def test_the_saved_limits_hold_and_a_tenant_without_a_row_has_entras(
    tenant_a: Tenant, clock: list[float]
) -> None:
    with in_tenant(tenant_a), override_settings(CIAM_REQUEST_LIMITS_UNSAVED=None):
        assert limits.tenant_limits() == (20, 200)
    protect(tenant_a, per_address=7, per_tenant=70)
    with in_tenant(tenant_a):
        assert limits.tenant_limits() == (7, 70)


def test_the_tenants_limits_are_remembered_per_process_for_a_few_seconds(
    tenant_a: Tenant,
) -> None:
    protect(tenant_a, per_address=7)
    sign_in_protection_forget()
    with override_settings(CIAM_PROTECTION_CACHE_SECONDS=5), in_tenant(tenant_a):
        assert limits.tenant_limits()[0] == 7
        protect(tenant_a, per_address=9)
        assert limits.tenant_limits()[0] == 7  # remembered
        sign_in_protection_forget()
        assert limits.tenant_limits()[0] == 9
    sign_in_protection_forget()


def test_the_cache_holds_no_client_address(tenant_a: Tenant, clock: list[float]) -> None:
    backend = caches["default"]
    if not hasattr(backend, "_cache"):
        pytest.skip("needs REDIS_URL: the keys are read from Redis")
    protect(tenant_a)
    sign_in_page(Client(), tenant_a, ATTACKER)
    keys = [key.decode() for key in backend._cache.get_client().keys("*protection:rps*")]
    assert keys
    assert not [key for key in keys if ATTACKER in key]


@pytest.fixture
def postgres_cache(db: None) -> Iterator[None]:
    """The cache a deployment without Redis has: the PostgreSQL table (tenants/cache.py)."""
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "tenants.cache.PostgresCache",
                "KEY_FUNCTION": "django_tenants.cache.make_key",
            }
        }
    ):
        caches["default"].clear()
        yield


@pytest.mark.usefixtures("postgres_cache")
def test_without_redis_the_limits_count_in_the_postgresql_cache(
    tenant_a: Tenant, clock: list[float]
) -> None:
    protect(tenant_a)
    client = Client()
    answers = [token_post(client, tenant_a, ATTACKER)[0] for _ in range(21)]
    assert 429 not in answers[:20]
    assert answers[20] == 429
    assert token_post(client, tenant_a, OTHER)[0] != 429


def test_a_cache_that_does_not_answer_lets_requests_through(
    tenant_a: Tenant, clock: list[float]
) -> None:
    if not hasattr(caches["default"], "_cache"):
        pytest.skip("needs REDIS_URL: a Redis that does not answer")
    protect(tenant_a, per_address=1)
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        }
    }
    with override_settings(CACHES=unreachable):
        client = Client()
        assert [token_post(client, tenant_a, ATTACKER)[0] for _ in range(3)].count(429) == 0
