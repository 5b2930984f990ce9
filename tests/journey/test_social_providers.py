"""A customer signs in with Google, Facebook or Apple, or an OpenID Provider on the internet,
through the hosted pages and allauth's real code path (issue 11). Only the providers' servers
are faked (tests/factories/social.py): they lie outside this machine.

Each sign-in goes as a browser would: the app's authorization request, "Continue with …" on
the sign-in page, our 302 to the provider's real authorization URL, the provider's answer back
to our callback, a customer created through the app's user flow, and the app's ID token naming
the provider in `idp`. What the provider or the browser may send wrong ends on our 400 page in
the customer's language, with nothing stored.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import User
from apps.models import Grant
from federation.models import IdentityProvider, ProviderKind
from federation.selectors import callback_path
from federation.services import identity_provider_create
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.factories.federation import browser, id_token_of, path_of
from tests.factories.flows import FlowWorld, make_flow_world
from tests.factories.social import (
    ID_TOKEN_DEFECTS,
    OIDC_ISSUER,
    Answer,
    FakeProviders,
    Person,
    Registration,
    apple_private_key,
    oidc_discovery_document,
)
from userflows.services import userflow_identity_providers_set

Capture = Callable[..., Any]

ADA = Person(
    sub="108561234567890123456", email="ada@gmail.com", given_name="Ada", family_name="Lovelace"
)
NAMES = {"google": "Google", "facebook": "Facebook", "apple": "Apple", "oidc": "Example ID"}
IDP = {
    "google": "google.com",
    "facebook": "facebook.com",
    "apple": "appleid.apple.com",
    "oidc": OIDC_ISSUER,
}


@dataclass
class Social:
    """A tenant's flow world with one provider enabled on its flow, and the app registered for
    it at the fake provider."""

    world: FlowWorld
    provider: IdentityProvider
    registration: Registration
    fake: FakeProviders

    @property
    def tenant(self) -> Tenant:
        return self.world.tenant

    @property
    def callback(self) -> str:
        """The redirect URI registered at the provider (the admin center shows it)."""
        return f"http://localhost/{self.tenant.domain_name}/{callback_path(self.provider)}"

    @property
    def login_path(self) -> str:
        return (
            f"/{self.tenant.domain_name}/{callback_path(self.provider).removesuffix('callback/')}"
        )


def socialize(
    fake: FakeProviders,
    tenant: Tenant,
    kind: str,
    *,
    world: FlowWorld | None = None,
    client_id: str = "",
    trusted: bool = False,
) -> Social:
    """Register `kind` (google, facebook, apple or oidc: the OpenID Provider at OIDC_ISSUER)
    at the provider and in the tenant, through the federation service as the admin center does,
    and enable it on the flow."""
    world = world or make_flow_world(tenant)
    client_id = client_id or f"{kind}-client-{tenant.domain_name}"
    registration = Registration(client_id=client_id, client_secret=f"{kind}-secret-{client_id}")
    secret = registration.client_secret
    extra: dict[str, Any] = {}
    if kind == "apple":
        pem, public_key = apple_private_key()
        registration.team_id, secret = "TEAM123456", pem
        registration.apple_keys["KEY1234567"] = public_key
        extra = {"team_id": "TEAM123456", "key_id": "KEY1234567"}
    elif kind == "oidc":
        document = json.dumps(oidc_discovery_document()).encode()
        extra = {
            "well_known_url": f"{OIDC_ISSUER}/.well-known/openid-configuration",
            "fetch": lambda url: document,
        }
    with in_tenant(tenant):
        provider = identity_provider_create(
            kind=ProviderKind.OPENID_CONNECT if kind == "oidc" else kind,
            display_name=NAMES[kind],
            client_id=client_id,
            secret=secret,
            trusted_for_email=trusted,
            **extra,
        )
        userflow_identity_providers_set(flow=world.flow, provider_ids=[provider.pk])
    social = Social(world=world, provider=provider, registration=registration, fake=fake)
    registration.redirect_uris.add(social.callback)
    fake.register(kind, registration)
    return social


def start(client: Client, social: Social, *, ui_locales: str = "") -> str:
    """The app's authorization request, then "Continue with <provider>" on the sign-in page:
    our 302 to the provider's authorization URL (its Location)."""
    app_request = authorize_url(social.world) + (f"&ui_locales={ui_locales}" if ui_locales else "")
    page = client.get(app_request)
    assert page.status_code == 200
    if not ui_locales:
        assert f"Continue with {social.provider.display_name}" in page.text
    started = client.post(social.login_path, {"process": "login", "next": app_request})
    assert started.status_code == 302, started.content[:300]
    return str(started["Location"])


def come_back(client: Client, url: str) -> Any:
    """The browser follows the provider's redirect to our callback."""
    assert url.startswith("http://localhost/"), url
    return client.get(path_of(url))


def apple_post_back(client: Client, url: str, form: dict[str, str]) -> Any:
    """Apple's form_post: the browser POSTs to our callback, which sends it on to allauth's
    finish URL with the code and state (the name stays in a short-lived session of its own)."""
    posted = client.post(path_of(url), form)
    assert posted.status_code == 302, posted.content[:300]
    return client.get(path_of(posted["Location"]))


@pytest.fixture
def google(fake_social: FakeProviders, tenant_a: Tenant) -> Social:
    return socialize(fake_social, tenant_a, "google")


# -- Google, Facebook, Apple: a first sign-in is a sign-up through the flow ------------------


def test_google_first_sign_in_creates_the_customer_through_the_flow(google: Social) -> None:
    client = browser()
    location = start(client, google)
    to_google = urlsplit(location)
    query = parse_qs(to_google.query)
    assert f"{to_google.scheme}://{to_google.netloc}{to_google.path}" == (
        "https://accounts.google.com/o/oauth2/v2/auth"
    )
    assert query["client_id"] == [google.registration.client_id]
    assert query["redirect_uri"] == [google.callback]
    assert query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split()  # so that Google answers with an ID token
    assert query["state"][0]
    assert query["code_challenge_method"] == ["S256"]  # PKCE (RFC 7636)

    answer = come_back(client, google.fake.consent(location, ADA))
    complete = f"/{google.tenant.domain_name}/account/complete/"
    assert answer.status_code == 302, answer.content[:500]
    assert answer["Location"] == complete  # the flow requires a tier Google does not know
    page = client.get(complete)
    assert 'value="Ada"' in page.text  # the first name, from Google's given_name
    assert "Password" not in page.text
    with in_tenant(google.tenant):
        user = User.objects.get(email="ada@gmail.com")
        assert (user.given_name, user.surname, user.display_name) == (
            "Ada",
            "Lovelace",
            "Ada Lovelace",
        )
        assert user.emailaddress_set.get().verified  # Google is trusted for email
        assert SocialAccount.objects.get(user=user).uid == ADA.sub
    done = client.post(complete, {"attr_given_name": "Ada", "attr_Tier": "gold"})
    claims = id_token_of(client, google.world, done)
    assert claims["idp"] == "google.com"
    # The token exchange went to Google with the code's verifier; the keys were fetched.
    assert "POST oauth2.googleapis.com/token" in google.fake.requested
    assert "GET www.googleapis.com/oauth2/v1/certs" in google.fake.requested

    # Again in a new browser: the same customer, straight back to the app.
    second = browser()
    again = come_back(second, google.fake.consent(start(second, google), ADA))
    assert again.status_code == 302
    assert second.get(again["Location"])["Location"].startswith("https://shop.example/callback?")
    with in_tenant(google.tenant):
        assert User.objects.count() == 1
        assert SocialAccount.objects.count() == 1


def test_facebook_first_sign_in_verifies_the_email_here(
    fake_social: FakeProviders, tenant_a: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    facebook = socialize(fake_social, tenant_a, "facebook")
    person = Person(
        sub="10229876543210", email="grace@example.com", given_name="Grace", family_name="Hopper"
    )
    client = browser()
    location = start(client, facebook)
    to_facebook = urlsplit(location)
    assert to_facebook.netloc == "www.facebook.com"
    assert to_facebook.path.endswith("/dialog/oauth")
    query = parse_qs(to_facebook.query)
    assert query["redirect_uri"] == [facebook.callback]
    assert query["state"][0]

    with django_capture_on_commit_callbacks(execute=True):
        answer = come_back(client, fake_social.consent(location, person))
    assert answer.status_code == 302, answer.content[:500]
    confirm = f"/{tenant_a.domain_name}/account/confirm-email/"
    assert answer["Location"] == confirm  # Facebook's email is not taken as verified
    with in_tenant(tenant_a):
        user = User.objects.get(email="grace@example.com")
        assert not user.emailaddress_set.get().verified
        assert (user.given_name, user.surname, user.display_name) == (
            "Grace",
            "Hopper",
            "Grace Hopper",
        )
    # Graph /me was asked with the app secret's proof (the fake refuses it otherwise).
    assert any(call.endswith("/me") for call in fake_social.requested)
    verified = client.post(confirm, {"code": last_code()})
    assert verified.status_code == 302, verified.content[:500]
    complete = verified["Location"]
    assert complete.endswith("/account/complete/")
    done = client.post(complete, {"attr_given_name": "Grace", "attr_Tier": "silver"})
    assert id_token_of(client, facebook.world, done)["idp"] == "facebook.com"
    with in_tenant(tenant_a):
        assert EmailAddress.objects.get(email="grace@example.com").verified


def test_facebook_trusted_for_email_skips_our_code(
    fake_social: FakeProviders, tenant_a: Tenant
) -> None:
    """The admin's "Trust the email addresses Facebook reports as verified": Graph returns an
    email only when the person confirmed it, so a trusted Facebook's email is verified."""
    facebook = socialize(fake_social, tenant_a, "facebook", trusted=True)
    person = Person(sub="10220000000001", email="kay@example.com", given_name="Kay")
    client = browser()
    answer = come_back(client, fake_social.consent(start(client, facebook), person))
    assert answer["Location"].endswith("/account/complete/"), answer.get("Location")
    with in_tenant(tenant_a):
        assert EmailAddress.objects.get(email="kay@example.com").verified


@pytest.mark.parametrize("private_relay", [False, True])
def test_apple_first_sign_in_creates_the_customer_through_the_flow(
    fake_social: FakeProviders, tenant_a: Tenant, private_relay: bool
) -> None:
    apple = socialize(fake_social, tenant_a, "apple")
    email = "x7kd92mq4z@privaterelay.appleid.com" if private_relay else "tim@icloud.com"
    person = Person(
        sub="001234.5c1f0e9a8b7d4c3e.1234",
        email=email,
        given_name="Tim",
        family_name="Cook",
        private_email=private_relay,
    )
    client = browser()
    location = start(client, apple)
    to_apple = urlsplit(location)
    assert f"https://{to_apple.netloc}{to_apple.path}" == "https://appleid.apple.com/auth/authorize"
    url, form = fake_social.apple_consent(location, person)
    assert url == apple.callback
    answer = apple_post_back(client, url, form)
    assert answer.status_code == 302, answer.content[:500]
    complete = f"/{tenant_a.domain_name}/account/complete/"
    assert answer["Location"] == complete
    with in_tenant(tenant_a):
        user = User.objects.get(email=email)
        # The name Apple shares once, in the `user` form field, beside the signed ID token.
        assert (user.given_name, user.surname) == ("Tim", "Cook")
        assert user.emailaddress_set.get().verified  # Apple is trusted for email
        assert SocialAccount.objects.get(user=user).uid == person.sub
    # Apple's token endpoint took our client secret: an ES256 JWT of the uploaded key.
    assert "POST appleid.apple.com/auth/token" in fake_social.requested
    done = client.post(complete, {"attr_given_name": "Tim", "attr_Tier": "gold"})
    assert id_token_of(client, apple.world, done)["idp"] == "appleid.apple.com"

    # Apple sends no `user` the second time: the same customer, names kept.
    second = browser()
    url, form = fake_social.apple_consent(start(second, apple), person, first_time=False)
    again = apple_post_back(second, url, form)
    assert again.status_code == 302
    with in_tenant(tenant_a):
        assert User.objects.get().given_name == "Tim"


# -- What goes wrong: our 400 page, nothing stored --------------------------------------------


def assert_refused(answer: Any, social: Social) -> None:
    assert answer.status_code == 400, answer.content[:500]
    assert "<h1>Sign-in did not complete</h1>" in answer.text
    assert f"Signing in with {social.provider.display_name} did not complete." in answer.text
    assert_nothing_stored(social)


def assert_nothing_stored(social: Social) -> None:
    with in_tenant(social.tenant):
        assert not User.objects.exists()
        assert not SocialAccount.objects.exists()
        assert not Grant.objects.exists()


@pytest.fixture(params=["google", "oidc"])
def id_token_provider(
    request: pytest.FixtureRequest, fake_social: FakeProviders, tenant_a: Tenant
) -> Social:
    """Google, or an OpenID Provider the admin registered (whoever runs it may be hostile)."""
    return socialize(fake_social, tenant_a, str(request.param), trusted=True)


@pytest.mark.parametrize("defect", ID_TOKEN_DEFECTS)
def test_an_id_token_that_does_not_verify_is_refused(
    id_token_provider: Social, defect: str
) -> None:
    """OIDC Core §3.1.3.7: the signature with a key the provider publishes (never `none`),
    `iss`, `aud` and `exp` are checked, even on a token that came from the token endpoint."""
    social = id_token_provider
    social.fake.id_token_defect = defect
    client = browser()
    answer = come_back(client, social.fake.consent(start(client, social), ADA))
    assert_refused(answer, social)


@pytest.fixture
def openid_provider(fake_social: FakeProviders, tenant_a: Tenant) -> Social:
    return socialize(fake_social, tenant_a, "oidc", trusted=True)


def test_an_openid_provider_without_an_id_token_is_refused(openid_provider: Social) -> None:
    """OIDC Core §3.1.3.3: the token response carries an ID token; without one, allauth would
    have believed the userinfo alone."""
    openid_provider.fake.id_token_defect = "missing"
    client = browser()
    answer = come_back(client, openid_provider.fake.consent(start(client, openid_provider), ADA))
    assert_refused(answer, openid_provider)


def test_an_openid_providers_userinfo_about_someone_else_is_refused(
    openid_provider: Social,
) -> None:
    """OIDC Core §5.3.2: the userinfo's `sub` is the ID token's."""
    openid_provider.fake.userinfo_sub = "someone-else"
    client = browser()
    answer = come_back(client, openid_provider.fake.consent(start(client, openid_provider), ADA))
    assert_refused(answer, openid_provider)


def test_an_id_token_that_verifies_signs_in_through_the_openid_provider(
    fake_social: FakeProviders, tenant_a: Tenant
) -> None:
    """The control for the test above: nothing spoiled, the OpenID Provider signs Ada in."""
    social = socialize(fake_social, tenant_a, "oidc", trusted=True)
    client = browser()
    location = start(client, social)
    assert location.startswith(f"{OIDC_ISSUER}/authorize?")
    answer = come_back(client, fake_social.consent(location, ADA))
    assert answer["Location"].endswith("/account/complete/"), answer.content[:500]
    done = client.post(answer["Location"], {"attr_given_name": "Ada", "attr_Tier": "gold"})
    assert id_token_of(client, social.world, done)["idp"] == OIDC_ISSUER
    assert "GET id.example.net/jwks" in fake_social.requested


@pytest.mark.parametrize(
    "token_answer",
    [
        Answer.json(500, {"error": "server_error"}),
        Answer(500, b"<html>Internal Server Error</html>", "text/html"),
        Answer(200, b"<html>Sign in</html>", "text/html"),  # not JSON
        Answer(200, b"{not json", "application/json"),
        Answer.json(200, {"access_token": "x", "token_type": "Bearer", "expires_in": "soon"}),
        Answer.json(200, ["access_token"]),
    ],
)
def test_a_token_endpoint_that_fails_is_refused(
    id_token_provider: Social, token_answer: Answer
) -> None:
    social = id_token_provider
    social.fake.token_answer = token_answer
    client = browser()
    answer = come_back(client, social.fake.consent(start(client, social), ADA))
    assert_refused(answer, social)


def test_the_customer_cancelling_at_the_provider_is_refused(id_token_provider: Social) -> None:
    client = browser()
    answer = come_back(client, id_token_provider.fake.refuse(start(client, id_token_provider)))
    assert_refused(answer, id_token_provider)


def test_a_callback_with_a_wrong_state_is_refused(id_token_provider: Social) -> None:
    social = id_token_provider
    client = browser()
    back = social.fake.consent(start(client, social), ADA)
    forged = back.replace("state=", "state=forged", 1)
    assert_refused(come_back(client, forged), social)
    # The code was never exchanged: our side stopped at the state.
    assert not [call for call in social.fake.requested if "token" in call]


def test_a_replayed_code_is_refused(id_token_provider: Social) -> None:
    """A code seen once (in a log, a referrer) is played again into another browser's sign-in:
    the provider's token endpoint refuses it (invalid_grant) and nothing more is stored."""
    social = id_token_provider
    first = browser()
    back = social.fake.consent(start(first, social), ADA)
    assert come_back(first, back).status_code == 302
    code = parse_qs(urlsplit(back).query)["code"][0]
    other = browser()
    state = parse_qs(urlsplit(start(other, social)).query)["state"][0]
    replayed = other.get(path_of(social.callback), {"code": code, "state": state})
    assert replayed.status_code == 400
    assert "Sign-in did not complete" in replayed.text
    with in_tenant(social.tenant):
        assert User.objects.count() == 1
        assert SocialAccount.objects.count() == 1


def test_a_replayed_callback_url_is_refused(id_token_provider: Social) -> None:
    """The whole callback URL again: in the same browser, or in another one signing in to the
    app, its state is used up (400); in a browser with no sign-in under way, no flow offers
    the provider (404). The code is never exchanged again."""
    social = id_token_provider
    client = browser()
    back = social.fake.consent(start(client, social), ADA)
    assert come_back(client, back).status_code == 302
    exchanges = len([call for call in social.fake.requested if "token" in call])
    other = browser()
    start(other, social)
    for replay in (client, other):
        answer = come_back(replay, back)
        assert answer.status_code == 400
        assert "Sign-in did not complete" in answer.text
    assert come_back(browser(), back).status_code == 404
    assert len([call for call in social.fake.requested if "token" in call]) == exchanges
    with in_tenant(social.tenant):
        assert User.objects.count() == 1


def test_the_error_page_speaks_the_customers_language(google: Social) -> None:
    client = browser()
    location = start(client, google, ui_locales="fr")
    answer = come_back(client, google.fake.refuse(location))
    assert answer.status_code == 400
    assert 'lang="fr"' in answer.text
    # French typography's apostrophe, as the translation writes it.
    assert "La connexion n\u2019a pas abouti" in answer.text
    assert "La connexion avec Google n\u2019a pas abouti." in answer.text
    assert "did not complete" not in answer.text
    assert_nothing_stored(google)


def test_apple_refuses_an_unsigned_id_token(fake_social: FakeProviders, tenant_a: Tenant) -> None:
    apple = socialize(fake_social, tenant_a, "apple")
    client = browser()
    location = start(client, apple)
    url, form = fake_social.apple_consent(location, ADA)
    fake_social.id_token_defect = "alg_none"  # what Apple's token endpoint then answers
    assert_refused(apple_post_back(client, url, form), apple)


def test_token_sign_in_routes_are_not_offered(google: Social) -> None:
    """allauth's sign-in by a token the browser posts (Google One Tap, Facebook's JS SDK) is not
    how the hosted pages sign in: those routes are not served."""
    client = browser()
    start(client, google)
    domain = google.tenant.domain_name
    client.cookies["g_csrf_token"] = "x"
    for path in ("google/login/token/", "facebook/login/token/"):
        answer = client.post(
            f"/{domain}/account/{path}", {"credential": "e30.e30.", "g_csrf_token": "x"}
        )
        assert answer.status_code == 404


# -- Isolation ----------------------------------------------------------------------------


def test_the_same_google_subject_in_two_tenants_is_two_customers(
    fake_social: FakeProviders, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    in_a = socialize(
        fake_social, tenant_a, "google", client_id="fabrikam.apps.googleusercontent.com"
    )
    in_b = socialize(
        fake_social, tenant_b, "google", client_id="contoso.apps.googleusercontent.com"
    )
    for social in (in_a, in_b):
        client = browser()
        answer = come_back(client, fake_social.consent(start(client, social), ADA))
        done = client.post(answer["Location"], {"attr_given_name": "Ada", "attr_Tier": "gold"})
        assert id_token_of(client, social.world, done)["idp"] == "google.com"
    users = {}
    for tenant in (tenant_a, tenant_b):
        with in_tenant(tenant):
            user = User.objects.get()
            account = SocialAccount.objects.get()
            assert (account.user_id, account.uid, account.provider) == (user.pk, ADA.sub, "google")
            users[tenant.domain_name] = user.object_id
    assert users[tenant_a.domain_name] != users[tenant_b.domain_name]
