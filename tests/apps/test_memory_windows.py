"""The per-process memories of tenants and of the sign-in path's lookups, switched on as in
production (the test settings switch them off): a change reaches the answers within the
documented window, and is never answered stale beyond it.

README ("a suspension, a removed secret or an edited flow reaches every node within 5 seconds").
A node other than the one that made a change learns of it from the change feed, which it reads
once per window (tenants/changes.py); the node that made it forgets a tenant at once, but may
answer from its lookups for the window too. Within the window the old answer is still given
here, which shows that the memory under test is really in use; after it, however long the
entries would otherwise live, the new one.

Instead of sleeping, the clock both memories read (time.monotonic) is moved forward.
"""

import time
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings

from apps import lookups
from apps import services as app_services
from apps.models import Platform
from tenants import changes
from tenants.models import Tenant, TenantStatus
from tenants.schemas import in_tenant
from tenants.selectors import tenant_cache_forget
from tenants.services import tenant_delete
from tests.factories.oidc import make_consented_daemon
from userflows import services as flow_services

WINDOW = 5  # seconds, as README promises and the production settings hold
REDIRECT = "https://shop.example/callback"


class Clock:
    """time.monotonic stopped when the test began, plus however far the test has moved it on:
    the time the test itself takes does not count against the window."""

    def __init__(self, real: Callable[[], float]) -> None:
        self.start = real()
        self.offset = 0.0

    def __call__(self) -> float:
        return self.start + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Memories on for the production window, on a clock the test moves; nothing remembered
    before or after."""
    clock = Clock(time.monotonic)
    monkeypatch.setattr(time, "monotonic", clock)
    # The change feed was last read now: this process reads it again one window from here, so
    # the window starts with the test (tenants/changes.py).
    monkeypatch.setattr(changes, "_last_read", clock())
    lookups.forget_all()
    tenant_cache_forget(tenant_a)
    with override_settings(CIAM_TENANT_CACHE_SECONDS=WINDOW, CIAM_LOOKUP_SECONDS=WINDOW):
        yield clock
    # Entries stamped on the moved clock would outlive their window on the real one.
    lookups.forget_all()
    tenant_cache_forget(tenant_a)


def discovery_status(tenant: Tenant) -> int:
    return Client().get(f"/{tenant.domain_name}/v2.0/.well-known/openid-configuration").status_code


def test_a_suspension_by_another_node_reaches_routing_within_the_window(
    tenant_a: Tenant, clock: Clock
) -> None:
    assert discovery_status(tenant_a) == 200
    # Another node suspends the tenant: the row changes, this node's memory is not told.
    Tenant.objects.filter(pk=tenant_a.pk).update(status=TenantStatus.SUSPENDED)
    clock.advance(WINDOW - 0.5)
    assert discovery_status(tenant_a) == 200
    clock.advance(1)
    assert discovery_status(tenant_a) == 404
    clock.advance(WINDOW * 3)
    assert discovery_status(tenant_a) == 404


def test_the_node_that_suspends_forgets_the_tenant_at_once(tenant_a: Tenant, clock: Clock) -> None:
    assert discovery_status(tenant_a) == 200
    tenant_delete(tenant=tenant_a, actor=None)
    assert discovery_status(tenant_a) == 404


def test_a_removed_secret_stops_working_within_the_window(tenant_a: Tenant, clock: Clock) -> None:
    daemon = make_consented_daemon(tenant_a)

    def token_status() -> int:
        return (
            Client()
            .post(
                f"/{tenant_a.domain_name}/oauth2/v2.0/token",
                {"grant_type": "client_credentials", "scope": daemon.scope},
                HTTP_AUTHORIZATION=daemon.basic,
            )
            .status_code
        )

    assert token_status() == 200
    with in_tenant(tenant_a):
        app_services.client_secret_remove(app=daemon.app, secret_id=daemon.secret_id)
    clock.advance(WINDOW - 0.5)
    assert token_status() == 200
    clock.advance(1)
    assert token_status() == 401
    clock.advance(WINDOW * 3)
    assert token_status() == 401


def test_an_edited_user_flow_reaches_the_hosted_pages_within_the_window(
    tenant_a: Tenant, clock: Clock
) -> None:
    with in_tenant(tenant_a):
        flow = flow_services.userflow_create(name="Shoppers")
        app = app_services.app_register(
            name="Shop", platform=Platform.WEB, redirect_uris=[REDIRECT]
        )
        flow_services.flow_apps_assign(flow=flow, apps=[app])
    query = urlencode(
        {
            "client_id": app.client_id,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": REDIRECT,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )

    def sign_up_offered() -> bool:
        """Whether the sign-in page the app's authorization request answers with offers to
        create an account (the flow's sign-up setting)."""
        page = Client().get(f"/{tenant_a.domain_name}/oauth2/v2.0/authorize?{query}")
        assert page.status_code == 200, page.content[:500]
        return "Create one" in page.text

    assert sign_up_offered()
    with in_tenant(tenant_a):
        flow_services.userflow_update(
            flow=flow, name=flow.name, sign_in_method=flow.sign_in_method, sign_up_allowed=False
        )
    clock.advance(WINDOW - 0.5)
    assert sign_up_offered()
    clock.advance(1)
    assert not sign_up_offered()
    clock.advance(WINDOW * 3)
    assert not sign_up_offered()
