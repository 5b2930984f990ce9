"""Self-service sign-up through an app's user flow: email → code → password and attributes."""

import re
from collections.abc import Callable
from typing import Any

from django.core import mail
from django.test import Client

from accounts.models import User
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld, make_flow_world
from userflows.models import SignInMethod

Capture = Callable[..., Any]


def authorize_url(world: FlowWorld) -> str:
    return (
        f"/{world.tenant.domain_name}/oauth2/v2.0/authorize?client_id={world.app.client_id}"
        f"&response_type=code&scope=openid&redirect_uri={FLOW_APP_REDIRECT}&state=s1"
    )


def last_code() -> str:
    body = mail.outbox[-1].body
    match = re.search(r"^\s*(\d{8})\s*$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


def test_sign_up_collects_the_flow_attributes_and_returns_to_the_app(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    capture = django_capture_on_commit_callbacks
    tenant = flow_world.tenant.domain_name
    client = Client()
    response = client.get(authorize_url(flow_world))
    assert response.status_code == 200  # the sign-in page, with its sign-up link
    assert f"/{tenant}/account/signup/" in response.text
    next_url = authorize_url(flow_world)

    response = client.get(f"/{tenant}/account/signup/", {"next": next_url})
    assert response.status_code == 200
    with capture(execute=True):  # email is queued on commit
        response = client.post(
            f"/{tenant}/account/signup/", {"email": "Ada@Example.com", "next": next_url}
        )
    assert response.status_code == 302, response.content[:500]
    code = last_code()
    confirm = client.get(response["Location"])
    assert confirm.status_code == 200
    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 302
    assert "/account/complete/" in response["Location"]
    complete_url = response["Location"]

    page = client.get(complete_url)
    for label in (
        "First name",
        "Surname",
        "City",
        "LoyaltyNumber",
        "Tier",
        "Interests",
        "Send me news",
        "Age",
        "Password",
    ):
        assert label in page.text, label
    assert '<a href="https://shop.example/terms" target="_blank"' in page.text

    bad = client.post(
        complete_url,
        {
            "password1": "Long-Enough-Pass-1",
            "password2": "Long-Enough-Pass-1",
            "attr_given_name": "",
            "attr_Tier": "platinum",
            "attr_Age": "twelve",
            "attr_city": "c" * 129,
            "attr_Interests": ["hiking", "<script>"],
        },
    )
    assert bad.status_code == 200
    for message in (
        "This field is required.",
        "Select a valid choice",
        "Enter a whole number.",
        "at most 128 characters",
    ):
        assert message in bad.text, message
    with in_tenant(flow_world.tenant):
        user = User.objects.get(email="ada@example.com")
        assert not user.profile_completed
        assert user.custom_attributes == {}
        assert not user.has_usable_password()

    good = client.post(
        complete_url,
        {
            "password1": "Long-Enough-Pass-1",
            "password2": "Long-Enough-Pass-1",
            "attr_given_name": "Ada",
            "attr_surname": "Lovelace",
            "attr_city": "Zürich",
            "attr_LoyaltyNumber": "<b>L-1</b>",
            "attr_Tier": "gold",
            "attr_Interests": ["hiking", "books"],
            "attr_Newsletter": "on",
            "attr_Age": "36",
        },
    )
    assert good.status_code == 302
    # The last step answers the authorization request it came from: straight back to the app.
    assert good["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), good["Location"]
    with in_tenant(flow_world.tenant):
        user = User.objects.get(email="ada@example.com")
        assert user.profile_completed
        assert user.check_password("Long-Enough-Pass-1")
        assert (user.given_name, user.surname, user.city) == ("Ada", "Lovelace", "Zürich")
        assert user.custom_attributes == {
            "LoyaltyNumber": "<b>L-1</b>",
            "Tier": "gold",
            "Interests": "hiking,books",
            "Newsletter": True,
            "Age": 36,
        }


def test_an_unfinished_sign_up_gets_no_code(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    tenant = flow_world.tenant.domain_name
    client = Client()
    client.get(authorize_url(flow_world))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/{tenant}/account/signup/", {"email": "half@example.com"})
    client.post(response["Location"], {"code": last_code()})
    response = client.get(authorize_url(flow_world))
    assert response.status_code == 302
    assert "/account/complete/" in response["Location"]


def test_sign_up_is_closed_without_an_app_or_when_the_flow_forbids_it(
    flow_world: FlowWorld,
) -> None:
    tenant = flow_world.tenant.domain_name
    response = Client().get(f"/{tenant}/account/signup/")
    assert response.status_code == 200
    assert "closed" in response.text.lower()
    with in_tenant(flow_world.tenant):
        flow_world.flow.sign_up_allowed = False
        flow_world.flow.save()
    client = Client()
    client.get(authorize_url(flow_world))
    response = client.get(f"/{tenant}/account/signup/")
    assert "closed" in response.text.lower()


def test_existing_email_does_not_reveal_the_account(flow_world: FlowWorld) -> None:
    from tests.factories.accounts import make_customer

    make_customer(flow_world.tenant, "known@example.com")
    tenant = flow_world.tenant.domain_name
    pages = []
    for email in ("known@example.com", "unknown@example.com"):
        client = Client()
        client.get(authorize_url(flow_world))
        response = client.post(f"/{tenant}/account/signup/", {"email": email}, follow=True)
        pages.append((response.status_code, response.redirect_chain[-1][0].split("?")[0]))
    assert pages[0] == pages[1]


def test_the_account_already_exists_email_names_the_address(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    """Signing up with a known address tells its owner by email, naming the address (allauth
    leaves it out of the message's context: the line was blank)."""
    from tests.factories.accounts import make_customer

    make_customer(flow_world.tenant, "known@example.com")
    client = Client()
    client.get(authorize_url(flow_world))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/{flow_world.tenant.domain_name}/account/signup/", {"email": "known@example.com"}
        )
    [message] = mail.outbox
    assert message.to == ["known@example.com"]
    assert "for Shop with known@example.com. An account" in message.body
    # Its twin, for a password reset asked for an address nobody has, had the same hole.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/{flow_world.tenant.domain_name}/account/password/reset/",
            {"email": "nobody@example.com"},
        )
    [message] = mail.outbox
    assert "with nobody@example.com, but no account uses" in message.body


def test_tokens_carry_exactly_the_configured_claims(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    import base64
    import json
    from urllib.parse import parse_qs, urlsplit

    from accounts.models import Directory
    from apps.services import app_claims_set
    from tests.factories.accounts import make_customer

    tenant = flow_world.tenant
    with in_tenant(tenant):
        app_claims_set(
            app=flow_world.app,
            entries=[
                ("given_name", True, False),
                ("LoyaltyNumber", True, True),
                ("Tier", False, True),
                ("city", False, False),
            ],
        )
        user = make_customer(tenant, "claims@example.com")
    with in_tenant(tenant):
        User.objects.filter(pk=user.pk).update(
            given_name="Grace",
            city="Arlington",
            custom_attributes={"LoyaltyNumber": "L-42", "Tier": "gold", "Age": 7},
        )
        extension = Directory.objects.get_or_create(singleton=True)[0].extensions_app_id.hex
    client = Client()
    client.get(authorize_url(flow_world))
    client.post(
        f"/{tenant.domain_name}/account/login/",
        {"login": "claims@example.com", "password": "Correct-Horse-42"},
    )
    response = client.get(authorize_url(flow_world))
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    token = client.post(
        f"/{tenant.domain_name}/oauth2/v2.0/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": FLOW_APP_REDIRECT},
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(f"{flow_world.app.client_id}:{flow_world.secret}".encode()).decode(),
    ).json()

    def payload(jwt: str) -> dict[str, object]:
        part = jwt.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    id_claims = payload(token["id_token"])
    access = payload(token["access_token"])
    loyalty = f"extension_{extension}_LoyaltyNumber"
    tier = f"extension_{extension}_Tier"
    assert id_claims["given_name"] == "Grace"
    assert id_claims[loyalty] == "L-42"
    assert tier not in id_claims
    assert "city" not in id_claims
    assert f"extension_{extension}_Age" not in id_claims
    assert access[loyalty] == "L-42"
    assert access[tier] == "gold"
    assert "given_name" not in access
    userinfo = client.get(
        f"/{tenant.domain_name}/oauth2/v2.0/userinfo",
        HTTP_AUTHORIZATION=f"Bearer {token['access_token']}",
    ).json()
    assert userinfo["given_name"] == "Grace"
    assert userinfo[loyalty] == "L-42"
    assert tier not in userinfo


def test_a_temporary_password_is_changed_before_anything_else(flow_world: FlowWorld) -> None:
    from tests.factories.accounts import make_customer

    tenant = flow_world.tenant
    user = make_customer(tenant, "temp@example.com", password="Temporary-Pass-1")
    with in_tenant(tenant):
        User.objects.filter(pk=user.pk).update(must_change_password=True)
    client = Client()
    client.get(authorize_url(flow_world))
    client.post(
        f"/{tenant.domain_name}/account/login/",
        {"login": "temp@example.com", "password": "Temporary-Pass-1"},
    )
    response = client.get(authorize_url(flow_world))
    assert response.status_code == 302
    assert "/account/password/change/" in response["Location"]
    changed = client.post(
        f"/{tenant.domain_name}/account/password/change/",
        {
            "oldpassword": "Temporary-Pass-1",
            "password1": "My-Own-Passphrase-9",
            "password2": "My-Own-Passphrase-9",
        },
    )
    assert changed.status_code == 302, changed.content[:300]
    with in_tenant(tenant):
        assert not User.objects.get(pk=user.pk).must_change_password
    back = client.get(authorize_url(flow_world))
    assert back["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")


def test_password_flows_offer_no_code_sign_in(flow_world: FlowWorld) -> None:
    client = Client()
    client.get(authorize_url(flow_world))
    page = client.get(f"/{flow_world.tenant.domain_name}/account/login/")
    assert page.status_code == 200
    assert "/account/login/code/" not in page.text
    assert 'for="id_login">Email' in page.text
    refused = client.get(f"/{flow_world.tenant.domain_name}/account/login/code/")
    assert refused.status_code == 302
    assert refused["Location"].endswith("/account/login/")


def test_a_passwordless_flow_signs_up_without_a_password(
    tenant_b: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    """Email one-time passcode flows: email → code → the flow's attributes (no password), then
    straight back to the app with a code; the account has no password to steal or reset."""
    world = make_flow_world(tenant_b, SignInMethod.EMAIL_OTP)
    tenant = tenant_b.domain_name
    client = Client()
    next_url = authorize_url(world)
    # The flow signs in by code: the authorization request leads to the code page.
    assert "/account/login/code/" in client.get(next_url)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/{tenant}/account/signup/", {"email": "Nova@Example.com", "next": next_url}
        )
    assert sent.status_code == 302, sent.content[:300]
    verified = client.post(sent["Location"], {"code": last_code()})
    assert verified.status_code == 302
    complete_url = verified["Location"]
    assert "/account/complete/" in complete_url
    page = client.get(complete_url)
    assert "First name" in page.text
    assert 'name="password1"' not in page.text
    done = client.post(
        complete_url,
        {"attr_given_name": "Nova", "attr_Tier": "silver", "attr_Age": "29"},
    )
    assert done.status_code == 302, done.content[:500]
    assert done["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), done["Location"]
    with in_tenant(tenant_b):
        user = User.objects.get(email="nova@example.com")
        assert user.profile_completed
        assert not user.has_usable_password()
        # An unticked checkbox is an answer too: False.
        assert user.custom_attributes == {"Tier": "silver", "Age": 29, "Newsletter": False}
