"""Every outcome of the sign-in log's one table (monitoring/reasons.py) is caused here through
the real hosted pages, authorization endpoint and token endpoint (the Django test client on
the real journey, allauth, DOT and database; nothing of ours substituted), and found in the
tenant's log with its error code, status, customer, app, method(s), address and correlation.

Each test says which reasons it causes (`@causes`), and fails unless it found a row of each;
`test_every_reason_is_caused_by_a_test` holds the table and the tests to each other, so a
reason added to the table without a test that causes it (or one the product no longer
produces, left in the table) fails here. docs/sign-in-log.md prints the same table.
"""

import base64
import hashlib
import html
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.services import customer_block
from apps import services as app_services
from apps.models import Platform
from extensions.models import ExtensionEvent
from monitoring.models import SignInEvent
from monitoring.reasons import OUTCOMES, Reason
from protection.conditional_access import (
    PolicySettings,
    conditional_access_policy_create,
    named_location_create,
)
from protection.methods import authentication_methods_policy_update
from protection.models import SignInProtection
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_issuer
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.extensions.test_attribute_collection import (
    TYPED,
    answer,
    attribute_page,
    listen,
    respond,
)
from tests.extensions.test_client import Service
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.federation import Federation, browser, through_contoso
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld, make_flow_world
from tests.journey.test_second_factor import session_data, totp_code
from userflows import services as flow_services
from userflows.models import SignInMethod

Capture = Callable[..., Any]
Test = TypeVar("Test", bound=Callable[..., None])
EMAIL = "logged@example.com"
ADDRESS = "192.0.2.10"
OFFICE = "203.0.113.0/24"
AT_THE_OFFICE = "203.0.113.7"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
VERIFIER = "v" * 43 + "-verifier"
_NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)"')

# Which tests cause which reasons: filled as the module is read, whatever tests run.
CAUSED: dict[Reason, list[str]] = {}
_found: list[Reason] = []


def causes(*reasons: Reason) -> Callable[[Test], Test]:
    def register(test: Test) -> Test:
        for reason in reasons:
            CAUSED.setdefault(reason, []).append(test.__name__)
        test.causes = reasons  # type: ignore[attr-defined]
        return test

    return register


@pytest.fixture(autouse=True)
def _each_reason_a_test_causes_is_in_the_log(request: pytest.FixtureRequest) -> Iterator[None]:
    _found.clear()
    yield
    declared = set(getattr(request.function, "causes", ()))
    assert declared <= set(_found), f"not found in the log: {declared - set(_found)}"


def the_row(tenant: Tenant, reason: Reason, **expected: Any) -> SignInEvent:
    """The tenant's latest row of `reason`, with the table's code and status and `expected`."""
    with in_tenant(tenant):
        row = SignInEvent.objects.filter(reason=reason).order_by("-id").first()
        everything = list(SignInEvent.objects.values_list("kind", "reason"))
    assert row is not None, f"no {reason} row among {everything}"
    assert row.error_code == OUTCOMES[reason].code
    assert row.status == ("success" if reason == Reason.SUCCESS else "failure")
    for name, value in expected.items():
        assert getattr(row, name) == value, (name, getattr(row, name))
    _found.append(reason)
    return row


def rows(tenant: Tenant) -> list[tuple[str, str]]:
    with in_tenant(tenant):
        return list(SignInEvent.objects.order_by("id").values_list("kind", "reason"))


def object_id(tenant: Tenant, email: str = EMAIL) -> Any:
    with in_tenant(tenant):
        return User.objects.get(email=email).object_id


def correlation(client: Client, world: FlowWorld) -> str:
    """The correlation ID of the browser's sign-in under way (its auth transaction)."""
    found: str = session_data(client, world)["ciam.auth"]["correlation_id"]
    return found


def sign_in_page(client: Client, url: str) -> str:
    """The app's request answered with the sign-in page: the `next` its form posts."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    match = _NEXT.search(page.text)
    assert match, page.text[:500]
    return html.unescape(match.group(1))


def post_password(
    client: Client, world: FlowWorld, next_url: str, password: str = PASSWORD, email: str = EMAIL
) -> Any:
    return client.post(
        f"/{world.tenant.domain_name}/account/login/",
        {"login": email, "password": password, "next": next_url},
    )


def code_of(answer: Any) -> str:
    assert answer.status_code == 302, (answer.status_code, answer.content[:300])
    assert answer["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), answer["Location"]
    return parse_qs(urlsplit(answer["Location"]).query)["code"][0]


def token(client: Client, world: FlowWorld, secret: str | None = None, **body: str) -> Any:
    """The app at the token endpoint, authenticated by its secret (HTTP Basic)."""
    basic = base64.b64encode(f"{world.app.client_id}:{secret or world.secret}".encode()).decode()
    return client.post(
        f"/{world.tenant.domain_name}/oauth2/v2.0/token",
        {"redirect_uri": FLOW_APP_REDIRECT, **body},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def with_refresh(world: FlowWorld) -> str:
    return authorize_url(world).replace("scope=openid", "scope=openid+offline_access")


def signed_in_code(client: Client, world: FlowWorld, url: str | None = None) -> str:
    return code_of(post_password(client, world, sign_in_page(client, url or authorize_url(world))))


@pytest.fixture
def shop(flow_world: FlowWorld) -> FlowWorld:
    """The flow's app, "Shop", with a customer who has a password."""
    make_customer(flow_world.tenant, EMAIL)
    return flow_world


def browser_at(address: str = ADDRESS) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Test")


# --- interactive: the password ----------------------------------------------------------


@causes(Reason.WRONG_PASSWORD, Reason.SUCCESS)
def test_a_wrong_password_then_the_right_one_share_the_sign_ins_correlation(
    shop: FlowWorld,
) -> None:
    client = browser_at()
    next_url = sign_in_page(client, authorize_url(shop))
    journey = correlation(client, shop)
    wrong = post_password(client, shop, next_url, "not-the-password")
    assert wrong.status_code == 200  # the page: wrong email or password, nothing more
    common = {
        "kind": "interactive",
        "customer_object_id": object_id(shop.tenant),
        "customer_email": EMAIL,
        "client_id": shop.app.client_id,
        "app_name": "Shop",
        "ip_address": ADDRESS,
        "correlation_id": journey,
        "methods": ["pwd"],
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Test",
    }
    the_row(shop.tenant, Reason.WRONG_PASSWORD, **common)
    code_of(post_password(client, shop, next_url))
    the_row(
        shop.tenant,
        Reason.SUCCESS,
        **common,
        mfa_detail="",
        identity_provider="",
        conditional_access="not_applied",
        policies=[],
        risk_level="low",  # a password failed on the account a moment ago
    )
    assert rows(shop.tenant) == [("interactive", "wrong_password"), ("interactive", "success")]


@causes(Reason.NO_ACCOUNT)
def test_an_address_without_an_account(shop: FlowWorld) -> None:
    client = browser_at()
    next_url = sign_in_page(client, authorize_url(shop))
    answer = post_password(client, shop, next_url, email="Nobody@Example.com")
    assert answer.status_code == 200
    the_row(
        shop.tenant,
        Reason.NO_ACCOUNT,
        kind="interactive",
        customer_object_id=None,
        customer_email="nobody@example.com",  # as typed (allauth lowers it)
        client_id=shop.app.client_id,
        app_name="Shop",
        ip_address=ADDRESS,
        methods=["pwd"],
        correlation_id=correlation(client, shop),
    )


@causes(Reason.LOCKED)
def test_a_locked_account_is_told_apart_in_the_log_only(shop: FlowWorld) -> None:
    with in_tenant(shop.tenant):
        SignInProtection.objects.create(lockout_threshold=3)
    for n in range(3):
        attacker = browser_at(f"198.51.100.{n + 1}")
        post_password(attacker, shop, sign_in_page(attacker, authorize_url(shop)), f"guess-{n}")
    client = browser_at()
    next_url = sign_in_page(client, authorize_url(shop))
    answer = post_password(client, shop, next_url)  # the right password, from elsewhere
    assert answer.status_code == 200  # answered as a wrong one
    the_row(
        shop.tenant,
        Reason.LOCKED,
        customer_object_id=object_id(shop.tenant),
        client_id=shop.app.client_id,
        ip_address=ADDRESS,
        methods=["pwd"],
        details={"lockout": "unfamiliar"},
        correlation_id=correlation(client, shop),
    )
    assert [reason for _kind, reason in rows(shop.tenant)] == [
        "wrong_password",
        "wrong_password",
        "wrong_password",
        "locked",
    ]


@causes(Reason.BLOCKED_ACCOUNT)
def test_a_blocked_customer_with_the_right_password(shop: FlowWorld) -> None:
    with in_tenant(shop.tenant):
        customer_block(customer=User.objects.get(email=EMAIL))
    client = browser_at()
    next_url = sign_in_page(client, authorize_url(shop))
    journey = correlation(client, shop)
    answer = post_password(client, shop, next_url)
    assert answer.status_code == 302
    assert answer["Location"].endswith("/account/inactive/")
    the_row(
        shop.tenant,
        Reason.BLOCKED_ACCOUNT,
        kind="interactive",
        customer_object_id=object_id(shop.tenant),
        client_id=shop.app.client_id,
        app_name="Shop",
        ip_address=ADDRESS,
        methods=["pwd"],
        correlation_id=journey,
    )


@causes(Reason.SOURCE_THROTTLED)
@pytest.mark.parametrize("throttle", ["password_spray", "failed_passwords"])
def test_a_source_refused_before_any_password_is_checked(shop: FlowWorld, throttle: str) -> None:
    limits = (
        {"CIAM_SPRAY_ACCOUNTS_PER_ADDRESS": 2}
        if throttle == "password_spray"
        else {"ACCOUNT_RATE_LIMITS": {"login_failed": "2/m/ip"}}
    )
    client = browser_at()
    with override_settings(**limits):
        next_url = sign_in_page(client, authorize_url(shop))
        for guessed in ("first@example.com", "second@example.com"):
            assert post_password(client, shop, next_url, "guess", guessed).status_code == 200
        refused = post_password(client, shop, next_url)
    # Spraying: a 429 that depends on the source only, answered before the session is read
    # (protection.risk.PasswordSprayMiddleware), so the row names no app and no journey;
    # allauth's limit: its form error, within the journey.
    spraying = throttle == "password_spray"
    assert refused.status_code == (429 if spraying else 200)
    the_row(
        shop.tenant,
        Reason.SOURCE_THROTTLED,
        customer_object_id=None,  # no account was looked up
        customer_email=EMAIL,
        client_id="" if spraying else shop.app.client_id,
        ip_address=ADDRESS,
        methods=["pwd"],
        details={"throttle": throttle},
        **({} if spraying else {"correlation_id": correlation(client, shop)}),
    )


# --- interactive: the emailed code --------------------------------------------------------


@pytest.fixture
def code_world(tenant_b: Tenant) -> FlowWorld:
    world = make_flow_world(tenant_b, SignInMethod.EMAIL_OTP)
    make_customer(tenant_b, EMAIL)
    return world


def code_page(client: Client, world: FlowWorld, capture: Capture) -> str:
    """The app's request, the address, and the page the emailed code is entered on."""
    to_code = client.get(authorize_url(world))
    assert to_code.status_code == 302
    next_url = parse_qs(urlsplit(to_code["Location"]).query)["next"][0]
    with capture(execute=True):
        sent = client.post(
            f"/{world.tenant.domain_name}/account/login/code/", {"email": EMAIL, "next": next_url}
        )
    assert sent.status_code == 302, sent.content[:300]
    return str(sent["Location"])


@causes(Reason.CODE_FAILED, Reason.SUCCESS)
def test_a_wrong_emailed_code_then_the_right_one(
    code_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = browser_at()
    page = code_page(client, code_world, django_capture_on_commit_callbacks)
    assert client.post(page, {"code": "00000000"}).status_code == 200  # the form, again
    common = {
        "kind": "interactive",
        "customer_object_id": object_id(code_world.tenant),
        "client_id": code_world.app.client_id,
        "ip_address": ADDRESS,
        "methods": ["otp"],
        "correlation_id": correlation(client, code_world),
    }
    the_row(code_world.tenant, Reason.CODE_FAILED, **common)
    code_of(client.post(page, {"code": last_code()}))
    the_row(code_world.tenant, Reason.SUCCESS, **common)


@causes(Reason.CODE_FAILED)
def test_an_emailed_code_entered_after_it_expired(
    code_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = browser_at()
    page = code_page(client, code_world, django_capture_on_commit_callbacks)
    journey = correlation(client, code_world)
    with override_settings(ACCOUNT_LOGIN_BY_CODE_TIMEOUT=0):
        answer = client.post(page, {"code": last_code()})
    assert answer.status_code == 302
    assert answer["Location"].endswith("/account/login/code/")  # to ask for another
    the_row(
        code_world.tenant,
        Reason.CODE_FAILED,
        customer_object_id=object_id(code_world.tenant),
        methods=["otp"],
        correlation_id=journey,
    )
    assert [reason for _kind, reason in rows(code_world.tenant)] == ["code_failed"]


# --- interactive: the second factor and conditional access --------------------------------


def methods(world: FlowWorld, *, email: bool = False, totp: bool = False) -> None:
    with in_tenant(world.tenant):
        authentication_methods_policy_update(
            email_otp_enabled=email, totp_enabled=totp, passkeys_enabled=False
        )


def policy(world: FlowWorld, name: str, **settings: Any) -> None:
    given = {"state": "on", "grant": "mfa", **settings}
    with in_tenant(world.tenant):
        conditional_access_policy_create(settings=PolicySettings(name=name, **given))


@causes(Reason.MFA_FAILED, Reason.SUCCESS)
def test_a_wrong_code_of_the_authenticator_app(shop: FlowWorld) -> None:
    methods(shop, totp=True)
    with in_tenant(shop.tenant):
        customer = User.objects.get(email=EMAIL)
        TOTP.activate(customer, TOTP_SECRET)
        RecoveryCodes.activate(customer)
    client = browser_at()
    next_url = sign_in_page(client, authorize_url(shop))
    journey = correlation(client, shop)
    assert post_password(client, shop, next_url).status_code == 200  # the second-factor page
    second_factor = f"/{shop.tenant.domain_name}/account/second-factor/"
    assert client.post(second_factor, {"code": "123456"}).status_code == 400
    common = {
        "kind": "interactive",
        "customer_object_id": customer.object_id,
        "client_id": shop.app.client_id,
        "ip_address": ADDRESS,
        "correlation_id": journey,
        "mfa_detail": "Authenticator app",
    }
    the_row(shop.tenant, Reason.MFA_FAILED, methods=["pwd"], **common)
    code_of(client.post(second_factor, {"code": totp_code(TOTP_SECRET)}))
    the_row(shop.tenant, Reason.SUCCESS, methods=["pwd", "otp", "mfa"], **common)


@causes(Reason.MFA_FAILED, Reason.SUCCESS)
def test_a_wrong_emailed_second_factor_and_the_policy_that_asked_it(
    shop: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    """A policy for the office asks the emailed code; the success row names it, the named
    location the address is in, and a report-only policy, marked."""
    methods(shop, email=True)
    with in_tenant(shop.tenant):
        office = named_location_create(name="Office", ip_ranges=[OFFICE])
    policy(
        shop, "MFA at the office", locations="selected", included_location_ids=[office.location_id]
    )
    policy(shop, "Trial: block", state="report_only", grant="block")
    client = browser_at(AT_THE_OFFICE)
    next_url = sign_in_page(client, authorize_url(shop))
    with django_capture_on_commit_callbacks(execute=True):
        held = post_password(client, shop, next_url)
    email_page = f"/{shop.tenant.domain_name}/account/second-factor/email/"
    assert held["Location"] == email_page
    assert client.post(email_page, {"code": "00000000"}).status_code == 400
    policies = [
        {"name": "MFA at the office", "grant": "mfa", "report_only": False},
        {"name": "Trial: block", "grant": "block", "report_only": True},
    ]
    common = {
        "customer_object_id": object_id(shop.tenant),
        "ip_address": AT_THE_OFFICE,
        "mfa_detail": "Email one-time code",
        "policies": policies,
        "location": "Office",
        "risk_level": "none",
    }
    the_row(shop.tenant, Reason.MFA_FAILED, methods=["pwd"], **common)
    code_of(client.post(email_page, {"code": last_code()}))
    the_row(
        shop.tenant,
        Reason.SUCCESS,
        methods=["pwd", "otp", "mfa"],
        conditional_access="success",
        **common,
    )


@causes(Reason.POLICY_BLOCKED)
def test_a_policy_that_blocks(shop: FlowWorld) -> None:
    policy(shop, "Block the shop", grant="block", all_apps=False, client_ids=[shop.app.client_id])
    client = browser_at()
    next_url = sign_in_page(client, authorize_url(shop))
    journey = correlation(client, shop)
    assert post_password(client, shop, next_url).status_code == 403
    the_row(
        shop.tenant,
        Reason.POLICY_BLOCKED,
        customer_object_id=object_id(shop.tenant),
        client_id=shop.app.client_id,
        app_name="Shop",
        ip_address=ADDRESS,
        methods=["pwd"],
        conditional_access="failure",
        policies=[{"name": "Block the shop", "grant": "block", "report_only": False}],
        risk_level="none",
        location="",
        correlation_id=journey,
    )
    assert rows(shop.tenant) == [("interactive", "policy_blocked")]  # and no success


@causes(Reason.MFA_UNAVAILABLE)
def test_two_factors_required_and_none_usable(shop: FlowWorld) -> None:
    methods(shop)  # the tenant offers no second factor at all
    policy(shop, "MFA for everyone")
    client = browser_at()
    next_url = sign_in_page(client, authorize_url(shop))
    assert post_password(client, shop, next_url).status_code == 403
    the_row(
        shop.tenant,
        Reason.MFA_UNAVAILABLE,
        customer_object_id=object_id(shop.tenant),
        client_id=shop.app.client_id,
        methods=["pwd"],
        conditional_access="failure",
        policies=[{"name": "MFA for everyone", "grant": "mfa", "report_only": False}],
    )


# --- single sign-on ------------------------------------------------------------------------


@causes(Reason.SUCCESS)
def test_a_signed_in_session_going_on_to_another_app(shop: FlowWorld) -> None:
    with in_tenant(shop.tenant):
        blog = app_services.app_register(
            name="Blog", platform=Platform.WEB, redirect_uris=[FLOW_APP_REDIRECT]
        )
        flow_services.flow_apps_assign(flow=shop.flow, apps=[blog])
    client = browser_at()
    signed_in_code(client, shop)
    to_blog = authorize_url(shop).replace(shop.app.client_id, blog.client_id)
    code_of(client.get(to_blog))  # no page: the session goes on
    sso = the_row(
        shop.tenant,
        Reason.SUCCESS,
        kind="single_sign_on",
        customer_object_id=object_id(shop.tenant),
        client_id=blog.client_id,
        app_name="Blog",
        methods=["pwd"],
        ip_address=ADDRESS,
        conditional_access="not_applied",
    )
    assert rows(shop.tenant) == [("interactive", "success"), ("single_sign_on", "success")]
    with in_tenant(shop.tenant):
        interactive = SignInEvent.objects.get(kind="interactive")
    assert sso.correlation_id != interactive.correlation_id  # another app, another journey


# --- identity providers -------------------------------------------------------------------


@causes(Reason.PROVIDER_FAILED)
def test_an_identity_providers_answer_refused(federation: Federation) -> None:
    fabrikam = federation.fabrikam
    client = browser()
    sign_in_page(client, authorize_url(fabrikam))
    start = client.post(
        f"/{fabrikam.tenant.domain_name}/account/oidc/contoso/login/",
        {"process": "login", "next": authorize_url(fabrikam)},
    )
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    answer = client.get(federation.callback, {"state": state, "error": "access_denied"})
    assert answer.status_code == 400
    the_row(
        fabrikam.tenant,
        Reason.PROVIDER_FAILED,
        kind="interactive",
        customer_object_id=None,
        client_id=fabrikam.app.client_id,
        methods=["fed"],
        identity_provider=tenant_issuer(federation.contoso),
        ip_address="127.0.0.1",
        correlation_id=correlation(client, fabrikam),
    )


@causes(Reason.SUCCESS, Reason.BLOCKED_ACCOUNT)
def test_a_federated_sign_in_and_a_blocked_one(federation: Federation) -> None:
    fabrikam = federation.fabrikam
    make_customer(federation.contoso, "ada@contoso.example")
    client = browser()
    answer = through_contoso(client, federation, "ada@contoso.example")
    done = client.post(answer["Location"], {"attr_given_name": "Ada", "attr_Tier": "gold"})
    code_of(done)
    issuer = tenant_issuer(federation.contoso)
    ada = object_id(fabrikam.tenant, "ada@contoso.example")
    the_row(
        fabrikam.tenant,
        Reason.SUCCESS,
        kind="interactive",
        customer_object_id=ada,
        client_id=fabrikam.app.client_id,
        methods=["fed"],
        identity_provider=issuer,
    )
    with in_tenant(fabrikam.tenant):
        customer_block(customer=User.objects.get(email="ada@contoso.example"))
    refused = through_contoso(browser(), federation, "ada@contoso.example")
    assert refused["Location"].endswith("/account/inactive/")
    the_row(
        fabrikam.tenant,
        Reason.BLOCKED_ACCOUNT,
        customer_object_id=ada,
        methods=["fed"],
        identity_provider=issuer,
    )


# --- the token endpoint -------------------------------------------------------------------


@causes(Reason.SUCCESS, Reason.CODE_INVALID)
def test_a_code_redeemed_then_replayed(shop: FlowWorld) -> None:
    client = browser_at()
    code = signed_in_code(client, shop)
    app = Client(REMOTE_ADDR="198.51.100.200")  # the app's server
    assert token(app, shop, grant_type="authorization_code", code=code).status_code == 200
    common = {
        "kind": "code_redemption",
        "customer_object_id": object_id(shop.tenant),
        "customer_email": EMAIL,
        "client_id": shop.app.client_id,
        "app_name": "Shop",
        "ip_address": "198.51.100.200",
        "methods": ["pwd"],
    }
    redeemed = the_row(shop.tenant, Reason.SUCCESS, **common)
    replayed = token(app, shop, grant_type="authorization_code", code=code)
    assert replayed.status_code == 400
    again = the_row(shop.tenant, Reason.CODE_INVALID, **common)
    assert again.details == {"error": "invalid_grant"}
    with in_tenant(shop.tenant):
        interactive = SignInEvent.objects.get(kind="interactive")
    # Each request of the app its own correlation; the journey's rows have theirs.
    assert len({redeemed.correlation_id, again.correlation_id, interactive.correlation_id}) == 3


@causes(Reason.PKCE_FAILED)
def test_a_code_verifier_that_does_not_match(shop: FlowWorld) -> None:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode()
    url = f"{authorize_url(shop)}&" + urlencode(
        {"code_challenge": challenge.rstrip("="), "code_challenge_method": "S256"}
    )
    code = signed_in_code(browser_at(), shop, url)
    answer = token(
        browser_at(), shop, grant_type="authorization_code", code=code, code_verifier="x" * 43
    )
    assert answer.status_code == 400
    the_row(
        shop.tenant,
        Reason.PKCE_FAILED,
        kind="code_redemption",
        customer_object_id=object_id(shop.tenant),
        client_id=shop.app.client_id,
    )


@causes(Reason.CLIENT_AUTHENTICATION_FAILED)
def test_an_app_with_a_wrong_secret(shop: FlowWorld) -> None:
    code = signed_in_code(browser_at(), shop)
    answer = token(browser_at(), shop, "not-the-secret", grant_type="authorization_code", code=code)
    assert answer.status_code == 401
    the_row(
        shop.tenant,
        Reason.CLIENT_AUTHENTICATION_FAILED,
        kind="code_redemption",
        client_id=shop.app.client_id,
        app_name="Shop",
        details={"error": "invalid_client"},
    )


@causes(Reason.SUCCESS, Reason.REFRESH_TOKEN_INVALID, Reason.BLOCKED_ACCOUNT)
def test_refresh_tokens_redeemed_reused_and_of_a_blocked_customer(shop: FlowWorld) -> None:
    app = browser_at("198.51.100.200")
    code = signed_in_code(browser_at(), shop, with_refresh(shop))
    first = token(app, shop, grant_type="authorization_code", code=code).json()
    second = token(app, shop, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    common = {
        "kind": "refresh",
        "customer_object_id": object_id(shop.tenant),
        "client_id": shop.app.client_id,
        "app_name": "Shop",
        "methods": ["pwd"],
        "ip_address": "198.51.100.200",
    }
    the_row(shop.tenant, Reason.SUCCESS, **common)
    reused = token(app, shop, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400  # rotated: the old one is spent (and its family revoked)
    the_row(shop.tenant, Reason.REFRESH_TOKEN_INVALID, **common)

    code = signed_in_code(browser_at(), shop, with_refresh(shop))
    fresh = token(app, shop, grant_type="authorization_code", code=code).json()
    with in_tenant(shop.tenant):
        customer_block(customer=User.objects.get(email=EMAIL))
    refused = token(app, shop, grant_type="refresh_token", refresh_token=fresh["refresh_token"])
    assert refused.status_code == 400
    the_row(shop.tenant, Reason.BLOCKED_ACCOUNT, **common)


def test_client_credentials_are_not_customer_sign_ins(shop: FlowWorld) -> None:
    answer = token(browser_at(), shop, grant_type="client_credentials", scope="nothing/.default")
    assert answer.status_code in (400, 401)
    assert rows(shop.tenant) == []


# --- the table ----------------------------------------------------------------------------


@causes(Reason.EXTENSION_BLOCKED)
def test_a_sign_up_blocked_by_the_flows_extension(
    flow_world: FlowWorld, loopback_extension: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    service = loopback_extension
    listen(flow_world, service, ExtensionEvent.ATTRIBUTE_COLLECTION_START)
    service.answer = respond(
        200, answer("attributeCollectionStart", "showBlockPage", message="Closed.")
    )
    client = Client(REMOTE_ADDR=ADDRESS)
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    correlation_id = correlation(client, flow_world)
    assert client.get(url).status_code == 403
    row = the_row(
        flow_world.tenant,
        Reason.EXTENSION_BLOCKED,
        kind="interactive",
        customer_object_id=object_id(flow_world.tenant, "ada@example.com"),
        client_id=flow_world.app.client_id,
        ip_address=ADDRESS,
        correlation_id=correlation_id,
    )
    assert row.details["event"] == "attributeCollectionStart"


@causes(Reason.EXTENSION_FAILED)
def test_a_sign_up_stopped_by_its_extensions_failure(
    flow_world: FlowWorld, loopback_extension: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    service = loopback_extension
    listen(flow_world, service, ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT)
    service.answer = respond(500, {"error": "down"})
    client = Client(REMOTE_ADDR=ADDRESS)
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    correlation_id = correlation(client, flow_world)
    assert client.post(url, TYPED).status_code == 503
    row = the_row(
        flow_world.tenant,
        Reason.EXTENSION_FAILED,
        kind="interactive",
        customer_object_id=object_id(flow_world.tenant, "ada@example.com"),
        client_id=flow_world.app.client_id,
        ip_address=ADDRESS,
        correlation_id=correlation_id,
    )
    assert row.details["outcome"] == "error_status"


def test_every_reason_is_caused_by_a_test() -> None:
    assert set(CAUSED) == set(Reason), set(Reason) ^ set(CAUSED)


def test_the_documentation_lists_every_reason_with_its_code() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "sign-in-log.md").read_text()
    outcomes = doc.split("## Outcomes", 1)[1].split("\n## ", 1)[0]
    table = {
        cells[0].strip("` "): (cells[1].strip(), cells[2].strip())
        for line in outcomes.splitlines()
        if line.startswith("| `")
        for cells in [line.strip("|").split("|")]
    }
    assert table == {
        reason.value: (str(OUTCOMES[reason].code), str(OUTCOMES[reason].summary))
        for reason in Reason
    }


_REMEMBERED = ("tenants_tenant", "search_path", "apps_", "branding_", "protection_")


def _shape(sql: str) -> str:
    """A statement without its values: its verb and the tables it names."""
    return (
        " ".join(sorted(set(re.findall(r'(?:FROM|INTO|UPDATE|JOIN) "?([a-z_]+)"?', sql))))
        or sql[:40]
    )


def test_the_log_costs_a_sign_in_and_a_redemption_one_insert_each(shop: FlowWorld) -> None:
    """Nothing is read for the success rows: the app's name and the customer come with what
    the sign-in and the redemption read anyway; each request writes its row in one INSERT.
    (The shared cache's statements, the request limits' counters, are left aside: their
    windows differ from one run to the next.)"""

    def ours(captured: CaptureQueriesContext) -> list[str]:
        return [
            query["sql"]
            for query in captured.captured_queries
            if "ciam_cache" not in query["sql"]
            and not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        ]

    warm = browser_at()  # every per-process memory warm: the app, the signing key
    token(warm, shop, grant_type="authorization_code", code=signed_in_code(warm, shop))
    statements: dict[bool, list[list[str]]] = {}
    for log in (False, True):
        with override_settings(CIAM_SIGN_IN_LOG=log):
            client = browser_at()
            next_url = sign_in_page(client, authorize_url(shop))
            with CaptureQueriesContext(connection) as password:
                code = code_of(post_password(client, shop, next_url))
            with CaptureQueriesContext(connection) as redemption:
                redeemed = token(client, shop, grant_type="authorization_code", code=code)
                assert redeemed.status_code == 200
        statements[log] = [ours(password), ours(redemption)]
    for without, with_log in zip(statements[False], statements[True], strict=True):
        added = [sql for sql in with_log if "monitoring_signinevent" in sql]
        assert len(added) == 1
        assert added[0].startswith('INSERT INTO "monitoring_signinevent"')
        # Nothing else more, but what a web process remembers for a few seconds (the tenant,
        # the app's lookups, the branding, the protection settings) and may read again when
        # a slow machine lets that memory lapse between the two runs.
        extra = Counter(_shape(sql) for sql in with_log) - Counter(_shape(sql) for sql in without)
        extra[_shape(added[0])] -= 1
        assert not [
            shape
            for shape, count in extra.items()
            if count > 0 and not any(table in shape for table in _REMEMBERED)
        ], extra
