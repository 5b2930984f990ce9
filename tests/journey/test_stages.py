"""The steps before going back to the app are allauth login stages: in order, after allauth's
own (the second factor in place of allauth's MFA), and a customer held by one is not signed in
anywhere until it ends."""

from collections.abc import Callable
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.adapter import get_adapter
from django.conf import settings
from django.test import Client

from accounts.models import User
from apps.models import Grant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld

Capture = Callable[..., Any]
TEMPORARY = "Temporary-Pass-1"


def test_the_journey_stages_follow_allauths_own_the_second_factor_in_place_of_its_mfa() -> None:
    stages = get_adapter().get_login_stages()
    assert stages[-4:] == [
        "journey.mfa.stages.SecondFactorStage",
        "journey.stages.ProfileCompletionStage",
        "journey.stages.TemporaryPasswordStage",
        "journey.mfa.stages.SignInMethodsStage",
    ]
    assert stages.index("allauth.account.stages.EmailVerificationStage") < len(stages) - 4
    assert "allauth.mfa.stages.AuthenticateStage" not in stages


def at_temporary_password_step(world: FlowWorld) -> Client:
    """A browser that came from the app and signed in with an admin-set temporary password."""
    user = make_customer(world.tenant, "temporary@example.com", password=TEMPORARY)
    with in_tenant(world.tenant):
        User.objects.filter(pk=user.pk).update(must_change_password=True)
    client = Client()
    assert client.get(authorize_url(world)).status_code == 200  # the sign-in page
    posted = client.post(
        f"/{world.tenant.domain_name}/account/login/",
        {"login": "temporary@example.com", "password": TEMPORARY, "next": authorize_url(world)},
    )
    assert posted.status_code == 302
    assert posted["Location"] == f"/{world.tenant.domain_name}/account/password/change/"
    return client


def at_profile_step(world: FlowWorld, capture: Capture) -> Client:
    """A browser that came from the app, signed up and verified its email by code."""
    client = Client()
    client.get(authorize_url(world))
    with capture(execute=True):
        sent = client.post(
            f"/{world.tenant.domain_name}/account/signup/",
            {"email": "halfway@example.com", "next": authorize_url(world)},
        )
    verified = client.post(sent["Location"], {"code": last_code()})
    assert verified["Location"] == f"/{world.tenant.domain_name}/account/complete/"
    return client


def assert_not_signed_in_anywhere(client: Client, world: FlowWorld, step: str) -> None:
    tenant = world.tenant.domain_name
    silent = client.get(authorize_url(world) + "&prompt=none")
    assert silent.status_code == 302
    assert parse_qs(urlsplit(silent["Location"]).query)["error"] == ["login_required"]
    asked = client.get(authorize_url(world))
    assert asked.status_code == 302
    assert asked["Location"] == f"/{tenant}/{step}"  # the step, not a code
    assert client.get(f"/{tenant}/api/v1/me").status_code == 401
    assert client.get(f"/{tenant}/oauth2/v2.0/userinfo").status_code == 401
    assert "/account/login/" in client.get(f"/{tenant}/")["Location"]
    with in_tenant(world.tenant):
        assert not Grant.objects.exists()


def test_a_customer_at_the_temporary_password_step_is_signed_in_nowhere(
    flow_world: FlowWorld,
) -> None:
    client = at_temporary_password_step(flow_world)
    assert_not_signed_in_anywhere(client, flow_world, "account/password/change/")


def test_a_customer_at_the_profile_step_is_signed_in_nowhere(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = at_profile_step(flow_world, django_capture_on_commit_callbacks)
    assert_not_signed_in_anywhere(client, flow_world, "account/complete/")


def test_the_temporary_password_step_goes_straight_back_to_the_app(
    flow_world: FlowWorld,
) -> None:
    client = at_temporary_password_step(flow_world)
    step = f"/{flow_world.tenant.domain_name}/account/password/change/"
    assert "temporary password" in client.get(step).text
    changed = client.post(
        step,
        {
            "oldpassword": TEMPORARY,
            "password1": "My-Own-Passphrase-9",
            "password2": "My-Own-Passphrase-9",
        },
    )
    assert changed.status_code == 302
    assert changed["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), changed["Location"]
    with in_tenant(flow_world.tenant):
        user = User.objects.get(email="temporary@example.com")
        assert not user.must_change_password
        assert user.check_password("My-Own-Passphrase-9")
    assert client.get(f"/{flow_world.tenant.domain_name}/").status_code == 200  # signed in now


def test_signing_out_at_a_step_abandons_the_sign_in(flow_world: FlowWorld) -> None:
    client = at_temporary_password_step(flow_world)
    tenant = flow_world.tenant.domain_name
    client.post(f"/{tenant}/account/logout/")
    assert client.get(f"/{tenant}/account/login/").status_code == 200  # no step to go back to
    assert "/account/login/" in client.get(f"/{tenant}/account/password/change/")["Location"]


@pytest.mark.parametrize("left", ["profile_completed", "must_change_password"])
def test_a_session_signed_in_before_the_stages_existed_gets_no_code_until_the_step(
    flow_world: FlowWorld, left: str
) -> None:
    """A session signed in before the stages (whose account still has a step: here marked
    after the sign-in) is asked to sign in again, which runs the stages: no code first."""
    user = make_customer(flow_world.tenant, "earlier@example.com")
    client = Client()
    client.get(authorize_url(flow_world))
    first = client.post(
        f"/{flow_world.tenant.domain_name}/account/login/",
        {"login": "earlier@example.com", "password": PASSWORD, "next": authorize_url(flow_world)},
    )
    assert first["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")
    with in_tenant(flow_world.tenant):
        User.objects.filter(pk=user.pk).update(**{left: left == "must_change_password"})
    again = client.get(authorize_url(flow_world))
    assert again.status_code == 200  # the sign-in page, not a code
    assert 'action="/' + flow_world.tenant.domain_name + '/account/login/"' in again.text


@pytest.mark.parametrize(("minutes_ago", "still_there"), [(20, True), (61, False)])
def test_a_sign_in_waits_at_its_step_as_long_as_its_transaction_lives(
    flow_world: FlowWorld,
    django_capture_on_commit_callbacks: Capture,
    minutes_ago: int,
    still_there: bool,
) -> None:
    """The last sign-up step is a long form: the sign-in waits there for an hour (the auth
    transaction's lifetime), not allauth's default 15 minutes."""
    client = at_profile_step(flow_world, django_capture_on_commit_callbacks)
    tenant = flow_world.tenant
    cookie = client.cookies[f"{settings.SESSION_COOKIE_NAME}_{tenant.domain_name}"].value
    with in_tenant(tenant):
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie)
        stashed = session["account_login"]  # allauth's sign-in under way
        session["account_login"] = {
            **stashed,
            "initiated_at": stashed["initiated_at"] - minutes_ago * 60,
        }
        session.save()
    page = client.get(f"/{tenant.domain_name}/account/complete/")
    assert (page.status_code == 200) is still_there
