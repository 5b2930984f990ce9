"""Limits on sending one-time codes: per address, per IP, and per tenant."""

from collections.abc import Callable
from typing import Any

from django.core import mail
from django.test import Client

from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer
from userflows.models import SignInMethod, UserFlow
from userflows.services import flow_apps_assign

Capture = Callable[..., Any]


def passwordless(tenant: Tenant) -> str:
    from apps import services as app_services
    from apps.models import Platform

    with in_tenant(tenant):
        flow = UserFlow.objects.create(name="Codes", sign_in_method=SignInMethod.EMAIL_OTP)
        app = app_services.app_register(
            name="Codes app", platform=Platform.WEB, redirect_uris=["https://codes.example/cb"]
        )
        flow_apps_assign(flow=flow, apps=[app])
    return (
        f"/{tenant.domain_name}/oauth2/v2.0/authorize?client_id={app.client_id}"
        "&response_type=code&scope=openid&redirect_uri=https://codes.example/cb"
    )


def request_codes(
    tenant: Tenant,
    authorize: str,
    email: str,
    times: int,
    capture: Capture,
    ip: str = "203.0.113.9",
) -> list[int]:
    statuses = []
    for _ in range(times):
        client = Client(REMOTE_ADDR=ip)
        client.get(authorize)
        with capture(execute=True):
            response = client.post(f"/{tenant.domain_name}/account/login/code/", {"email": email})
        statuses.append(response.status_code)
    return statuses


def test_codes_are_limited_per_address_and_the_limit_is_per_tenant(
    tenant_a: Tenant, tenant_b: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    for tenant in (tenant_a, tenant_b):
        make_customer(tenant, "limited@example.com")
    authorize_a, authorize_b = passwordless(tenant_a), passwordless(tenant_b)
    statuses = request_codes(
        tenant_a, authorize_a, "limited@example.com", 5, django_capture_on_commit_callbacks
    )
    sent_in_a = [m for m in mail.outbox if "limited@example.com" in m.to]
    assert len(sent_in_a) == 3  # allauth: 3 codes a minute per address
    assert statuses[:3] == [302, 302, 302]
    assert 302 not in statuses[3:]  # the form says to wait, and sends nothing
    # Another tenant's customer with the same address is not affected.
    mail.outbox.clear()
    statuses_b = request_codes(
        tenant_b, authorize_b, "limited@example.com", 1, django_capture_on_commit_callbacks
    )
    assert statuses_b == [302]
    assert len(mail.outbox) == 1


def test_codes_are_limited_per_ip(
    tenant_a: Tenant, django_capture_on_commit_callbacks: Capture
) -> None:
    authorize = passwordless(tenant_a)
    emails = [f"person{i}@example.com" for i in range(22)]
    for email in emails:
        make_customer(tenant_a, email)
    statuses: list[int] = []
    for email in emails:
        statuses += request_codes(
            tenant_a, authorize, email, 1, django_capture_on_commit_callbacks, ip="198.51.100.7"
        )
    # allauth: 20 codes a minute per IP; then the form says to wait and sends nothing.
    assert statuses[:20] == [302] * 20
    assert 302 not in statuses[20:]
    assert len(mail.outbox) == 20
