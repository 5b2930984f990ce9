"""Pages that take an email address do not tell whether it has an account.

Password reset and sign-in by code, asked for a customer's address and for an address with no
account, answer with the same status, the same redirect and the same page, message included
(ACCOUNT_PREVENT_ENUMERATION); only the known customer gets a code.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from apps import services as app_services
from apps.models import Platform
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer
from userflows.models import SignInMethod
from userflows.services import flow_apps_assign, userflow_create

Capture = Callable[..., Any]
KNOWN = "known-customer@example.com"
UNKNOWN = "nobody-here@example.com"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def authorization_request(tenant: Tenant, method: str) -> str:
    """An authorization request of an app whose user flow signs in by `method`."""
    with in_tenant(tenant):
        flow = userflow_create(name=f"Flow {method}", sign_in_method=method)
        app = app_services.app_register(
            name=f"App {method}", platform=Platform.WEB, redirect_uris=["https://app.example/cb"]
        )
        flow_apps_assign(flow=flow, apps=[app])
    return (
        f"/{tenant.domain_name}/oauth2/v2.0/authorize?client_id={app.client_id}"
        "&response_type=code&scope=openid&redirect_uri=https://app.example/cb"
        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    )


def answer_for(
    tenant: Tenant, authorize: str, form_path: str, email: str, capture: Capture
) -> tuple[int, str, int, str]:
    """(status, Location, the next page's status, the next page with the address and the CSRF
    token blanked) for one customer's browser asking the form for `email`."""
    client = Client()
    assert client.get(authorize, follow=True).status_code == 200
    with capture(execute=True):
        posted = client.post(f"/{tenant.domain_name}{form_path}", {"email": email})
    location = posted.get("Location", "")
    shown = client.get(location) if location else posted
    page = _CSRF.sub("csrf", shown.content.decode()).replace(email, "EMAIL")
    return posted.status_code, location, shown.status_code, page


@pytest.mark.parametrize(
    ("method", "form_path"),
    [
        (SignInMethod.EMAIL_PASSWORD, "/account/password/reset/"),
        (SignInMethod.EMAIL_OTP, "/account/login/code/"),
    ],
    ids=["password reset", "sign-in by code"],
)
def test_a_known_and_an_unknown_address_get_the_same_answer(
    tenant_a: Tenant,
    django_capture_on_commit_callbacks: Capture,
    method: str,
    form_path: str,
) -> None:
    make_customer(tenant_a, KNOWN)
    authorize = authorization_request(tenant_a, method)
    known = answer_for(tenant_a, authorize, form_path, KNOWN, django_capture_on_commit_callbacks)
    unknown = answer_for(
        tenant_a, authorize, form_path, UNKNOWN, django_capture_on_commit_callbacks
    )
    assert known[:3] == unknown[:3]
    assert known[0] == 302
    assert known[3] == unknown[3]
    # The same answer, but only the customer was sent a code.
    code = re.compile(r"\b\d{8}\b")
    codes_to = [message.to for message in mail.outbox if code.search(message.body)]
    assert codes_to == [[KNOWN]]
