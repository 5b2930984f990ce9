"""Sign-up drop-off (issue 13): each step of a sign-up through the hosted pages is counted once,
in the flow the sign-up runs, as it happens (journey/funnel.py)."""

from collections.abc import Callable
from typing import Any

from django.test import Client

from monitoring.models import UsageCount
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.factories.accounts import make_customer
from tests.factories.federation import browser
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld
from tests.factories.social import FakeProviders, Person
from tests.journey.test_social_providers import ADA, come_back, socialize, start

Capture = Callable[..., Any]
PROFILE = {
    "password1": "Long-Enough-Pass-1",
    "password2": "Long-Enough-Pass-1",
    "attr_given_name": "Ada",
    "attr_Tier": "gold",
}


def steps(tenant: Tenant) -> dict[str, tuple[str, str, int]]:
    """Each step's count: metric → (flow ID, flow name, count)."""
    with in_tenant(tenant):
        return {
            row.metric.removeprefix("sign_up_"): (row.key, row.label, row.count)
            for row in UsageCount.objects.filter(metric__startswith="sign_up_")
        }


def sign_up_form(client: Client, world: FlowWorld, email: str, capture: Capture) -> Any:
    client.get(authorize_url(world))
    with capture(execute=True):
        sent = client.post(
            f"/{world.tenant.domain_name}/account/signup/",
            {"email": email, "next": authorize_url(world)},
        )
    assert sent.status_code == 302, sent.content[:300]
    return sent


def test_each_step_of_a_sign_up_is_counted_once_in_its_flow(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    world, capture = flow_world, django_capture_on_commit_callbacks
    flow = (str(world.flow.flow_id), world.flow.name)
    client = Client()
    sent = sign_up_form(client, world, "funnel@example.com", capture)
    assert steps(world.tenant) == {"started": (*flow, 1)}

    wrong = client.post(sent["Location"], {"code": "00000000"})
    assert wrong.status_code == 200  # the code page again, with its error
    assert steps(world.tenant) == {"started": (*flow, 1)}
    verified = client.post(sent["Location"], {"code": last_code()})
    assert verified["Location"] == f"/{world.tenant.domain_name}/account/complete/"
    assert steps(world.tenant) == {"started": (*flow, 1), "verified": (*flow, 1)}

    complete = verified["Location"]
    refused = client.post(complete, {**PROFILE, "password2": "Something-Else-2"})
    assert refused.status_code == 200
    assert "completed" not in steps(world.tenant)
    done = client.post(complete, PROFILE)
    assert done["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")
    assert steps(world.tenant) == {
        "started": (*flow, 1),
        "verified": (*flow, 1),
        "completed": (*flow, 1),
    }
    # Signed in and back in the app: nothing of that sign-up is counted again.
    assert client.get(authorize_url(world))["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")
    assert steps(world.tenant)["completed"] == (*flow, 1)


def test_an_address_that_has_an_account_starts_nothing_and_a_left_sign_up_stays_started(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    world, capture = flow_world, django_capture_on_commit_callbacks
    flow = (str(world.flow.flow_id), world.flow.name)
    make_customer(world.tenant, "known@example.com")
    # Answered as a new address is (enumeration prevention), but no account is made.
    known = sign_up_form(Client(), world, "known@example.com", capture)
    assert known["Location"].endswith("/account/confirm-email/")
    assert steps(world.tenant) == {}
    sign_up_form(Client(), world, "left@example.com", capture)  # and never verified
    other = Client()
    sent = sign_up_form(other, world, "other@example.com", capture)
    other.post(sent["Location"], {"code": last_code()})
    assert steps(world.tenant) == {"started": (*flow, 2), "verified": (*flow, 1)}


def test_a_provider_trusted_for_email_verifies_it_at_once(
    fake_social: FakeProviders, tenant_a: Tenant
) -> None:
    google = socialize(fake_social, tenant_a, "google")
    flow = (str(google.world.flow.flow_id), google.world.flow.name)
    client = browser()
    answer = come_back(client, google.fake.consent(start(client, google), ADA))
    complete = f"/{tenant_a.domain_name}/account/complete/"
    assert answer["Location"] == complete  # the flow requires a tier Google does not know
    assert steps(tenant_a) == {"started": (*flow, 1), "verified": (*flow, 1)}
    done = client.post(complete, {"attr_given_name": "Ada", "attr_Tier": "gold"})
    assert done.status_code == 302
    assert steps(tenant_a)["completed"] == (*flow, 1)


def test_a_provider_not_trusted_for_email_has_it_verified_by_our_code(
    fake_social: FakeProviders, tenant_a: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    facebook = socialize(fake_social, tenant_a, "facebook")
    flow = (str(facebook.world.flow.flow_id), facebook.world.flow.name)
    person = Person(sub="10229876543210", email="grace@example.com", given_name="Grace")
    client = browser()
    location = start(client, facebook)
    with django_capture_on_commit_callbacks(execute=True):
        answer = come_back(client, fake_social.consent(location, person))
    assert answer["Location"].endswith("/account/confirm-email/")
    assert steps(tenant_a) == {"started": (*flow, 1)}
    verified = client.post(answer["Location"], {"code": last_code()})
    assert steps(tenant_a) == {"started": (*flow, 1), "verified": (*flow, 1)}
    client.post(verified["Location"], {"attr_given_name": "Grace", "attr_Tier": "silver"})
    assert steps(tenant_a)["completed"] == (*flow, 1)
