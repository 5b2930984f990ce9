"""Our templates for allauth's hosted pages: each page a customer can reach renders in our words,
with one heading, a real label on every input and no placeholder repeating it, and an invalid
value is shown as an error tied to its field (aria-describedby, aria-invalid)."""

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from accounts.models import User
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld, make_flow_world
from userflows.models import SignInMethod

Capture = Callable[..., Any]
# allauth's own wording, which none of our pages may show.
ALLAUTH_WORDING = (
    "Sign Up",
    "Sign In",
    "Sign Out",
    "Change Password",
    "New Password",
    "Current Password",
    "Password Reset",
    "Request Code",
    "Enter Email Verification Code",
    "Enter Sign-In Code",
    "Enter Password Reset Code",
    "Account Inactive",
)


class HostedPage(HTMLParser):
    """What a hosted page shows a customer: its headings, labels, inputs, links (by their text)
    and element ids."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.labels: dict[str, str] = {}
        self.inputs: list[dict[str, str]] = []
        self.ids: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self._open: list[tuple[str, str | None, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "input":
            self.inputs.append(values)
        if "id" in values:
            self.ids[values["id"]] = ""
        if tag in {"h1", "label"} or values.get("id", "").endswith("_error"):
            self._open.append((tag, values.get("for") or values.get("id"), []))
        elif tag == "a":
            self._open.append((tag, values.get("href", ""), []))

    def handle_data(self, data: str) -> None:
        for _tag, _key, text in self._open:
            text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _tag, key, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            if tag == "h1":
                self.headings.append(text)
            elif tag == "label" and key:
                self.labels[key] = text
            elif tag == "a":
                self.links[text] = key or ""
            elif key:
                self.ids[key] = text

    def visible_inputs(self) -> list[dict[str, str]]:
        return [
            attrs
            for attrs in self.inputs
            if attrs.get("type") not in {"hidden", "submit"} and "hidden" not in attrs
        ]


def hosted_page(response: Any, heading: str) -> HostedPage:
    """The page, after the checks every hosted page passes."""
    assert response.status_code == 200, response.content[:300]
    page = HostedPage(response.text)
    assert page.headings == [heading]
    for wording in ALLAUTH_WORDING:
        assert wording not in response.text, wording
    for attrs in page.visible_inputs():
        label = page.labels.get(attrs.get("id", ""))
        assert label, f"input {attrs.get('name')} has no label"
        assert attrs.get("placeholder") != label, f"{attrs.get('name')}: placeholder = label"
        assert "placeholder" not in attrs, f"{attrs.get('name')} has a placeholder"
    return page


def field_error(response: Any, name: str, message: str) -> None:
    """The field `name` is marked invalid and described by an element that shows `message`."""
    assert response.status_code == 200, response.content[:300]
    page = HostedPage(response.text)
    (attrs,) = [attrs for attrs in page.visible_inputs() if attrs.get("name") == name]
    assert attrs.get("aria-invalid") == "true"
    error_id = f"{attrs['id']}_error"
    assert error_id in attrs.get("aria-describedby", "").split()
    assert message in page.ids[error_id]


def signed_in_customer(tenant: Tenant, email: str) -> Client:
    """A test client signed in as a new customer with this email."""
    make_customer(tenant, email)
    client = Client()
    response = client.post(
        f"/{tenant.domain_name}/account/login/", {"login": email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def email_then_code(
    client: Client, url: str, heading: str, email: str, says: str, capture: Capture
) -> str:
    """The two pages of a code sent by email: the address (checked, with an invalid one), then
    the code (with a wrong one). Returns the code page's URL."""
    page = hosted_page(client.get(url), heading)
    assert page.labels["id_email"] == "Email address"
    field_error(client.post(url, {"email": "nope"}), "email", "Enter a valid email address.")
    with capture(execute=True):
        sent = client.post(url, {"email": email})
    assert sent.status_code == 302
    confirm = client.get(sent["Location"])
    hosted_page(confirm, "Check your email")
    assert f"{email}</strong> {says}" in confirm.text
    field_error(client.post(sent["Location"], {"code": "WRONG-CODE"}), "code", "Incorrect code.")
    return str(sent["Location"])


@pytest.fixture
def otp_world(tenant_b: Tenant) -> FlowWorld:
    return make_flow_world(tenant_b, SignInMethod.EMAIL_OTP)


def test_sign_up_and_its_code(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    tenant = flow_world.tenant.domain_name
    client = Client()
    client.get(authorize_url(flow_world))
    page = hosted_page(client.get(f"/{tenant}/account/signup/"), "Create your account")
    assert page.labels["id_email"] == "Email address"
    response = client.get(f"/{tenant}/account/signup/")
    assert "Already have an account?" in response.text
    assert ">Continue</button>" in response.text
    field_error(
        client.post(f"/{tenant}/account/signup/", {"email": "not-an-email"}),
        "email",
        "Enter a valid email address.",
    )

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/{tenant}/account/signup/", {"email": "new@example.com"})
    assert sent.status_code == 302
    confirm = client.get(sent["Location"])
    page = hosted_page(confirm, "Verify your email address")
    assert page.labels["id_code"] == "Code"
    assert 'Enter the code we sent to <strong class="recipient">new@example.com</strong>' in (
        confirm.text
    )
    assert ">Verify</button>" in confirm.text
    assert 'class="secondary">Cancel</button>' in confirm.text
    field_error(client.post(sent["Location"], {"code": "WRONG-CODE"}), "code", "Incorrect code.")


def test_sign_up_closed(flow_world: FlowWorld) -> None:
    response = Client().get(f"/{flow_world.tenant.domain_name}/account/signup/")
    hosted_page(response, "Sign-up is closed")


def test_sign_in_by_emailed_code(
    otp_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    tenant = otp_world.tenant.domain_name
    make_customer(otp_world.tenant, "otp@example.com")
    client = Client()
    to_code_page = client.get(authorize_url(otp_world))  # the flow signs in by code only
    assert to_code_page["Location"].startswith(f"/{tenant}/account/login/code/?next=")
    confirm_url = email_then_code(
        client,
        to_code_page["Location"],
        "Sign in",
        "otp@example.com",
        "to sign in",
        django_capture_on_commit_callbacks,
    )
    signed_in = client.post(confirm_url, {"code": last_code()})
    assert signed_in.status_code == 302
    # The right code answers the authorization request: straight back to the app with a code.
    assert signed_in["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), signed_in["Location"]


def test_password_reset_by_code(
    tenant_a: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    tenant = tenant_a.domain_name
    make_customer(tenant_a, "forgetful@example.com")
    client = Client()
    confirm_url = email_then_code(
        client,
        f"/{tenant}/account/password/reset/",
        "Reset your password",
        "forgetful@example.com",
        "to reset your password",
        django_capture_on_commit_callbacks,
    )

    confirmed = client.post(confirm_url, {"code": last_code()})
    assert confirmed.status_code == 302
    choose = client.get(confirmed["Location"])
    page = hosted_page(choose, "Choose a new password")
    assert (page.labels["id_password1"], page.labels["id_password2"]) == (
        "New password",
        "Confirm new password",
    )
    assert ">Reset password</button>" in choose.text
    mismatch = client.post(
        confirmed["Location"],
        {"password1": "A-Fresh-Passphrase-77", "password2": "Another-Passphrase-78"},
    )
    field_error(mismatch, "password2", "same password")
    weak = client.post(confirmed["Location"], {"password1": "short", "password2": "short"})
    field_error(weak, "password1", "too short")
    (password1,) = [i for i in HostedPage(weak.text).inputs if i.get("name") == "password1"]
    assert password1["aria-describedby"].split() == ["id_password1_helptext", "id_password1_error"]

    reset = client.post(
        confirmed["Location"],
        {"password1": "A-Fresh-Passphrase-77", "password2": "A-Fresh-Passphrase-77"},
    )
    assert reset.status_code == 302
    hosted_page(client.get(reset["Location"]), "Your password has been reset")


def test_a_password_reset_begun_at_an_app_sign_in_ends_back_at_the_app(
    flow_world: FlowWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    """The "Forgot password?" link on an app's sign-in page keeps the app's request: once the
    password is reset the customer is asked to sign in again, with the new password, and the
    sign-in goes straight back to the app."""
    tenant = flow_world.tenant.domain_name
    make_customer(flow_world.tenant, "forgetful@example.com")
    client = Client()
    forgot = HostedPage(client.get(authorize_url(flow_world)).text).links["Forgot password?"]
    assert forgot.startswith(f"/{tenant}/account/password/reset/?next=")
    confirm_url = email_then_code(
        client,
        forgot,
        "Reset your password",
        "forgetful@example.com",
        "to reset your password",
        django_capture_on_commit_callbacks,
    )
    choose_url = client.post(confirm_url, {"code": last_code()})["Location"]
    new_password = {"password1": "A-Fresh-Passphrase-77", "password2": "A-Fresh-Passphrase-77"}
    reset = client.post(choose_url, new_password)
    assert reset.status_code == 302
    back, asked = urlsplit(reset["Location"]), urlsplit(authorize_url(flow_world))
    assert (back.path, parse_qs(back.query)) == (asked.path, parse_qs(asked.query))  # the app's
    again = client.get(reset["Location"])  # the sign-in page, as the app's request's answer
    assert HostedPage(again.text).headings == ["Sign in"]
    assert "Your password has been changed." in again.text
    signed_in = client.post(
        f"/{tenant}/account/login/",
        {
            "login": "forgetful@example.com",
            "password": "A-Fresh-Passphrase-77",
            "next": reset["Location"],
        },
    )
    assert signed_in["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), signed_in["Location"]


def test_a_fresh_sign_in_asked_by_the_app_keeps_its_user_flow(flow_world: FlowWorld) -> None:
    """`prompt=login` with a session: the customer is asked to sign in again on the same answer,
    in the app's user flow (here: its sign-up link), and stays signed in until they do."""
    tenant = flow_world.tenant.domain_name
    make_customer(flow_world.tenant, "again@example.com")
    client = Client()
    page = client.get(authorize_url(flow_world))
    assert page.status_code == 200
    assert f"/{tenant}/account/signup/" in page.text  # the flow allows sign-up
    first = client.post(
        f"/{tenant}/account/login/",
        {"login": "again@example.com", "password": PASSWORD, "next": authorize_url(flow_world)},
    )
    assert first["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")
    again = client.get(authorize_url(flow_world) + "&prompt=login")
    assert again.status_code == 200
    assert HostedPage(again.text).headings == ["Sign in"]
    assert f"/{tenant}/account/signup/" in again.text  # still the app's flow
    assert client.get(f"/{tenant}/").status_code == 200  # signed in, until the new sign-in


def test_forced_change_of_a_temporary_password(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    user = make_customer(tenant, "temp@example.com", password="Temporary-Pass-1")
    with in_tenant(tenant):
        User.objects.filter(pk=user.pk).update(must_change_password=True)
    client = Client()
    sent_to = client.post(
        f"/{tenant.domain_name}/account/login/",
        {"login": "temp@example.com", "password": "Temporary-Pass-1"},
    )
    assert "/account/password/change/" in sent_to["Location"]
    # Not signed in until the step is done: the home page asks to sign in, and the sign-in
    # page leads back to the step.
    assert "/account/login/" in client.get(f"/{tenant.domain_name}/")["Location"]
    again = client.get(f"/{tenant.domain_name}/account/login/")
    assert "/account/password/change/" in again["Location"]
    response = client.get(sent_to["Location"])
    page = hosted_page(response, "Change your password")
    assert [page.labels[f"id_{name}"] for name in ("oldpassword", "password1", "password2")] == [
        "Current password",
        "New password",
        "Confirm new password",
    ]
    assert "temporary password" in response.text
    assert "Forgot your password?" not in response.text  # no other page is open to them
    assert 'class="secondary">Sign out</button>' in response.text
    field_error(
        client.post(
            sent_to["Location"],
            {
                "oldpassword": "not-it",
                "password1": "My-Own-Passphrase-9",
                "password2": "My-Own-Passphrase-9",
            },
        ),
        "oldpassword",
        "current password",
    )


def test_sign_out_page(tenant_a: Tenant) -> None:
    client = signed_in_customer(tenant_a, "leaving@example.com")
    response = client.get(f"/{tenant_a.domain_name}/account/logout/")
    hosted_page(response, "Sign out")
    assert ">Sign out</button>" in response.text
    assert re.search(r'<a class="button secondary" href="[^"]*">Cancel</a>', response.text)


def test_a_blocked_customer_is_told_after_the_right_password_only(tenant_a: Tenant) -> None:
    user = make_customer(tenant_a, "halted@example.com")
    with in_tenant(tenant_a):
        User.objects.filter(pk=user.pk).update(is_active=False)
    login = f"/{tenant_a.domain_name}/account/login/"
    client = Client()
    wrong = client.post(login, {"login": "halted@example.com", "password": "wrong-password"})
    assert wrong.status_code == 200
    assert "Your account is blocked" not in wrong.text
    right = client.post(login, {"login": "halted@example.com", "password": PASSWORD})
    assert right.status_code == 302
    assert right["Location"].endswith("/account/inactive/")
    hosted_page(client.get(right["Location"]), "Your account is blocked")


def test_a_passwordless_flow_offers_sign_up_where_it_allows_it(otp_world: FlowWorld) -> None:
    client = Client()
    client.get(authorize_url(otp_world))
    page = client.get(f"/{otp_world.tenant.domain_name}/account/login/code/")
    assert "No account?" in page.text
    assert f"/{otp_world.tenant.domain_name}/account/signup/" in page.text
    with in_tenant(otp_world.tenant):
        otp_world.flow.sign_up_allowed = False
        otp_world.flow.save()
    assert "No account?" not in client.get(page.request["PATH_INFO"]).text


def test_signing_in_leaves_no_banner_for_a_later_page(tenant_a: Tenant) -> None:
    client = signed_in_customer(tenant_a, "quiet@example.com")
    later = client.get(f"/{tenant_a.domain_name}/account/logout/")
    assert later.status_code == 200
    assert "Successfully signed in" not in later.text


@pytest.mark.parametrize(
    "path",
    [
        "account/email/",
        "account/password/set/",
        "account/3rdparty/",
        "account/social/connections/",
        # allauth's own MFA sign-in step: the journey's stage asks for the second factor.
        "account/2fa/authenticate/",
        "account/2fa/trust/",
    ],
)
def test_self_service_pages_no_flow_offers_are_not_there(tenant_a: Tenant, path: str) -> None:
    """allauth would let a signed-in customer add email addresses outside any user flow; those
    pages answer 404, signed in or not. (Second factors are the customer's own to manage:
    tests/journey/test_second_factor_self_service.py.)"""
    assert Client().get(f"/{tenant_a.domain_name}/{path}").status_code == 404
    client = signed_in_customer(tenant_a, "curious@example.com")
    assert client.get(f"/{tenant_a.domain_name}/{path}").status_code == 404
    posted = client.post(f"/{tenant_a.domain_name}/{path}", {"email": "x@example.com"})
    assert posted.status_code == 404


@pytest.mark.parametrize(
    "page", ["login/", "logout/", "inactive/", "3rdparty/login/cancelled/", "3rdparty/login/error/"]
)
def test_a_next_url_that_does_not_parse_is_ignored(tenant_a: Tenant, page: str) -> None:
    """`http://[::1` makes urlparse raise; allauth's safety check let that become a 500."""
    response = Client(raise_request_exception=False).get(
        f"/{tenant_a.domain_name}/account/{page}", {"next": "http://[::1"}
    )
    assert response.status_code in (200, 302, 401)  # 401: allauth's sign-in error page
    assert "[::1" not in response.get("Location", "")
