"""fabrikam signs in through contoso, another tenant of this same product registered in it as an
OpenID Provider (issue 11). allauth's server-side calls to contoso (discovery, token, userinfo,
keys) go to contoso's real endpoints through the Django test client (`InProcess` below), not
to a mock; the browser is another test client that carries the cookies of both tenants."""

import base64
import json
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection
from django.test import Client
from django.urls import get_script_prefix, get_urlconf, set_script_prefix, set_urlconf
from django.utils import translation
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from apps import services as app_services
from apps.models import AppRegistration, Platform
from federation.models import IdentityProvider
from journey.adapters import CustomerSocialAccountAdapter
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.secrets import secret_encrypt
from tenants.selectors import tenant_issuer
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.accounts import PASSWORD
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld, make_flow_world


def browser() -> Client:
    """A browser on localhost: contoso's app may send codes back there over http."""
    return Client(HTTP_HOST="localhost")


class InProcess(BaseAdapter):  # type: ignore[misc]
    """A requests transport that answers with this process's Django (the other tenant's real
    views), restoring what a request changes of the thread (schema, URLconf, script prefix,
    language), since the calling request is still being served."""

    requested: ClassVar[list[str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        InProcess.requested.append(str(request.url))
        url = urlsplit(str(request.url))
        headers = {
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in request.headers.items()
            if name.lower() not in {"content-type", "content-length"}
        }
        tenant, urlconf, prefix = connection.tenant, get_urlconf(), get_script_prefix()
        language = translation.get_language()
        try:
            answer = Client().generic(
                str(request.method),
                f"{url.path}?{url.query}" if url.query else url.path,
                data=request.body or b"",
                content_type=request.headers.get("Content-Type", ""),
                **headers,
            )
        finally:
            connection.set_tenant(tenant, include_public=False)
            set_urlconf(urlconf)
            set_script_prefix(prefix)
            translation.activate(language)
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(dict(answer.headers.items()))
        response._content = answer.content
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def in_process_http(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = CustomerSocialAccountAdapter.get_requests_session

    def session(self: CustomerSocialAccountAdapter) -> requests.Session:
        http: requests.Session = stored(self)  # with its stored discovery documents
        http.mount("http://", InProcess())
        http.mount("https://", InProcess())
        return http

    monkeypatch.setattr(CustomerSocialAccountAdapter, "get_requests_session", session)
    monkeypatch.setattr(InProcess, "requested", [])


@dataclass
class Federation:
    fabrikam: FlowWorld
    contoso: Tenant
    contoso_app: AppRegistration
    provider: IdentityProvider

    @property
    def callback(self) -> str:
        return f"/{self.fabrikam.tenant.domain_name}/account/oidc/contoso/login/callback/"


def federate(
    fabrikam: Tenant, contoso: Tenant, *, trusted: bool = True, enabled: bool = True
) -> Federation:
    """fabrikam's flow world, and contoso registered in it as an OpenID Provider: contoso's
    web app sends codes to fabrikam's callback."""
    world = make_flow_world(fabrikam)
    callback = f"http://localhost/{fabrikam.domain_name}/account/oidc/contoso/login/callback/"
    with in_tenant(contoso):
        app = app_services.app_register(
            name="Fabrikam", platform=Platform.WEB, redirect_uris=[callback]
        )
        _s, secret = app_services.client_secret_add(app=app, description="f", lifetime_days=90)
    issuer = tenant_issuer(contoso)
    with in_tenant(fabrikam):
        provider = IdentityProvider.objects.create(
            slug="contoso",
            kind="openid_connect",
            display_name="Contoso",
            client_id=app.client_id,
            secret_encrypted=secret_encrypt(secret.encode()),
            well_known_url=f"{issuer}/.well-known/openid-configuration",
            issuer=issuer,
            scopes=["openid", "profile", "email"],
            claims_mapping={"display_name": "name"},
            trusted_for_email=trusted,
        )
        if enabled:
            world.flow.identity_providers.add(provider)
    return Federation(fabrikam=world, contoso=contoso, contoso_app=app, provider=provider)


@pytest.fixture
def federation(tenant_a: Tenant, tenant_b: Tenant, in_process_http: None) -> Federation:
    return federate(tenant_a, tenant_b)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def through_contoso(client: Client, world: Federation, email: str) -> Any:
    """From fabrikam's sign-in page, "Continue with Contoso", sign in at contoso with a
    password, and come back to fabrikam's callback: its answer."""
    return client.get(contoso_callback(client, world, email))


def contoso_callback(client: Client, world: Federation, email: str) -> str:
    """From fabrikam's sign-in page, "Continue with Contoso", sign in at contoso with a
    password: the path of fabrikam's callback contoso sends the browser back to (with the
    code), not yet followed."""
    fabrikam = world.fabrikam.tenant.domain_name
    page = client.get(authorize_url(world.fabrikam), follow=True)  # a code flow's: its page
    assert page.status_code == 200
    assert "Continue with Contoso" in page.text
    start = client.post(
        f"/{fabrikam}/account/oidc/contoso/login/",
        {"process": "login", "next": authorize_url(world.fabrikam)},
    )
    assert start.status_code == 302, start.content[:300]
    to_contoso = urlsplit(start["Location"])
    query = parse_qs(to_contoso.query)
    assert to_contoso.path == f"/{world.contoso.domain_name}/oauth2/v2.0/authorize"
    assert query["code_challenge_method"] == ["S256"]  # PKCE (RFC 7636)
    assert query["state"][0]
    at_contoso = client.get(path_of(start["Location"]))
    assert at_contoso.status_code == 200  # contoso's sign-in page
    signed_in = client.post(
        f"/{world.contoso.domain_name}/account/login/",
        {"login": email, "password": PASSWORD, "next": path_of(start["Location"])},
    )
    assert signed_in.status_code == 302, signed_in.content[:300]
    back = signed_in["Location"]
    assert path_of(back).startswith(world.callback), back
    return path_of(back)


def id_token_of(client: Client, world: FlowWorld, answer: Any) -> dict[str, Any]:
    """The app's side: the code in the answer redeemed for tokens; the ID token's claims."""
    assert answer["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), answer["Location"]
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    basic = base64.b64encode(f"{world.app.client_id}:{world.secret}".encode()).decode()
    token = client.post(
        f"/{world.tenant.domain_name}/oauth2/v2.0/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": FLOW_APP_REDIRECT},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    ).json()
    part = token["id_token"].split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims
