"""A user flow's Identity providers section: the tenant's providers as checkboxes beside the
email options; saving sets exactly the checked ones, audited; unknown values are form errors."""

import pytest
from django.test import Client

from federation.models import IdentityProvider
from federation.services import identity_provider_create
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import MakeOperator, operator_client
from userflows.models import UserFlow


@pytest.fixture
def flow_admin(tenant_a: Tenant, operator_factory: MakeOperator) -> Client:
    operator = operator_factory(tenant=tenant_a, roles=[AdminRole.USER_FLOW_ADMINISTRATOR])
    return operator_client(operator.email)


def section_url(tenant: Tenant, flow: UserFlow, rest: str = "") -> str:
    flows = f"/admin-center/tenants/{tenant.tenant_id}/user-flows"
    return f"{flows}/{flow.flow_id}/identity-providers/{rest}"


def offered(tenant: Tenant, flow: UserFlow) -> set[str]:
    with in_tenant(tenant):
        return set(flow.identity_providers.values_list("slug", flat=True))


def test_no_providers_yet(tenant_a: Tenant, flow_admin: Client) -> None:
    with in_tenant(tenant_a):
        flow = UserFlow.objects.create(name="Shoppers")
    page = flow_admin.get(section_url(tenant_a, flow)).content.decode()
    assert "None yet" in page
    # A User Flow Administrator does not manage the providers themselves.
    assert "Manage the tenant" not in page


def test_enable_and_disable_providers(tenant_a: Tenant, flow_admin: Client) -> None:
    with in_tenant(tenant_a):
        flow = UserFlow.objects.create(name="Shoppers")
        google = identity_provider_create(
            kind="google", display_name="Google", client_id="g", secret="s"
        )
        facebook = identity_provider_create(
            kind="facebook", display_name="Facebook", client_id="f", secret="s"
        )
    page = flow_admin.get(section_url(tenant_a, flow)).content.decode()
    assert "Google (Google)" in page
    assert "Facebook (Facebook)" in page
    assert 'name="sign_in_method"' in page
    url = section_url(tenant_a, flow, "federation/")
    response = flow_admin.post(url, {"identity_providers": [google.pk, facebook.pk]})
    assert response.status_code == 302
    assert offered(tenant_a, flow) == {"google", "facebook"}
    page = flow_admin.get(section_url(tenant_a, flow)).content.decode()
    assert page.count(" checked") == 3  # the email option and both providers
    flow_admin.post(url, {"identity_providers": [facebook.pk]})
    assert offered(tenant_a, flow) == {"facebook"}
    flow_admin.post(url, {})
    assert offered(tenant_a, flow) == set()
    entries = list(
        AuditEntry.objects.filter(
            tenant_uuid=tenant_a.tenant_id,
            action=AuditAction.USERFLOW_IDENTITY_PROVIDERS_CHANGED,
        ).order_by("occurred_at")
    )
    assert [entry.details["after"] for entry in entries] == [
        {"identity_providers": ["facebook", "google"]},
        {"identity_providers": ["facebook"]},
        {"identity_providers": []},
    ]
    # The email options are saved by their own form, unchanged by this one.
    with in_tenant(tenant_a):
        assert UserFlow.objects.get(pk=flow.pk).sign_in_method == flow.sign_in_method


def test_unknown_provider_is_a_form_error(tenant_a: Tenant, flow_admin: Client) -> None:
    with in_tenant(tenant_a):
        flow = UserFlow.objects.create(name="Shoppers")
        identity_provider_create(kind="google", display_name="Google", client_id="g", secret="s")
        missing = IdentityProvider.objects.get().pk + 1000
    url = section_url(tenant_a, flow, "federation/")
    for value in (str(missing), "not-a-number"):
        response = flow_admin.post(url, {"identity_providers": [value]})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    assert offered(tenant_a, flow) == set()
    # A GET at the operation's address goes to the section.
    assert flow_admin.get(url)["Location"] == section_url(tenant_a, flow)


def test_another_tenants_provider_cannot_be_offered(
    tenant_a: Tenant, tenant_b: Tenant, flow_admin: Client
) -> None:
    with in_tenant(tenant_b):
        theirs = identity_provider_create(
            kind="google", display_name="Google B", client_id="g", secret="s"
        )
    with in_tenant(tenant_a):
        flow = UserFlow.objects.create(name="Shoppers")
    response = flow_admin.post(
        section_url(tenant_a, flow, "federation/"), {"identity_providers": [theirs.pk]}
    )
    assert response.status_code == 400
    assert offered(tenant_a, flow) == set()


def test_the_flow_lets_its_customers_manage_their_linked_identities(
    tenant_a: Tenant, flow_admin: Client
) -> None:
    with in_tenant(tenant_a):
        flow = UserFlow.objects.create(name="Shoppers")
        google = identity_provider_create(
            kind="google", display_name="Google", client_id="g", secret="s"
        )
    page = flow_admin.get(section_url(tenant_a, flow)).content.decode()
    assert "Customers may see and remove their linked identities" in page
    assert f"/{tenant_a.domain_name}/account/identities/?client_id=" in page
    assert 'name="identities_self_service"' in page
    assert 'name="identities_self_service" id="id_identities_self_service" checked' not in page
    url = section_url(tenant_a, flow, "federation/")
    flow_admin.post(url, {"identity_providers": [google.pk], "identities_self_service": "on"})
    with in_tenant(tenant_a):
        assert UserFlow.objects.get(pk=flow.pk).identities_self_service
    page = flow_admin.get(section_url(tenant_a, flow)).content.decode()
    assert page.count(" checked") == 3  # the email option, Google and the self-service page
    flow_admin.post(url, {"identity_providers": [google.pk]})
    with in_tenant(tenant_a):
        assert not UserFlow.objects.get(pk=flow.pk).identities_self_service
    entries = list(
        AuditEntry.objects.filter(
            tenant_uuid=tenant_a.tenant_id,
            action=AuditAction.USERFLOW_IDENTITY_PROVIDERS_CHANGED,
        ).order_by("occurred_at")
    )
    assert [(entry.details["before"], entry.details["after"]) for entry in entries] == [
        (
            {"identity_providers": [], "identities_self_service": False},
            {"identity_providers": ["google"], "identities_self_service": True},
        ),
        ({"identities_self_service": True}, {"identities_self_service": False}),
    ]
