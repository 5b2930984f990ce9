"""Never a half-made customer: a sign-up whose connection is lost midway (the database
restarting between allauth's statements) leaves no account, and is answered 503 to retry."""

from collections.abc import Callable
from typing import Any
from unittest import mock

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import OperationalError
from django.test import Client

from accounts.models import User
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.federation import browser
from tests.factories.flows import FlowWorld
from tests.factories.social import FakeProviders
from tests.journey.test_social_providers import ADA, come_back, socialize, start

Capture = Callable[..., Any]
LOST = OperationalError("server closed the connection unexpectedly")


def customer_rows(tenant: Tenant, email: str) -> tuple[int, int, int]:
    """(accounts, email addresses, identities) with this address."""
    with in_tenant(tenant):
        return (
            User.objects.filter(email__iexact=email).count(),
            EmailAddress.objects.filter(email__iexact=email).count(),
            SocialAccount.objects.filter(user__email__iexact=email).count(),
        )


def test_a_sign_up_that_loses_the_database_after_the_account_leaves_nothing(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    world, tenant = flow_world, flow_world.tenant.domain_name
    client = Client(raise_request_exception=False)
    client.get(authorize_url(world))
    form = {"email": "half@example.com", "next": authorize_url(world)}
    # allauth saves the account, then its email address: the connection goes in between.
    with mock.patch("allauth.account.forms.setup_user_email", side_effect=LOST):
        lost = client.post(f"/{tenant}/account/signup/", form)
    assert lost.status_code == 503
    assert lost["Retry-After"]
    assert customer_rows(world.tenant, "half@example.com") == (0, 0, 0)

    # Nothing stands in the way of trying again.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/{tenant}/account/signup/", form)
    assert again.status_code == 302, again.content[:300]
    assert customer_rows(world.tenant, "half@example.com") == (1, 1, 0)


def test_a_provider_sign_up_that_loses_the_database_leaves_no_account_without_identity(
    fake_social: FakeProviders, tenant_a: Tenant
) -> None:
    google = socialize(fake_social, tenant_a, "google")
    client = browser()
    client.raise_request_exception = False
    consent = google.fake.consent(start(client, google), ADA)
    # allauth saves the account and the provider's account, then the email addresses.
    with mock.patch("allauth.socialaccount.models.setup_user_email", side_effect=LOST):
        lost = come_back(client, consent)
    assert lost.status_code == 503
    assert customer_rows(tenant_a, ADA.email) == (0, 0, 0)
