"""The tenant's OnOtpSend listener (issue 14): one per tenant, only for an OnOtpSend extension,
replaced in place, removed; another tenant's codes never go to it."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from extensions.models import (
    CustomAuthenticationExtension,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from extensions.otp_listeners import (
    OtpListenerRefused,
    otp_listener,
    otp_listener_remove,
    otp_listener_set,
)
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.flows import make_flow_world
from tests.factories.otp_service import OtpService, otp_extension, otp_listen

Capture = Callable[..., Any]


def test_one_listener_per_tenant_replaced_in_place_and_removed(
    tenant_a: Tenant, otp_service: OtpService
) -> None:
    with in_tenant(tenant_a):
        first = otp_extension(otp_service)
        second = CustomAuthenticationExtension.objects.create(
            name="SMS provider",
            event=ExtensionEvent.OTP_SEND,
            target_url=otp_service.url,
            api_app=first.api_app,
        )
        made = otp_listener_set(extension=first)
        assert made.failure_policy == FailurePolicy.FAIL  # Entra's default for OnOtpSend
        again = otp_listener_set(extension=second, failure_policy=FailurePolicy.CONTINUE)
        assert again.pk == made.pk
        assert ExtensionListener.objects.count() == 1
        found = otp_listener()
        assert found is not None
        assert (found.extension, found.failure_policy) == (second, FailurePolicy.CONTINUE)
        assert otp_listener_remove() is True
        assert otp_listener() is None
        assert otp_listener_remove() is False


def test_only_an_otp_extension_and_a_known_policy(
    tenant_a: Tenant, otp_service: OtpService
) -> None:
    with in_tenant(tenant_a):
        otp = otp_extension(otp_service)
        claims = CustomAuthenticationExtension.objects.create(
            name="Claims",
            event=ExtensionEvent.TOKEN_ISSUANCE_START,
            target_url=otp_service.url,
            api_app=otp.api_app,
        )
        with pytest.raises(OtpListenerRefused):
            otp_listener_set(extension=claims)
        with pytest.raises(OtpListenerRefused):
            otp_listener_set(extension=otp, failure_policy="maybe")
        assert not ExtensionListener.objects.exists()


def test_another_tenants_codes_never_reach_the_listener(
    tenant_a: Tenant,
    tenant_b: Tenant,
    otp_service: OtpService,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    otp_listen(tenant_a, otp_service)
    world = make_flow_world(tenant_b)
    client = Client()
    client.get(authorize_url(world))
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/{tenant_b.domain_name}/account/signup/",
            {"email": "bob@example.com", "next": authorize_url(world)},
        )
    assert sent.status_code == 302
    assert otp_service.received == []
    (message,) = mail.outbox
    assert message.to == ["bob@example.com"]
