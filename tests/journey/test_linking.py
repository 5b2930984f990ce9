"""Safe account linking (issue 11, journey/linking.py): contoso, another tenant of this product,
is an OpenID Provider of fabrikam, and tells fabrikam an email that a customer of fabrikam
already has. Linking is offered only when contoso verified the email and fabrikam trusts it for
email, and happens only after the customer signs in to the account here; nothing is stored
before (no SocialAccount, no User, no Grant)."""

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.services import customer_block, customer_delete
from apps.models import Grant
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_issuer
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.federation import (
    Federation,
    browser,
    contoso_callback,
    federate,
    id_token_of,
    through_contoso,
)
from tests.factories.flows import FLOW_APP_REDIRECT
from userflows.models import SignInMethod

Capture = Callable[..., Any]
VICTIM = "grace@example.com"
OFFER = "Sign in to it once to link Contoso to it."


def link_url(world: Federation) -> str:
    return f"/{world.fabrikam.tenant.domain_name}/account/link/"


def login_url(world: Federation) -> str:
    return f"/{world.fabrikam.tenant.domain_name}/account/login/"


def nothing_stored(world: Federation, email: str = VICTIM) -> None:
    """fabrikam holds nothing of the sign-in through contoso: no linked account, no second
    customer with the email, no code for the app."""
    with in_tenant(world.fabrikam.tenant):
        assert not SocialAccount.objects.exists()
        assert User.objects.filter(email__iexact=email).count() == 1
        assert not Grant.objects.exists()


def linked_provider(world: Federation, email: str = VICTIM) -> list[str]:
    with in_tenant(world.fabrikam.tenant):
        return list(
            SocialAccount.objects.filter(user__email__iexact=email).values_list(
                "provider", flat=True
            )
        )


def signed_in(client: Client, world: Federation) -> bool:
    """Whether the browser is signed in to fabrikam: the app's request is answered with a code
    at once, instead of the sign-in page."""
    answer = client.get(authorize_url(world.fabrikam))
    return answer.status_code == 302 and answer["Location"].startswith(f"{FLOW_APP_REDIRECT}?")


def offered(world: Federation, email: str = VICTIM) -> Client:
    """A browser in which contoso asserted the verified `email` of a fabrikam customer: the
    link offer is made and nothing is stored."""
    make_customer(world.contoso, email)
    client = browser()
    answer = through_contoso(client, world, email)
    assert answer.status_code == 302, answer.content[:300]
    assert answer["Location"] == link_url(world)
    nothing_stored(world, email)
    return client


def password_sign_in(client: Client, world: Federation, email: str, password: str) -> Any:
    return client.post(
        login_url(world),
        {"login": email, "password": password, "next": authorize_url(world.fabrikam)},
    )


def test_a_verified_email_links_only_after_the_password(
    federation: Federation, django_capture_on_commit_callbacks: Capture
) -> None:
    victim = make_customer(federation.fabrikam.tenant, VICTIM)
    client = offered(federation)

    page = client.get(link_url(federation))
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert f'You already have an account with <strong class="recipient">{VICTIM}</strong>.' in text
    assert OFFER in text
    # A password flow offers the password first, then an emailed code.
    assert text.index("Sign in with your password") < text.index("Email me a code")

    login = client.get(login_url(federation), {"next": authorize_url(federation.fabrikam)})
    assert f'value="{VICTIM}"' in login.text  # the address prefilled
    assert "to link Contoso to your account" in login.text

    wrong = password_sign_in(client, federation, VICTIM, "not-the-password")
    assert wrong.status_code == 200
    assert not signed_in(client, federation)
    nothing_stored(federation)

    with django_capture_on_commit_callbacks(execute=True):
        right = password_sign_in(client, federation, VICTIM, PASSWORD)
    claims = id_token_of(client, federation.fabrikam, right)
    # The customer is told, at the account's address, in the tenant's name.
    [told] = [message for message in mail.outbox if message.to == [VICTIM]]
    assert told.subject == f"Contoso was linked to your {federation.fabrikam.app.name} account"
    assert "You can now sign in to " + VICTIM + " with Contoso." in told.body
    assert claims["idp"] == tenant_issuer(federation.contoso)
    assert claims["oid"] == str(victim.object_id)
    assert linked_provider(federation) == ["contoso"]
    with in_tenant(federation.fabrikam.tenant):
        assert User.objects.filter(email__iexact=VICTIM).count() == 1
    assert client.get(link_url(federation))["Location"].endswith("/account/login/")  # ended

    # The next sign-in through contoso, in a new browser, goes straight back to the app.
    again_browser = browser()
    again = through_contoso(again_browser, federation, VICTIM)
    assert again.status_code == 302
    assert again["Location"] == authorize_url(federation.fabrikam)
    again = again_browser.get(again["Location"])
    claims = id_token_of(again_browser, federation.fabrikam, again)
    assert claims["idp"] == tenant_issuer(federation.contoso)
    assert claims["oid"] == str(victim.object_id)


@pytest.mark.parametrize("method", [SignInMethod.EMAIL_PASSWORD, SignInMethod.EMAIL_OTP])
def test_an_emailed_code_links_too(
    federation: Federation, method: str, django_capture_on_commit_callbacks: Capture
) -> None:
    fabrikam = federation.fabrikam.tenant
    with in_tenant(fabrikam):
        federation.fabrikam.flow.sign_in_method = method
        federation.fabrikam.flow.save()
    make_customer(fabrikam, VICTIM)
    client = offered(federation)
    page = client.get(link_url(federation))
    # A code flow offers the code alone; a password flow, the code after the password.
    assert ("Sign in with your password" in page.text) == (method == SignInMethod.EMAIL_PASSWORD)
    assert 'form="link-by-code"' in page.text

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/{fabrikam.domain_name}/account/login/code/",
            {"email": VICTIM, "next": authorize_url(federation.fabrikam)},
        )
    assert sent.status_code == 302, sent.content[:300]
    confirm = client.get(sent["Location"])
    assert "to link Contoso to your account" in confirm.text
    nothing_stored(federation)
    answer = client.post(sent["Location"], {"code": last_code()})
    claims = id_token_of(client, federation.fabrikam, answer)
    assert claims["idp"] == tenant_issuer(federation.contoso)
    assert linked_provider(federation) == ["contoso"]


def test_an_email_contoso_did_not_verify_is_never_linked(federation: Federation) -> None:
    """contoso is trusted for email, but its customer's address is not verified when contoso
    answers: email_verified is false. No offer; signing in here afterwards links nothing."""
    make_customer(federation.fabrikam.tenant, VICTIM)
    at_contoso = make_customer(federation.contoso, VICTIM)
    client = browser()
    callback = contoso_callback(client, federation, VICTIM)
    with in_tenant(federation.contoso):
        EmailAddress.objects.filter(user=at_contoso).update(verified=False)
    answer = client.get(callback)
    assert answer.status_code == 409
    text = re.sub(r"\s+", " ", answer.text)
    assert "Contoso has not confirmed that this email address is yours" in text
    assert "Sign in with your email address and password instead." in text
    assert OFFER not in text
    nothing_stored(federation)
    assert client.get(link_url(federation))["Location"].endswith("/account/login/")

    local = password_sign_in(client, federation, VICTIM, PASSWORD)
    assert "idp" not in id_token_of(client, federation.fabrikam, local)
    assert linked_provider(federation) == []


@pytest.mark.parametrize("attack", ["unverified", "verified-at-untrusted-provider"])
def test_a_provider_asserting_a_victims_email_gets_no_access(
    tenant_a: Tenant, tenant_b: Tenant, in_process_http: None, attack: str
) -> None:
    """The attacker controls an account at contoso that claims the victim's address: (a) not
    verified, at a provider fabrikam trusts for email; (b) verified, at a provider fabrikam
    did not mark trusted. Neither is offered linking, signs in, or leaves anything stored."""
    world = federate(tenant_a, tenant_b, trusted=attack == "unverified")
    make_customer(world.fabrikam.tenant, VICTIM)
    attackers = make_customer(world.contoso, VICTIM)
    client = browser()
    callback = contoso_callback(client, world, VICTIM)
    if attack == "unverified":
        with in_tenant(world.contoso):
            EmailAddress.objects.filter(user=attackers).update(verified=False)
    answer = client.get(callback)
    assert answer.status_code == 409
    text = re.sub(r"\s+", " ", answer.text)
    assert OFFER not in text
    why = (
        "Contoso has not confirmed that this email address is yours"
        if attack == "unverified"
        else "This organization does not rely on Contoso to confirm email addresses"
    )
    assert why in text
    assert not signed_in(client, world)
    assert client.get(link_url(world))["Location"].endswith("/account/login/")
    # Nor does a code for the victim come of it: the proof pages stay closed to a password flow.
    code_page = client.get(f"/{world.fabrikam.tenant.domain_name}/account/login/code/")
    assert code_page["Location"].startswith(login_url(world))
    nothing_stored(world)


def test_signing_in_as_another_customer_links_nothing(federation: Federation) -> None:
    make_customer(federation.fabrikam.tenant, VICTIM)
    make_customer(federation.fabrikam.tenant, "mallory@example.com")
    client = offered(federation)
    other = password_sign_in(client, federation, "mallory@example.com", PASSWORD)
    assert "idp" not in id_token_of(client, federation.fabrikam, other)
    with in_tenant(federation.fabrikam.tenant):
        assert not SocialAccount.objects.exists()
    # The offer ended with that sign-in: the victim signing in afterwards links nothing either.
    client.post(f"/{federation.fabrikam.tenant.domain_name}/account/logout/")
    victim = password_sign_in(client, federation, VICTIM, PASSWORD)
    assert "idp" not in id_token_of(client, federation.fabrikam, victim)
    with in_tenant(federation.fabrikam.tenant):
        assert not SocialAccount.objects.exists()


def test_an_expired_or_cancelled_offer_links_nothing(
    federation: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_customer(federation.fabrikam.tenant, VICTIM)
    client = offered(federation)
    cancelled = client.post(link_url(federation))
    assert cancelled.status_code == 302
    assert cancelled["Location"] == authorize_url(federation.fabrikam)  # the sign-in again
    assert client.get(link_url(federation))["Location"].endswith("/account/login/")
    answer = password_sign_in(client, federation, VICTIM, PASSWORD)
    assert "idp" not in id_token_of(client, federation.fabrikam, answer)
    assert linked_provider(federation) == []

    late = browser()
    answer = through_contoso(late, federation, VICTIM)
    assert answer["Location"] == link_url(federation)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 11 * 60)  # the offer lasts 10 minutes
    assert late.get(link_url(federation))["Location"].endswith("/account/login/")
    answer = password_sign_in(late, federation, VICTIM, PASSWORD)
    assert "idp" not in id_token_of(late, federation.fabrikam, answer)
    assert linked_provider(federation) == []


@pytest.mark.parametrize("ended", [customer_block, customer_delete])
def test_a_blocked_or_deleted_customer_is_not_offered_linking(
    federation: Federation, ended: Callable[..., User]
) -> None:
    customer = make_customer(federation.fabrikam.tenant, VICTIM)
    with in_tenant(federation.fabrikam.tenant):
        ended(customer=customer)
    make_customer(federation.contoso, VICTIM)
    client = browser()
    answer = through_contoso(client, federation, VICTIM)
    assert answer.status_code == 409
    assert OFFER not in answer.text
    assert client.get(link_url(federation))["Location"].endswith("/account/login/")
    assert not signed_in(client, federation)
    nothing_stored(federation)


def test_the_offer_page_speaks_french(federation: Federation) -> None:
    make_customer(federation.fabrikam.tenant, VICTIM)
    client = offered(federation)
    page = client.get(link_url(federation), HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200
    assert '<html lang="fr"' in page.text
    assert "<h1>Vous avez déjà un compte</h1>" in page.text  # its strings go through gettext
    assert ">Annuler</button>" in page.text
    assert VICTIM in page.text
