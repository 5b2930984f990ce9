"""Security state is shared by every worker process, on the embedded default too.

The server here runs as `make run` does by default: two granian worker processes and no
REDIS_URL, so the database is the only store they share. Each request goes over a new
connection (and several at once), so that both workers answer some of them: state kept in one
worker's memory would let the other accept what the first refused.
"""

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import jwt as pyjwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from apps import services as app_services
from protection import lockout
from protection.lockout import lockout_clear, lockouts_of
from protection.models import SignInProtection
from tenants.cache import PostgresCache
from tenants.schemas import in_tenant
from tests.factories.oidc import (
    OidcWorld,
    drop_world,
    is_sign_in_page,
    make_world,
    submit_sign_in,
)

pytestmark = pytest.mark.usefixtures("committed_db")

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CONCURRENCY = 8


@pytest.fixture(scope="module")
def world(
    embedded_default_server_url: str, django_db_blocker: pytest.FixtureRequest
) -> Iterator[OidcWorld]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        made = make_world(embedded_default_server_url, "shared")
    yield made
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        drop_world(made)


@pytest.fixture(scope="module")
def daemon_key(world: OidcWorld, django_db_blocker: pytest.FixtureRequest) -> rsa.RSAPrivateKey:
    """A key pair whose public half is the daemon app's certificate (private_key_jwt)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with django_db_blocker.unblock(), in_tenant(world.tenant):  # type: ignore[attr-defined]
        app_services.certificate_add(app=world.daemon, pem=public_pem, description="shared")
    return private


def assertion(
    world: OidcWorld, key: rsa.RSAPrivateKey, *, lifetime: int = 120, jti: str | None = None
) -> str:
    """A client assertion of the daemon app (RFC 7523 §3) that expires in `lifetime` seconds."""
    now = int(time.time())
    claims = {
        "iss": world.daemon.client_id,
        "sub": world.daemon.client_id,
        "aud": world.endpoint("token"),
        "jti": jti or uuid.uuid4().hex,
        "iat": now,
        "exp": now + lifetime,
    }
    return pyjwt.encode(claims, key, algorithm="RS256")


def token_request(
    world: OidcWorld, client_assertion: str, *, scope: str | None = None
) -> requests.Response:
    """A client credentials request authenticated by the assertion, over a new connection."""
    return requests.post(
        world.endpoint("token"),
        data={
            "grant_type": "client_credentials",
            "scope": scope or world.default_scope,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": client_assertion,
        },
        headers={"Connection": "close"},
        timeout=30,
    )


def statuses(world: OidcWorld, assertions: list[str], *, scope: str | None = None) -> list[int]:
    def send(client_assertion: str) -> int:
        return token_request(world, client_assertion, scope=scope).status_code

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(send, assertions))


def test_an_assertion_is_accepted_once_whichever_worker_answers(
    world: OidcWorld, daemon_key: rsa.RSAPrivateKey
) -> None:
    replayed = assertion(world, daemon_key)
    answers = statuses(world, [replayed] * 24)
    assert sorted(answers) == [200] + [401] * 23
    refused = token_request(world, replayed)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


def test_a_flood_of_other_assertions_does_not_make_an_old_one_usable_again(
    world: OidcWorld, daemon_key: rsa.RSAPrivateKey
) -> None:
    old = assertion(world, daemon_key, lifetime=300)
    assert token_request(world, old).status_code == 200
    # More than a per-process memory of a few hundred entries holds, on each worker: requests
    # whose client authenticates (and whose unknown scope then makes them cheap to answer).
    flood = [assertion(world, daemon_key, lifetime=300) for _ in range(700)]
    assert set(statuses(world, flood, scope="api://nothing/.default")) == {400}
    assert statuses(world, [old] * 16) == [401] * 16


@pytest.mark.parametrize(
    ("lifetime", "status"),
    [
        (10 * 60, 200),  # what MSAL sends: ten minutes
        (16 * 60, 401),
        (10 * 365 * 24 * 3600, 401),  # ten years
    ],
)
def test_an_assertion_may_not_expire_more_than_ten_minutes_ahead(
    world: OidcWorld, daemon_key: rsa.RSAPrivateKey, lifetime: int, status: int
) -> None:
    response = token_request(world, assertion(world, daemon_key, lifetime=lifetime))
    assert response.status_code == status, response.text
    if status == 401:
        assert response.json()["error"] == "invalid_client"


def test_failed_sign_ins_of_one_account_are_counted_across_workers(
    world: OidcWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Smart lockout (protection/lockout.py) counts an account's failed passwords in the shared
    cache: counted per worker, each worker would let the threshold's worth of guesses through,
    and a lockout set by one would not hold on the other."""
    # The server's cache (no REDIS_URL) is the PostgreSQL one: read the lockout there.
    monkeypatch.setattr(
        lockout, "cache", PostgresCache("", {"KEY_FUNCTION": "django_tenants.cache.make_key"})
    )
    with in_tenant(world.tenant):
        # The request limits are not what this test is about (the flood before it came from
        # this same address): a saved row is held to its own, so they are set out of the way.
        SignInProtection.objects.create(
            lockout_threshold=4,
            requests_per_second_per_address=10000,
            requests_per_second_per_tenant=100000,
        )
    browser = requests.Session()
    page = browser.get(
        world.endpoint("authorize"),
        params={
            "client_id": world.web.client_id,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": "https://web.example.com/callback",
        },
        timeout=10,
    )
    assert is_sign_in_page(page)

    def attempt(password: str) -> requests.Response:
        # A new connection each time (the session's cookie and CSRF token go along).
        fresh = requests.Session()
        fresh.cookies.update(browser.cookies)
        fresh.headers["Connection"] = "close"
        return submit_sign_in(fresh, page, world.customer_email, password)

    try:
        with ThreadPoolExecutor(4) as pool:
            wrong = list(pool.map(attempt, [f"wrong-{n}" for n in range(6)]))
            # The right password, after the fourth failure, on whichever worker answers.
            right = list(pool.map(attempt, [world.customer_password] * 3))
        assert all("are not correct" in answer.text for answer in wrong + right)
        with in_tenant(world.tenant):
            [locked] = lockouts_of(email=world.customer_email)
        assert locked.repeat == 1  # one failure locked, however many workers counted
    finally:
        with in_tenant(world.tenant):
            lockout_clear(email=world.customer_email)
            SignInProtection.objects.all().delete()
