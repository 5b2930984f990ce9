"""OnOtpSend (issue 14): with the tenant's listener set, every one-time code the journey would
email goes to the company's own provider instead, a real service on loopback that checks our
bearer token against the tenant's JWKS and keeps the code; the customer completes each journey
with the code the service received and we email nothing. A failed send follows the listener's
policy: "fail" stops with the branded "We couldn't send your code" page (never a 500, never the
code), "continue" emails the code as if there were no extension."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from extensions.client import REDACTED
from extensions.models import CallOutcome, ExtensionCall, FailurePolicy
from extensions.tokens import CALLER_APP_ID
from monitoring.models import SignInEvent
from monitoring.reasons import Reason
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.factories.accounts import make_customer
from tests.factories.federation import id_token_of
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld, make_flow_world
from tests.factories.otp_service import OtpService, otp_listen
from tests.journey.test_second_factor import EMAIL, MFA, asking, page, sign_in, signed_in
from userflows.models import SignInMethod

Capture = Callable[..., Any]
PROFILE = {
    "password1": "Long-Enough-Pass-1",
    "password2": "Long-Enough-Pass-1",
    "attr_given_name": "Ada",
    "attr_Tier": "gold",
}
NOT_SENT = "We couldn't send your code"


def sign_up(world: FlowWorld, capture: Capture, email: str) -> tuple[Client, Any]:
    client = Client()
    client.get(authorize_url(world))
    with capture(execute=True):
        sent = client.post(
            f"/{world.tenant.domain_name}/account/signup/",
            {"email": email, "next": authorize_url(world)},
        )
    return client, sent


def test_a_customer_signs_up_with_the_code_the_companys_provider_received(
    flow_world: FlowWorld,
    otp_service: OtpService,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    world = flow_world
    otp_listen(world.tenant, otp_service)
    client, sent = sign_up(world, django_capture_on_commit_callbacks, "ada@example.com")
    assert sent.status_code == 302, sent.content[:300]
    assert mail.outbox == []  # we sent nothing: the company's provider did
    (call,) = otp_service.received
    assert call["token_valid"]
    data = call["body"]["data"]
    assert call["body"]["type"] == "microsoft.graph.authenticationEvent.emailOtpSend"
    assert data["@odata.type"] == "microsoft.graph.onOtpSendCalloutData"
    assert data["tenantId"] == str(world.tenant.tenant_id)
    code = otp_service.last_code("ada@example.com")
    assert data["otpContext"] == {"identifier": "ada@example.com", "oneTimeCode": code}
    assert len(code) == 8
    context = data["authenticationContext"]
    assert context["requestType"] == "signUp"
    assert context["client"]["ip"] == "127.0.0.1"
    assert context["client"]["locale"] == "en"
    assert context["clientServicePrincipal"]["appId"] == world.app.client_id
    assert context["clientServicePrincipal"]["appDisplayName"] == "Shop"
    assert context["correlationId"]
    with in_tenant(world.tenant):
        kept = ExtensionCall.objects.get()
    assert kept.outcome == CallOutcome.OK
    assert kept.request_body["data"]["otpContext"]["oneTimeCode"] == REDACTED
    assert kept.correlation_id == context["correlationId"]

    verified = client.post(sent["Location"], {"code": code})
    assert verified["Location"] == f"/{world.tenant.domain_name}/account/complete/"
    done = client.post(verified["Location"], PROFILE)
    assert done["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")
    assert mail.outbox == []


def test_a_customer_signs_in_with_the_code_the_provider_received(
    tenant_b: Tenant, otp_service: OtpService, django_capture_on_commit_callbacks: Capture
) -> None:
    world = make_flow_world(tenant_b, SignInMethod.EMAIL_OTP)
    make_customer(tenant_b, "otp@example.com")
    otp_listen(tenant_b, otp_service)
    client = Client()
    to_code_page = client.get(authorize_url(world))
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(to_code_page["Location"], {"email": "otp@example.com"})
    assert sent.status_code == 302
    assert mail.outbox == []
    (call,) = otp_service.received
    assert call["body"]["data"]["authenticationContext"]["requestType"] == "signIn"
    signed_in = client.post(sent["Location"], {"code": otp_service.last_code("otp@example.com")})
    assert signed_in.status_code == 302
    assert client.get(authorize_url(world))["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")


def test_a_password_is_reset_with_the_code_the_provider_received(
    flow_world: FlowWorld, otp_service: OtpService, django_capture_on_commit_callbacks: Capture
) -> None:
    tenant = flow_world.tenant.domain_name
    customer = make_customer(flow_world.tenant, "forgetful@example.com")
    otp_listen(flow_world.tenant, otp_service)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/{tenant}/account/password/reset/", {"email": customer.email})
    assert sent.status_code == 302
    assert mail.outbox == []
    (call,) = otp_service.received
    context = call["body"]["data"]["authenticationContext"]
    assert context["requestType"] == "passwordReset"
    assert "clientServicePrincipal" not in context  # no app is signing in
    code = otp_service.last_code("forgetful@example.com")
    choose = client.post(sent["Location"], {"code": code})["Location"]
    new = "Another-Long-Pass-2"
    assert client.post(choose, {"password1": new, "password2": new}).status_code == 302
    with in_tenant(flow_world.tenant):
        assert User.objects.get(pk=customer.pk).check_password(new)


@pytest.mark.parametrize("fault", ["500", "slow", "wrong-type", "not-json"])
def test_a_failed_send_with_the_fail_policy_stops_on_a_branded_page(
    flow_world: FlowWorld,
    otp_service: OtpService,
    django_capture_on_commit_callbacks: Capture,
    fault: str,
) -> None:
    otp_listen(flow_world.tenant, otp_service, timeout_ms=300)
    otp_service.fault = fault
    client, answer = sign_up(flow_world, django_capture_on_commit_callbacks, "bea@example.com")
    assert answer.status_code == 503
    assert NOT_SENT in answer.text
    assert "Back to sign in" in answer.text
    assert mail.outbox == []
    (call,) = otp_service.received
    code = call["body"]["data"]["otpContext"]["oneTimeCode"]
    assert code not in answer.text
    with in_tenant(flow_world.tenant):
        kept = ExtensionCall.objects.get()
        # The sign-up stopped: no account waits for a code that never came, so the customer
        # may simply start again once the provider is back.
        assert not User.objects.filter(email="bea@example.com").exists()
        row = SignInEvent.objects.get(reason=Reason.EXTENSION_FAILED)
    assert (row.customer_email, row.customer_object_id) == ("bea@example.com", None)
    assert row.details["request_type"] == "signUp"
    assert kept.outcome != CallOutcome.OK
    assert code not in str(kept.request_body)
    # The same browser goes on without an error: back to sign in, or to the code page of the
    # sign-up that stopped (which has nothing to verify).
    tenant = flow_world.tenant.domain_name
    assert client.get(f"/{tenant}/account/login/").status_code == 200
    assert client.get(f"/{tenant}/account/confirm-email/").status_code == 302

    # A few minutes later (allauth sends an address one confirmation code per 3 minutes; the
    # limit is all the cache holds here) the provider is back, and so is the sign-up.
    cache.clear()
    otp_service.fault = None
    _client, again = sign_up(flow_world, django_capture_on_commit_callbacks, "bea@example.com")
    assert again.status_code == 302
    assert otp_service.codes["bea@example.com"]


def test_a_failed_send_with_the_continue_policy_emails_the_code(
    flow_world: FlowWorld, otp_service: OtpService, django_capture_on_commit_callbacks: Capture
) -> None:
    otp_listen(flow_world.tenant, otp_service, policy=FailurePolicy.CONTINUE)
    otp_service.fault = "500"
    client, sent = sign_up(flow_world, django_capture_on_commit_callbacks, "cy@example.com")
    assert sent.status_code == 302
    assert len(otp_service.received) == 1
    (message,) = mail.outbox
    assert message.to == ["cy@example.com"]
    verified = client.post(sent["Location"], {"code": last_code()})
    assert verified["Location"] == f"/{flow_world.tenant.domain_name}/account/complete/"
    done = client.post(verified["Location"], PROFILE)
    assert done["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")
    # The send failed and the policy went on: the sign-in's success row, written on a later
    # request than the send, says so.
    with in_tenant(flow_world.tenant):
        success = SignInEvent.objects.filter(reason="success").latest("id")
    assert success.customer_email == "cy@example.com"
    (note,) = success.details["extensions"]
    assert note == {
        "extension": note["extension"],
        "event": "emailOtpSend",
        "outcome": "error_status",
        "continued": True,
    }
    assert note["extension"]


def test_an_unreachable_provider_with_the_fail_policy_fails_the_reset_not_the_page(
    flow_world: FlowWorld, otp_service: OtpService, django_capture_on_commit_callbacks: Capture
) -> None:
    customer = make_customer(flow_world.tenant, "dee@example.com")
    otp_listen(flow_world.tenant, otp_service, timeout_ms=300)
    otp_service.close()  # the provider is gone
    with django_capture_on_commit_callbacks(execute=True):
        answer = Client().post(
            f"/{flow_world.tenant.domain_name}/account/password/reset/", {"email": customer.email}
        )
    assert answer.status_code == 503
    assert NOT_SENT in answer.text
    assert mail.outbox == []
    with in_tenant(flow_world.tenant):
        assert ExtensionCall.objects.get().outcome == CallOutcome.UNREACHABLE


def test_the_token_names_our_caller_and_the_providers_api(
    flow_world: FlowWorld, otp_service: OtpService, django_capture_on_commit_callbacks: Capture
) -> None:
    """A token for another API is refused by the service, as Entra's sample refuses it: the
    fail policy then stops the sign-up (the service's check is real, not decoration)."""
    otp_listen(flow_world.tenant, otp_service)
    otp_service.audience = "some-other-api"
    _client, answer = sign_up(flow_world, django_capture_on_commit_callbacks, "eve@example.com")
    assert answer.status_code == 503
    assert not otp_service.received[0]["token_valid"]
    assert CALLER_APP_ID  # the caller the service checks in `azp`


def test_the_emailed_second_factor_goes_to_the_provider_and_a_failure_stops_it(
    flow_world: FlowWorld, otp_service: OtpService, django_capture_on_commit_callbacks: Capture
) -> None:
    world = flow_world
    make_customer(world.tenant, EMAIL)
    otp_listen(world.tenant, otp_service)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        held = sign_in(client, world, asking(world, acr_values=MFA))
    assert held["Location"] == page(world, "email/")
    assert mail.outbox == []
    (call,) = otp_service.received
    assert call["body"]["data"]["authenticationContext"]["requestType"] == "mfa"
    claims = id_token_of(
        client, world, client.post(page(world, "email/"), {"code": otp_service.last_code(EMAIL)})
    )
    assert claims["amr"] == ["pwd", "otp", "mfa"]

    otp_service.fault = "500"
    other = Client()
    with django_capture_on_commit_callbacks(execute=True):
        stopped = sign_in(other, world, asking(world, acr_values=MFA, prompt="login"))
    assert stopped.status_code == 503, stopped.get("Location")
    assert NOT_SENT in stopped.text
    assert mail.outbox == []
    assert not signed_in(other, world)


def test_a_send_stopped_by_the_fail_policy_is_in_the_sign_in_log(
    tenant_b: Tenant, otp_service: OtpService, django_capture_on_commit_callbacks: Capture
) -> None:
    world = make_flow_world(tenant_b, SignInMethod.EMAIL_OTP)
    make_customer(tenant_b, "otp@example.com")
    otp_listen(tenant_b, otp_service, timeout_ms=300)
    otp_service.fault = "slow"
    client = Client()
    to_code_page = client.get(authorize_url(world))
    with django_capture_on_commit_callbacks(execute=True):
        stopped = client.post(to_code_page["Location"], {"email": "otp@example.com"})
    assert stopped.status_code == 503
    with in_tenant(tenant_b):
        row = SignInEvent.objects.get(reason=Reason.EXTENSION_FAILED)
        kept = ExtensionCall.objects.get()
    assert row.status == "failure"
    assert row.customer_email == "otp@example.com"
    assert row.client_id == world.app.client_id
    assert row.correlation_id == kept.correlation_id
    assert row.details["extension"] == "Our email provider"
    assert row.details["event"] == "emailOtpSend"
    assert row.details["request_type"] == "signIn"
    assert row.details["outcome"] == CallOutcome.TIMEOUT
    assert otp_service.received[0]["body"]["data"]["otpContext"]["oneTimeCode"] not in str(
        row.details
    )
