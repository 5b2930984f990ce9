"""OnTokenIssuanceStart (issue 14) through a real code flow: a loopback service that does what
Entra's sample does (checks the bearer token with PyJWT against the tenant's published JWKS,
answers provideClaimsForToken), the app's claims mapping deciding what reaches the ID and the
access token, and each fault handled by the listener's failure policy, never a 500."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.core.exceptions import ValidationError
from django.db import connections

from accounts.models import User
from apps.models import AppCustomClaim, Platform
from apps.services import app_custom_claims_set, app_register
from extensions.listeners import (
    token_issuance_listener_of,
    token_issuance_listener_remove,
    token_issuance_listener_set,
)
from extensions.models import (
    CallOutcome,
    CustomAuthenticationExtension,
    ExtensionCall,
    ExtensionEvent,
    FailurePolicy,
)
from extensions.tokens import CALLER_APP_ID
from monitoring.models import SignInEvent, SignInKind
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.oidc import (
    WEB_REDIRECT,
    OidcWorld,
    browser_sign_in,
    decode_unverified,
    drop_world,
    make_world,
    query_of,
)

pytestmark = pytest.mark.usefixtures("committed_db")

Answer = Callable[[BaseHTTPRequestHandler], None]
CLAIMS = {"loyaltyTier": "gold", "segments": ["buyer", "seller"], "internalNote": "secret"}


def _json(handler: BaseHTTPRequestHandler, status: int, body: object) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


def _claims_answer(claims: dict[str, object]) -> dict[str, object]:
    return {
        "data": {
            "@odata.type": "microsoft.graph.onTokenIssuanceStartResponseData",
            "actions": [
                {
                    "@odata.type": "microsoft.graph.tokenIssuanceStart.provideClaimsForToken",
                    "claims": claims,
                }
            ],
        }
    }


class ClaimsService:
    """Entra's sample custom claims provider on loopback: a request whose bearer token does not
    verify against the tenant's JWKS (issuer, audience = the API app, azp = our caller) is
    answered 401; otherwise `answer` answers it (provideClaimsForToken by default)."""

    def __init__(self, world: OidcWorld, api_client_id: str) -> None:
        self.received: list[dict[str, Any]] = []
        self.answer: Answer = lambda handler: _json(handler, 200, _claims_answer(CLAIMS))
        service = self
        # The tenant's published keys, fetched once and cached as a real service does (the
        # live server's two workers may both be busy with the token requests that call it).
        jwks = jwt.PyJWKSet.from_dict(requests.get(world.jwks_url, timeout=5).json())

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                token = str(self.headers.get("Authorization", "")).removeprefix("Bearer ")
                try:
                    claims = jwt.decode(
                        token,
                        jwks[jwt.get_unverified_header(token)["kid"]].key,
                        algorithms=["RS256"],
                        audience=api_client_id,
                        issuer=world.issuer,
                    )
                    verified = claims["azp"] == CALLER_APP_ID
                except (jwt.PyJWTError, KeyError):
                    verified = False
                service.received.append({"body": body, "verified": verified})
                if not verified:
                    _json(self, 401, {"error": "unauthorized"})
                    return
                service.answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/claims"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def world(live_server_url: str, django_db_blocker: pytest.FixtureRequest) -> Iterator[OidcWorld]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        made = make_world(live_server_url, "claims")
    yield made
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        drop_world(made)
        connections.close_all()


@pytest.fixture
def provider(world: OidcWorld) -> Iterator[tuple[ClaimsService, CustomAuthenticationExtension]]:
    """The web app's custom claims provider, with loyaltyTier mapped into both tokens and
    segments into the access token only (internalNote is not mapped)."""
    with in_tenant(world.tenant):
        api = app_register(name=f"Claims API {uuid.uuid4().hex[:6]}", platform=Platform.DAEMON)
        service = ClaimsService(world, api.client_id)
        extension = CustomAuthenticationExtension.objects.create(
            name=f"Loyalty {uuid.uuid4().hex[:6]}",
            event=ExtensionEvent.TOKEN_ISSUANCE_START,
            target_url=service.url,
            api_app=api,
            timeout_ms=1000,
            max_retries=0,
        )
        token_issuance_listener_set(app=world.web, extension=extension)
        app_custom_claims_set(
            app=world.web,
            entries=[
                ("loyaltyTier", "loyalty_tier", True, True),
                ("segments", "segments", False, True),
            ],
        )
    yield service, extension
    service.server.shutdown()
    service.server.server_close()
    with in_tenant(world.tenant):
        token_issuance_listener_remove(app=world.web)
        AppCustomClaim.objects.filter(app=world.web).delete()
        extension.delete()
        api.delete()


def _redeem(world: OidcWorld) -> requests.Response:
    """Sign in as the customer through the web app and redeem the code; the token answer."""
    client = OAuth2Session(
        world.web.client_id,
        world.web_secret,
        scope="openid profile email offline_access",
        redirect_uri=WEB_REDIRECT,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, _state = client.create_authorization_url(
        world.endpoint("authorize"), code_verifier=verifier
    )
    redirect = browser_sign_in(requests.Session(), world, url)
    assert redirect.status_code == 302, redirect.text[:500]
    return requests.post(
        world.endpoint("token"),
        data={
            "grant_type": "authorization_code",
            "code": query_of(redirect)["code"],
            "redirect_uri": WEB_REDIRECT,
            "code_verifier": verifier,
        },
        auth=(world.web.client_id, world.web_secret),
        timeout=10,
    )


def _last_redemption(world: OidcWorld) -> SignInEvent:
    with in_tenant(world.tenant):
        event = SignInEvent.objects.filter(kind=SignInKind.CODE_REDEMPTION).latest("id")
    return event


def test_mapped_claims_reach_the_tokens_and_unmapped_ones_never(
    world: OidcWorld, provider: tuple[ClaimsService, CustomAuthenticationExtension]
) -> None:
    service, extension = provider
    answer = _redeem(world)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    id_claims = decode_unverified(tokens["id_token"])
    access = decode_unverified(tokens["access_token"])
    assert id_claims["loyalty_tier"] == "gold"
    assert "segments" not in id_claims
    assert access["loyalty_tier"] == "gold"
    assert access["segments"] == ["buyer", "seller"]
    for claims in (id_claims, access):
        assert "internalNote" not in claims
        assert "secret" not in json.dumps(claims)
    # One call per token response, with Entra's request and a token the service verified.
    (call,) = service.received
    assert call["verified"]
    body = call["body"]
    assert body["type"] == "microsoft.graph.authenticationEvent.tokenIssuanceStart"
    context = body["data"]["authenticationContext"]
    with in_tenant(world.tenant):
        customer = User.objects.get(email=world.customer_email)
    assert context["user"]["id"] == str(customer.object_id)
    assert context["user"]["mail"] == world.customer_email
    assert context["user"]["userType"] == "Member"
    assert context["clientServicePrincipal"]["appId"] == world.web.client_id
    assert context["client"]["ip"] == "127.0.0.1"
    assert context["correlationId"]
    # A refresh asks again, once, and its tokens carry the claims too.
    service.answer = lambda handler: _json(handler, 200, _claims_answer({"loyaltyTier": "plat"}))
    refreshed = requests.post(
        world.endpoint("token"),
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(world.web.client_id, world.web_secret),
        timeout=10,
    )
    assert refreshed.status_code == 200, refreshed.text
    assert decode_unverified(refreshed.json()["access_token"])["loyalty_tier"] == "plat"
    assert len(service.received) == 2
    with in_tenant(world.tenant):
        calls = list(ExtensionCall.objects.filter(extension=extension))
    assert [call.outcome for call in calls] == [CallOutcome.OK, CallOutcome.OK]
    assert calls[1].correlation_id == context["correlationId"]
    assert _last_redemption(world).correlation_id == context["correlationId"]


def _slow(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(1.3)
    _json(handler, 200, _claims_answer(CLAIMS))


FAULTS: list[Any] = [
    pytest.param(_slow, CallOutcome.TIMEOUT, id="timeout"),
    pytest.param(lambda h: _json(h, 500, {"error": "boom"}), CallOutcome.ERROR_STATUS, id="500"),
    pytest.param(lambda h: _json(h, 200, b"{not json"), CallOutcome.MALFORMED, id="malformed"),
    pytest.param(
        lambda h: _json(h, 200, _claims_answer({"loyaltyTier": 42})),
        CallOutcome.INVALID,
        id="wrong-claim-type",
    ),
]


@pytest.mark.parametrize(("fault", "outcome"), FAULTS)
def test_a_failing_provider_with_policy_continue_issues_tokens_without_its_claims(
    world: OidcWorld,
    provider: tuple[ClaimsService, CustomAuthenticationExtension],
    fault: Answer,
    outcome: CallOutcome,
) -> None:
    service, extension = provider
    service.answer = fault
    answer = _redeem(world)
    assert answer.status_code == 200, answer.text
    for token in ("id_token", "access_token"):
        assert "loyalty_tier" not in decode_unverified(answer.json()[token])
    with in_tenant(world.tenant):
        call = ExtensionCall.objects.get(extension=extension)
    assert call.outcome == outcome
    logged = _last_redemption(world)
    assert logged.status == "success"
    assert logged.details["custom_claims_provider"]["outcome"] == outcome
    assert logged.details["custom_claims_provider"]["policy"] == FailurePolicy.CONTINUE


@pytest.mark.parametrize(("fault", "outcome"), FAULTS)
def test_a_failing_provider_with_policy_fail_refuses_the_token_request(
    world: OidcWorld,
    provider: tuple[ClaimsService, CustomAuthenticationExtension],
    fault: Answer,
    outcome: CallOutcome,
) -> None:
    service, extension = provider
    with in_tenant(world.tenant):
        token_issuance_listener_set(
            app=world.web, extension=extension, failure_policy=FailurePolicy.FAIL
        )
    service.answer = fault
    answer = _redeem(world)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_grant"
    assert "custom claims provider" in answer.json()["error_description"]
    with in_tenant(world.tenant):
        call = ExtensionCall.objects.get(extension=extension)
    assert call.outcome == outcome
    logged = _last_redemption(world)
    assert logged.status == "failure"
    assert logged.details["custom_claims_provider"]["outcome"] == outcome


def test_reserved_malformed_and_twice_mapped_claim_names_are_refused(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        app = app_register(name="Mapped", platform=Platform.WEB)
        for name in ("sub", "iss", "Nonce", "tid", "amr", "roles", "scp"):
            with pytest.raises(ValidationError, match="reserved"):
                app_custom_claims_set(app=app, entries=[("x", name, True, False)])
        for name in ("", "has space", "1starts-with-digit", "x" * 101):
            with pytest.raises(ValidationError):
                app_custom_claims_set(app=app, entries=[("x", name, True, False)])
        with pytest.raises(ValidationError, match="twice"):
            app_custom_claims_set(
                app=app, entries=[("a", "tier", True, False), ("b", "tier", False, True)]
            )
        kept = app_custom_claims_set(
            app=app, entries=[("a", "tier", True, False), ("b", "none", False, False)]
        )
        assert [(row.claim_id, row.jwt_claim_name) for row in kept] == [("a", "tier")]


def test_a_listener_takes_only_a_token_issuance_extension_and_defaults_to_continue(
    tenant_a: Tenant,
) -> None:
    with in_tenant(tenant_a):
        app = app_register(name="Listened", platform=Platform.WEB)
        api = app_register(name="Its API", platform=Platform.DAEMON)
        otp = CustomAuthenticationExtension.objects.create(
            name="OTP", event=ExtensionEvent.OTP_SEND, target_url="http://127.0.0.1:9/", api_app=api
        )
        with pytest.raises(ValidationError):
            token_issuance_listener_set(app=app, extension=otp)
        claims = CustomAuthenticationExtension.objects.create(
            name="Claims",
            event=ExtensionEvent.TOKEN_ISSUANCE_START,
            target_url="http://127.0.0.1:9/",
            api_app=api,
        )
        listener = token_issuance_listener_set(app=app, extension=claims)
        assert listener.failure_policy == FailurePolicy.CONTINUE
        again = token_issuance_listener_set(
            app=app, extension=claims, failure_policy=FailurePolicy.FAIL
        )
        assert again.pk == listener.pk
        assert token_issuance_listener_of(app) is not None
        assert token_issuance_listener_remove(app=app)
        assert token_issuance_listener_of(app) is None
        assert not token_issuance_listener_remove(app=app)
