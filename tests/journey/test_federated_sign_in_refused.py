"""Blocking or deleting a customer ends their sign-in through an identity provider too (issue
11): contoso still vouches for the customer, but fabrikam refuses them with a clear page, signs
nobody in and sends the app no code; unblocking (or restoring) lets them in again."""

from collections.abc import Callable

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import User
from accounts.services import customer_block, customer_delete, customer_restore, customer_unblock
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.accounts import make_customer
from tests.factories.federation import Federation, browser, id_token_of, through_contoso
from tests.factories.flows import FLOW_APP_REDIRECT


def signed_up_through_contoso(world: Federation, email: str) -> User:
    """A fabrikam customer made by signing up through contoso (attribute page completed)."""
    make_customer(world.contoso, email)
    client = browser()
    answer = through_contoso(client, world, email)
    done = client.post(answer["Location"], {"attr_given_name": "Ada", "attr_Tier": "gold"})
    assert "idp" in id_token_of(client, world.fabrikam, done)
    with in_tenant(world.fabrikam.tenant):
        return User.objects.get(email=email)


def assert_refused(world: Federation, client: Client, answer: object) -> None:
    """The callback's answer leads to the blocked-account page; nobody is signed in at
    fabrikam and the app's sign-in asks for a sign-in again instead of answering with a code."""
    fabrikam = world.fabrikam.tenant.domain_name
    status = getattr(answer, "status_code", 0)
    assert status == 302, getattr(answer, "content", b"")[:300]
    location = answer["Location"]  # type: ignore[index]
    assert not location.startswith(FLOW_APP_REDIRECT), location
    page = client.get(location)
    assert page.status_code == 200
    assert "<h1>Your account is blocked</h1>" in page.text
    assert "An administrator has blocked sign-in for this account." in page.text
    home = client.get(f"/{fabrikam}/")
    assert home.status_code == 302
    assert "/account/login/" in home["Location"]  # not signed in
    again = client.get(authorize_url(world.fabrikam))
    assert again.status_code == 200  # the sign-in page, no code
    assert "Continue with Contoso" in again.text


def assert_signs_in(world: Federation, email: str) -> None:
    client = browser()
    answer = through_contoso(client, world, email)
    assert answer.status_code == 302
    assert answer["Location"] == authorize_url(world.fabrikam)
    back = client.get(answer["Location"])
    assert back["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), back["Location"]


Change = Callable[..., User]


@pytest.mark.parametrize(
    ("refuse", "allow"),
    [(customer_block, customer_unblock), (customer_delete, customer_restore)],
    ids=["blocked", "deleted"],
)
def test_a_blocked_or_deleted_customer_cannot_sign_in_through_contoso(
    federation: Federation, refuse: Change, allow: Change
) -> None:
    customer = signed_up_through_contoso(federation, "ada@contoso.example")
    with in_tenant(federation.fabrikam.tenant):
        refuse(customer=customer)

    client = browser()
    answer = through_contoso(client, federation, "ada@contoso.example")
    assert_refused(federation, client, answer)
    with in_tenant(federation.fabrikam.tenant):
        # Refused, not re-created: still the one customer, with its one linked identity.
        assert User.objects.filter(email__iexact="ada@contoso.example").count() == 1
        assert SocialAccount.objects.filter(user=customer).count() == 1

    with in_tenant(federation.fabrikam.tenant):
        allow(customer=User.objects.get(pk=customer.pk))
    assert_signs_in(federation, "ada@contoso.example")
