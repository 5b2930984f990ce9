"""The Prometheus metrics (monitoring/metrics.py) and their scrape (ciam_portal/metrics.py), read
through `/metrics` as Prometheus reads them, after real requests: the hosted pages, the token
endpoint's Django path and its WSGI fast path. (That a web node's worker processes are summed
is tested on a real server: tests/ciam_portal/test_serve.py.)"""

import ipaddress
import sys
import types
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from monitoring.metrics import FAMILIES, endpoint_family
from monitoring.reasons import Reason
from tests.accounts.test_signup_flow import authorize_url
from tests.apps.test_wsgi_fast_path import Daemon, call, daemon, environ  # noqa: F401
from tests.factories.flows import FlowWorld
from tests.monitoring.test_failure_reasons import (
    EMAIL,
    browser_at,
    code_of,
    post_password,
    shop,  # noqa: F401
    sign_in_page,
    token,
)


def scrape(client: Client | None = None, **headers: str) -> dict[tuple[str, tuple], float]:
    """Every sample of one scrape, by (name, sorted labels)."""
    answer = (client or Client()).get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.status_code
    assert answer["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.content.decode())
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/tenant-a/oauth2/v2.0/token", "token"),
        ("/tenant-a/oauth2/v2.0/authorize", "authorize"),
        ("/tenant-a/account/login/", "hosted_pages"),
        ("/tenant-a/account/login/code/confirm/", "hosted_pages"),
        ("/tenant-a/oauth2/v2.0/logout", "hosted_pages"),
        ("/tenant-a/", "hosted_pages"),
        ("/tenant-a/v2.0/.well-known/openid-configuration", "discovery"),
        ("/tenant-a/discovery/v2.0/keys", "discovery"),
        ("/tenant-a/oauth2/v2.0/userinfo", "userinfo"),
        ("/admin-center/tenants/", "admin_center"),
        (
            "/admin-center/tenants/6a3149a3-bb9d-48b4-8c93-b0510bff9281/api/v1/users",
            "management_api",
        ),
        ("/tenant-a/api/v1/users", "management_api"),
        ("/tenant-a/api/v1/me", "other"),
        ("/healthz", "health"),
        ("/health/live", "health"),
        ("/tenant-a/healthz", "health"),
        ("/static/ciam.css", "other"),
        ("/metrics", "other"),
        ("/tenant-a/oauth2/v2.0/revoke", "other"),
        ("/", "other"),
        ("/any-tenant/anything/at/all", "other"),
    ],
)
def test_each_path_is_one_family(path: str, family: str) -> None:
    assert family in FAMILIES
    assert endpoint_family(path) == family


def test_requests_are_counted_per_family_and_status_class_without_tenant_or_path(
    tenant_a: object,
) -> None:
    before = scrape()
    client = Client()
    for _ in range(3):
        assert client.get("/tenant-a/v2.0/.well-known/openid-configuration").status_code == 200
    assert client.get("/tenant-a/account/no-such-page/").status_code == 404
    after = scrape()
    requests = "ciam_http_requests_total"
    assert (
        value(after, requests, family="discovery", status="2xx")
        - value(before, requests, family="discovery", status="2xx")
        == 3
    )
    assert (
        value(after, requests, family="hosted_pages", status="4xx")
        - value(before, requests, family="hosted_pages", status="4xx")
        == 1
    )
    duration = "ciam_http_request_duration_seconds_count"
    assert (
        value(after, duration, family="discovery") - value(before, duration, family="discovery")
        == 3
    )
    # Low cardinality by construction: no label names a tenant, a path or an address.
    ours = [labels for name, labels in after if name.startswith("ciam_")]
    names = {name for labels in ours for name, _ in labels}
    assert names <= {"family", "status", "le", "kind", "result", "grant_type", "queue"}
    assert all("tenant-a" not in str(labels) for labels in ours)


def test_sign_ins_are_counted_by_kind_and_result_and_tokens_by_grant_type(shop: FlowWorld) -> None:  # noqa: F811
    before = scrape()
    client = browser_at()
    next_url = sign_in_page(client, authorize_url(shop))
    assert post_password(client, shop, next_url, password="not-it").status_code == 200
    code = code_of(post_password(client, shop, next_url))
    assert token(client, shop, grant_type="authorization_code", code=code).status_code == 200
    assert token(client, shop, grant_type="authorization_code", code=code).status_code == 400
    after = scrape()

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    sign_ins = "ciam_sign_ins_total"
    assert added(sign_ins, kind="interactive", result=Reason.WRONG_PASSWORD) == 1
    assert added(sign_ins, kind="interactive", result=Reason.SUCCESS) == 1
    assert added(sign_ins, kind="code_redemption", result=Reason.SUCCESS) == 1
    assert added(sign_ins, kind="code_redemption", result=Reason.CODE_INVALID) == 1
    # One token response: the code spent twice is refused.
    assert added("ciam_tokens_issued_total", grant_type="authorization_code") == 1
    assert EMAIL not in str(after)


def test_client_credentials_are_counted_on_the_fast_path_and_through_django(
    daemon: Daemon,  # noqa: F811
) -> None:
    before = scrape()
    body = f"grant_type=client_credentials&scope={daemon.scope}".encode()
    status, *_ = call(environ(daemon.path, body, HTTP_AUTHORIZATION=daemon.basic))
    assert status == "200 OK"
    wrong = call(environ(daemon.path, body, HTTP_AUTHORIZATION="Basic eDp5"))
    assert wrong[0] == "401 Unauthorized"
    # Through Django's test client (no WSGI entry): the token endpoint's lean path.
    answer = Client().post(
        daemon.path,
        {"grant_type": "client_credentials", "scope": daemon.scope},
        HTTP_AUTHORIZATION=daemon.basic,
    )
    assert answer.status_code == 200
    after = scrape()
    issued = "ciam_tokens_issued_total"
    assert (
        value(after, issued, grant_type="client_credentials")
        - value(before, issued, grant_type="client_credentials")
        == 2
    )
    requests = "ciam_http_requests_total"
    for status_class, count in (("2xx", 2), ("4xx", 1)):
        assert (
            value(after, requests, family="token", status=status_class)
            - value(before, requests, family="token", status=status_class)
            == count
        )


def test_the_scrape_is_closed_to_other_addresses_and_asks_the_token_when_one_is_set(
    db: None,
) -> None:
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 403
    # A forwarded header never opens it: the connection's own address decides.
    forwarded = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forwarded.get("/metrics").status_code == 403
    with override_settings(CIAM_METRICS_TOKEN="scrape-secret"):
        refused = Client().get("/metrics")
        assert refused.status_code == 401
        assert refused["WWW-Authenticate"].startswith("Bearer")
        assert (
            Client().get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        )
        scrape(Authorization="Bearer scrape-secret")
    with override_settings(
        CIAM_METRICS_NETWORKS=(ipaddress.ip_network("203.0.113.0/24"),),
        CIAM_METRICS_TOKEN="scrape-secret",
    ):
        scrape(Client(REMOTE_ADDR="203.0.113.9"), Authorization="Bearer scrape-secret")


@pytest.fixture
def queue() -> Iterator[tuple[redis.Redis, str]]:
    if not settings.REDIS_URL:
        pytest.skip("the Celery queue's depth is read from Redis; REDIS_URL is not set")
    client = redis.Redis.from_url(settings.REDIS_URL)
    name = f"ciam-test-queue-{uuid.uuid4().hex}"
    try:
        yield client, name
    finally:
        client.delete(name)
        client.close()


def test_the_celery_queue_depth_is_read_at_each_scrape(
    db: None, queue: tuple[redis.Redis, str]
) -> None:
    client, name = queue
    with override_settings(CELERY_TASK_DEFAULT_QUEUE=name):
        assert value(scrape(), "ciam_celery_queue_depth", queue=name) == 0
        client.rpush(name, "a", "b", "c")
        assert value(scrape(), "ciam_celery_queue_depth", queue=name) == 3


def test_without_redis_there_is_no_queue_depth(db: None) -> None:
    with override_settings(REDIS_URL=""):
        assert not any(name == "ciam_celery_queue_depth" for name, _ in scrape())


def test_the_outbox_backlog_is_read_when_the_outbox_exists(db: None) -> None:
    if "tenants.outbox" not in sys.modules:
        try:
            import tenants.outbox  # noqa: F401
        except ImportError:
            assert not any(name == "ciam_outbox_backlog" for name, _ in scrape())
    outbox = types.ModuleType("tenants.outbox")
    outbox.outbox_backlog = lambda: 7  # type: ignore[attr-defined]
    real = sys.modules.get("tenants.outbox")
    sys.modules["tenants.outbox"] = outbox
    try:
        assert value(scrape(), "ciam_outbox_backlog") == 7
    finally:
        if real is None:
            del sys.modules["tenants.outbox"]
        else:
            sys.modules["tenants.outbox"] = real
