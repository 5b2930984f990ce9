"""Breached passwords (protection/passwords.py) are refused at sign-up, reset and change, on
the field, where the tenant's setting says so; the real hosted pages and allauth's forms."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import User
from protection.models import SignInProtection
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import last_code
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld
from tests.journey.test_stages import at_profile_step

Capture = Callable[..., Any]
BREACHED = "liverpool1"  # in Django's list; long enough, not numeric, like no email here
REFUSED = "leaked in data breaches"
GOOD = "A-Fresh-Passphrase-77"


def refuse_breached(tenant: Tenant, refused: bool) -> None:
    with in_tenant(tenant):
        SignInProtection.objects.update_or_create(
            singleton=True, defaults={"breached_passwords_refused": refused}
        )


def complete_sign_up(client: Client, world: FlowWorld, password: str) -> Any:
    return client.post(
        f"/{world.tenant.domain_name}/account/complete/",
        {
            "password1": password,
            "password2": password,
            "attr_given_name": "Ada",
            "attr_Tier": "gold",
        },
    )


def test_sign_up_refuses_a_breached_password_on_its_field(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = at_profile_step(flow_world, django_capture_on_commit_callbacks)
    refused = complete_sign_up(client, flow_world, BREACHED)
    assert refused.status_code == 200
    assert REFUSED in refused.context["form"].errors["password1"][0]
    assert REFUSED in refused.content.decode()
    done = complete_sign_up(client, flow_world, GOOD)
    assert done["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), done["Location"]


def test_a_tenant_that_turned_the_check_off_accepts_it(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    refuse_breached(flow_world.tenant, False)
    client = at_profile_step(flow_world, django_capture_on_commit_callbacks)
    done = complete_sign_up(client, flow_world, BREACHED)
    assert done["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), done["Location"]
    with in_tenant(flow_world.tenant):
        assert User.objects.get(email="halfway@example.com").check_password(BREACHED)


def test_a_password_reset_by_code_refuses_a_breached_password(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    tenant = flow_world.tenant.domain_name
    make_customer(flow_world.tenant, "forgetful@example.com")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/{tenant}/account/password/reset/", {"email": "forgetful@example.com"})
    choose = client.post(sent["Location"], {"code": last_code()})["Location"]
    refused = client.post(choose, {"password1": BREACHED, "password2": BREACHED})
    assert refused.status_code == 200
    assert REFUSED in refused.content.decode()
    assert client.post(choose, {"password1": GOOD, "password2": GOOD}).status_code == 302
    with in_tenant(flow_world.tenant):
        assert User.objects.get(email="forgetful@example.com").check_password(GOOD)


def test_a_customers_own_password_change_refuses_a_breached_password(tenant_a: Tenant) -> None:
    make_customer(tenant_a, "changer@example.com")
    client = Client()
    signed_in = client.post(
        f"/{tenant_a.domain_name}/account/login/",
        {"login": "changer@example.com", "password": PASSWORD},
    )
    assert signed_in.status_code == 302
    refused = client.post(
        f"/{tenant_a.domain_name}/account/password/change/",
        {"oldpassword": PASSWORD, "password1": BREACHED, "password2": BREACHED},
    )
    assert refused.status_code == 200
    assert REFUSED in refused.content.decode()
    with in_tenant(tenant_a):
        assert User.objects.get(email="changer@example.com").check_password(PASSWORD)


@pytest.mark.django_db
def test_operators_are_always_refused_breached_passwords() -> None:
    with pytest.raises(ValidationError, match=REFUSED):
        validate_password(BREACHED)
    validate_password(GOOD)
