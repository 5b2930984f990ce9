"""A tenant for the management API's tests: daemon apps holding management roles, committed,
behind the live server; tokens come from the tenant's real token endpoint."""

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connections

from apps import services as app_services
from apps.management_api import MANAGEMENT_API_CLIENT_ID, MANAGEMENT_API_URI, MANAGEMENT_ROLES
from apps.models import AppRegistration, AppRole, Platform
from tenants import services as tenant_services
from tenants.models import AuditEntry, Tenant
from tenants.schemas import in_tenant, use_public_schema
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.oidc import submit_sign_in

ALL_ROLES = frozenset(role.value for role in MANAGEMENT_ROLES)
WEB_REDIRECT = "https://app.example.com/callback"
ALL = "ALL"
NONE = "NONE"


@dataclass
class ManagementWorld:
    base_url: str
    tenant: Tenant
    # Keyed by a role's value, ALL (every role) or NONE (consented to no management role).
    credentials: dict[str, tuple[str, str]]
    web: AppRegistration
    web_secret: str
    customer_email: str
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/{self.tenant.domain_name}/api/v1"

    def url(self, path: str) -> str:
        return f"{self.api_url}/{path.lstrip('/')}"

    def token(self, holder: str = ALL) -> str:
        """An app-only token of the app holding `holder` (a role, ALL or NONE), remembered."""
        if holder not in self._tokens:
            client_id, secret = self.credentials[holder]
            response = requests.post(
                f"{self.base_url}/{self.tenant.domain_name}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "scope": f"{MANAGEMENT_API_URI}/.default",
                    "client_id": client_id,
                    "client_secret": secret,
                },
                timeout=10,
            )
            response.raise_for_status()
            self._tokens[holder] = response.json()["access_token"]
        return self._tokens[holder]

    def headers(self, holder: str = ALL) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(holder)}"}


def daemon_with_roles(name: str, roles: Iterable[str]) -> tuple[AppRegistration, str]:
    """A daemon app consented to these management roles (call in the tenant's schema)."""
    app = app_services.app_register(name=name, platform=Platform.DAEMON)
    management_roles = AppRole.objects.filter(
        app__client_id=MANAGEMENT_API_CLIENT_ID, value__in=list(roles)
    )
    for role in management_roles:
        app_services.api_permission_add(client=app, app_role=role)
    app_services.admin_consent_grant(client=app)
    _secret, value = app_services.client_secret_add(app=app, description="test", lifetime_days=90)
    return app, value


def make_management_world(base_url: str, prefix: str = "mgmt") -> ManagementWorld:
    tenant = tenant_services.tenant_create(
        display_name=f"Management {prefix}",
        domain_name=f"{prefix}-{uuid.uuid4().hex[:8]}",
        country="NL",
        creator=None,
    )
    credentials: dict[str, tuple[str, str]] = {}
    with in_tenant(tenant):
        for holder, roles in [
            (ALL, ALL_ROLES),
            (NONE, frozenset[str]()),
            *[(role, frozenset({role})) for role in sorted(ALL_ROLES)],
        ]:
            app, secret = daemon_with_roles(f"Automation {holder}", roles)
            credentials[holder] = (app.client_id, secret)
        web = app_services.app_register(
            name="Customer app", platform=Platform.WEB, redirect_uris=[WEB_REDIRECT]
        )
        _secret, web_secret = app_services.client_secret_add(
            app=web, description="test", lifetime_days=90
        )
    customer_email = f"customer-{uuid.uuid4().hex[:6]}@example.com"
    make_customer(tenant, customer_email)
    use_public_schema()
    return ManagementWorld(
        base_url=base_url,
        tenant=tenant,
        credentials=credentials,
        web=web,
        web_secret=web_secret,
        customer_email=customer_email,
    )


def customer_access_token(world: ManagementWorld) -> str:
    """A customer's own access token of the world's tenant, through the real code flow on
    the live server."""
    browser = requests.Session()
    tenant_url = f"{world.base_url}/{world.tenant.domain_name}"
    authorize = (
        f"{tenant_url}/oauth2/v2.0/authorize?client_id={world.web.client_id}"
        f"&response_type=code&scope=openid&redirect_uri={WEB_REDIRECT}"
    )
    page = browser.get(authorize, allow_redirects=False)
    posted = submit_sign_in(browser, page, world.customer_email, PASSWORD)
    answer = posted
    if posted.headers["Location"].startswith("/"):
        answer = browser.get(world.base_url + posted.headers["Location"], allow_redirects=False)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    response = requests.post(
        f"{tenant_url}/oauth2/v2.0/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT},
        auth=(world.web.client_id, world.web_secret),
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def management_world(
    live_server_url: str, django_db_blocker: pytest.FixtureRequest
) -> Iterator[ManagementWorld]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        world = make_management_world(live_server_url)
    yield world
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        tenant = Tenant.objects.get(pk=world.tenant.pk)
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
        tenant.delete(force_drop=True)
        connections.close_all()


@pytest.fixture(scope="session")
def other_management_world(
    live_server_url: str, django_db_blocker: pytest.FixtureRequest
) -> Iterator[ManagementWorld]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        world = make_management_world(live_server_url, "mgmt-other")
    yield world
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        tenant = Tenant.objects.get(pk=world.tenant.pk)
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
        tenant.delete(force_drop=True)
        connections.close_all()


@pytest.fixture(scope="session")
def fuzzed_management_world(
    live_server_url: str, django_db_blocker: pytest.FixtureRequest
) -> Iterator[ManagementWorld]:
    """schemathesis's own tenant: whatever its calls create, change or delete (policies, keys,
    limits) touches no other test's tenant."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        world = make_management_world(live_server_url, "mgmt-fuzz")
    yield world
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        tenant = Tenant.objects.get(pk=world.tenant.pk)
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
        tenant.delete(force_drop=True)
        connections.close_all()
