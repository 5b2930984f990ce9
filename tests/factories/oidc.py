"""An OpenID Provider world for protocol tests: a tenant with apps, a customer, committed."""

import base64
import html
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.db import connections

from apps import services as app_services
from apps.models import AppRegistration, Platform
from tenants import services as tenant_services
from tenants.models import AuditEntry, Tenant
from tenants.schemas import in_tenant, use_public_schema
from tests.factories.accounts import PASSWORD, make_customer

WEB_REDIRECT = "https://web.example.com/callback"
WEB_LOGOUT = "https://web.example.com/signed-out"
SPA_REDIRECT = "http://localhost:3000/"


@dataclass
class OidcWorld:
    base_url: str
    tenant: Tenant
    web: AppRegistration
    web_secret: str
    spa: AppRegistration
    api: AppRegistration
    daemon: AppRegistration
    daemon_secret: str
    customer_email: str
    customer_password: str = PASSWORD

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.tenant.domain_name}/v2.0"

    def endpoint(self, name: str) -> str:
        return f"{self.base_url}/{self.tenant.domain_name}/oauth2/v2.0/{name}"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/{self.tenant.domain_name}/discovery/v2.0/keys"

    @property
    def api_scope(self) -> str:
        return f"{self.api.effective_app_id_uri}/Files.Read"

    @property
    def default_scope(self) -> str:
        return f"{self.api.effective_app_id_uri}/.default"


def make_world(base_url: str, prefix: str) -> OidcWorld:
    tenant = tenant_services.tenant_create(
        display_name=f"OIDC {prefix}",
        domain_name=f"{prefix}-{uuid.uuid4().hex[:8]}",
        country="US",
        creator=None,
    )
    with in_tenant(tenant):
        api = app_services.app_register(name="API", platform=Platform.WEB)
        scope = app_services.api_scope_add(app=api, value="Files.Read", display_name="Read files")
        role = app_services.app_role_add(app=api, value="Files.Read.All", display_name="All")
        web = app_services.app_register(
            name="Web", platform=Platform.WEB, redirect_uris=[WEB_REDIRECT]
        )
        app_services.app_authentication_update(
            app=web,
            redirect_uris=[WEB_REDIRECT],
            post_logout_redirect_uris=[WEB_LOGOUT],
            front_channel_logout_url="https://web.example.com/front-channel-logout",
        )
        app_services.api_permission_add(client=web, api_scope=scope)
        app_services.api_permission_add(client=web, app_role=role)
        app_services.admin_consent_grant(client=web)
        _secret, web_secret = app_services.client_secret_add(
            app=web, description="test", lifetime_days=180
        )
        spa = app_services.app_register(
            name="SPA", platform=Platform.SPA, redirect_uris=[SPA_REDIRECT]
        )
        daemon = app_services.app_register(name="Daemon", platform=Platform.DAEMON)
        app_services.api_permission_add(client=daemon, app_role=role)
        app_services.admin_consent_grant(client=daemon)
        _secret, daemon_secret = app_services.client_secret_add(
            app=daemon, description="test", lifetime_days=90
        )
    email = f"customer-{uuid.uuid4().hex[:6]}@example.com"
    make_customer(tenant, email)
    use_public_schema()
    return OidcWorld(
        base_url=base_url,
        tenant=tenant,
        web=web,
        web_secret=web_secret,
        spa=spa,
        api=api,
        daemon=daemon,
        daemon_secret=daemon_secret,
        customer_email=email,
    )


def drop_world(world: OidcWorld) -> None:
    tenant = Tenant.objects.get(pk=world.tenant.pk)
    AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
    tenant.delete(force_drop=True)


@pytest.fixture(scope="session")
def oidc_world(
    live_server_url: str, django_db_blocker: pytest.FixtureRequest
) -> Iterator[OidcWorld]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        world = make_world(live_server_url, "oidc")
    yield world
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        drop_world(world)
        connections.close_all()


@pytest.fixture(scope="session")
def other_world(
    live_server_url: str, django_db_blocker: pytest.FixtureRequest
) -> Iterator[OidcWorld]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        world = make_world(live_server_url, "other")
    yield world
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        drop_world(world)
        connections.close_all()


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_SIGN_IN_ACTION = re.compile(r'<form method="post" action="([^"]*/account/login/)"')
_NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)"')


def is_sign_in_page(response: requests.Response) -> bool:
    return response.status_code == 200 and _SIGN_IN_ACTION.search(response.text) is not None


def submit_sign_in(
    browser: requests.Session, page: requests.Response, email: str, password: str
) -> requests.Response:
    """Post the hosted sign-in page's form as a browser does (its action, CSRF token and
    `next`) with email and password; the answer, not followed."""
    token, action = _CSRF.search(page.text), _SIGN_IN_ACTION.search(page.text)
    assert token, page.text[:500]
    assert action, page.text[:500]
    data = {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
    next_field = _NEXT.search(page.text)
    if next_field:
        data["next"] = html.unescape(next_field.group(1))
    posted: requests.Response = browser.post(
        urljoin(page.url, html.unescape(action.group(1))),
        data=data,
        headers={"Referer": page.url},
        allow_redirects=False,
    )
    return posted


def post_sign_in_form(
    browser: requests.Session, url: str, email: str, password: str
) -> requests.Response:
    """Open the hosted sign-in page at `url` (an authorization request answers with it) and
    post email and password as its form does; the answer (not followed)."""
    page = browser.get(url)
    assert is_sign_in_page(page), page.text[:500]
    return submit_sign_in(browser, page, email, password)


def browser_sign_in(
    browser: requests.Session, world: OidcWorld, authorize_url: str, *, email: str | None = None
) -> requests.Response:
    """Follow an authorization request like a browser: sign in on the hosted page when asked,
    and stop at the redirect back to the app. Returns that redirect (the sign-in form's own
    answer, which goes straight back to the app, or the answer of a hosted page it led to)."""
    response = browser.get(authorize_url, allow_redirects=False)
    if is_sign_in_page(response):
        posted = submit_sign_in(
            browser, response, email or world.customer_email, world.customer_password
        )
        assert posted.status_code == 302, posted.text[:800]
        response = posted
        if posted.headers["Location"].startswith("/"):
            response = browser.get(
                world.base_url + posted.headers["Location"], allow_redirects=False
            )
    return response


def query_of(response: requests.Response) -> dict[str, str]:
    location = response.headers["Location"]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def decode_unverified(token: str) -> dict[str, Any]:
    import base64
    import json

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


@dataclass
class ConsentedDaemon:
    """A daemon app granted an API's `Read.All` role by admin consent, with a secret."""

    api: AppRegistration
    app: AppRegistration
    secret_id: str
    secret: str

    @property
    def basic(self) -> str:
        raw = f"{self.app.client_id}:{self.secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    @property
    def scope(self) -> str:
        return f"api://{self.api.client_id}/.default"


def make_consented_daemon(tenant: Tenant) -> ConsentedDaemon:
    with in_tenant(tenant):
        api = app_services.app_register(name="API", platform=Platform.WEB)
        role = app_services.app_role_add(app=api, value="Read.All", display_name="Read")
        app = app_services.app_register(name="Daemon", platform=Platform.DAEMON)
        app_services.api_permission_add(client=app, app_role=role)
        app_services.admin_consent_grant(client=app)
        secret, value = app_services.client_secret_add(app=app, description="t", lifetime_days=90)
    return ConsentedDaemon(api=api, app=app, secret_id=str(secret.secret_id), secret=value)
