"""A user flow's Extensions section (issue 14): each attribute collection event's extension and
failure policy, Entra's defaults shown, each change audited, a wrong choice a form error."""

from django.test import Client

from apps.models import Platform
from apps.services import app_register
from extensions.models import CustomAuthenticationExtension, ExtensionEvent, ExtensionListener
from tenants.models import AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from userflows import services as flow_services

START = ExtensionEvent.ATTRIBUTE_COLLECTION_START
SUBMIT = ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT


def test_an_admin_chooses_each_events_extension_and_policy(
    admin_client: Client, tenant_a: Tenant
) -> None:
    with in_tenant(tenant_a):
        flow = flow_services.userflow_create(name="Shop sign-up")
        api = app_register(name="Checks API", platform=Platform.DAEMON)
        made = {
            event: CustomAuthenticationExtension.objects.create(
                name=f"Check {event}", event=event, target_url="https://x.example/", api_app=api
            )
            for event in (START, SUBMIT, ExtensionEvent.TOKEN_ISSUANCE_START)
        }
    url = f"/admin-center/tenants/{tenant_a.tenant_id}/user-flows/{flow.flow_id}/extensions/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "OnAttributeCollectionStart" in page.text
    assert "Check tokenIssuanceStart" not in page.text  # not of a flow's events
    # Entra's defaults: Start continues, Submit fails.
    assert 'name="policy_attributeCollectionStart" value="continue" checked' in page.text
    assert 'name="policy_attributeCollectionSubmit" value="fail" checked' in page.text

    saved = admin_client.post(
        f"{url}set/",
        {
            f"extension_{START}": str(made[START].pk),
            f"policy_{START}": "fail",
            f"extension_{SUBMIT}": str(made[SUBMIT].pk),
            f"policy_{SUBMIT}": "fail",
        },
    )
    assert saved.status_code == 302
    with in_tenant(tenant_a):
        listeners = {x.event: x for x in ExtensionListener.objects.filter(user_flow=flow)}
    assert listeners[START].extension_id == made[START].pk
    assert listeners[START].failure_policy == "fail"
    assert listeners[SUBMIT].failure_policy == "fail"
    entries = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_LISTENER_SET
    )
    assert {entry.details["event"] for entry in entries} == {START, SUBMIT}

    # Another event's extension, an unknown one, or an unknown policy: a form error, no change.
    for wrong in (
        {f"extension_{START}": str(made[ExtensionEvent.TOKEN_ISSUANCE_START].pk)},
        {f"extension_{START}": "999999"},
        {f"extension_{START}": "x"},
        {f"extension_{START}": str(made[START].pk), f"policy_{START}": "maybe"},
    ):
        refused = admin_client.post(f"{url}set/", wrong)
        assert refused.status_code == 400, wrong
    with in_tenant(tenant_a):
        assert ExtensionListener.objects.filter(user_flow=flow).count() == 2

    removed = admin_client.post(f"{url}set/", {f"extension_{SUBMIT}": str(made[SUBMIT].pk)})
    assert removed.status_code == 302
    with in_tenant(tenant_a):
        assert list(
            ExtensionListener.objects.filter(user_flow=flow).values_list("event", flat=True)
        ) == [SUBMIT]
    [entry] = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_LISTENER_REMOVED
    )
    assert entry.details["event"] == START
