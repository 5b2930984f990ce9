"""The console's sample requests (issue 14): each event's request carries what Entra documents
for it, inside the envelope a sign-in sends."""

import pytest

from apps.models import Platform
from apps.services import app_register
from extensions.client import REDACTED, redacted
from extensions.models import CustomAuthenticationExtension, ExtensionEvent
from extensions.samples import sample_request
from tenants.models import Tenant
from tenants.schemas import in_tenant

CALLOUT_TYPES = {
    ExtensionEvent.TOKEN_ISSUANCE_START: "microsoft.graph.onTokenIssuanceStartCalloutData",
    ExtensionEvent.ATTRIBUTE_COLLECTION_START: (
        "microsoft.graph.onAttributeCollectionStartCalloutData"
    ),
    ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT: (
        "microsoft.graph.onAttributeCollectionSubmitCalloutData"
    ),
    ExtensionEvent.OTP_SEND: "microsoft.graph.onOtpSendCalloutData",
}


@pytest.mark.parametrize("event", list(ExtensionEvent))
def test_each_events_sample_has_entras_shape(tenant_a: Tenant, event: ExtensionEvent) -> None:
    with in_tenant(tenant_a):
        api = app_register(name="Claims API", platform=Platform.DAEMON)
        extension = CustomAuthenticationExtension.objects.create(
            name="Sampled", event=event, target_url="https://x.example.com/", api_app=api
        )
    tenant_id = str(tenant_a.tenant_id)
    sample = sample_request(extension=extension, tenant_id=tenant_id)
    data = sample["data"]
    assert sample["type"] == f"microsoft.graph.authenticationEvent.{event.value}"
    assert sample["source"].startswith(f"/tenants/{tenant_id}/applications/")
    assert data["@odata.type"] == CALLOUT_TYPES[event]
    assert data["tenantId"] == tenant_id
    assert data["customAuthenticationExtensionId"] == str(extension.extension_id)
    context = data["authenticationContext"]
    assert context["correlationId"]
    assert context["protocol"] == "OAUTH2.0"
    assert set(context["clientServicePrincipal"]) == {
        "id",
        "appId",
        "appDisplayName",
        "displayName",
    }
    if event == ExtensionEvent.TOKEN_ISSUANCE_START:
        assert context["user"]["mail"] == context["user"]["userPrincipalName"]
    elif event == ExtensionEvent.OTP_SEND:
        assert context["requestType"] == "signUp"
        assert data["otpContext"]["oneTimeCode"].isdigit()
        assert redacted(sample)["data"]["otpContext"]["oneTimeCode"] == REDACTED
    else:
        info = data["userSignUpInfo"]
        assert info["identities"][0]["signInType"] == "email"
        email = info["attributes"]["email"]
        assert email["@odata.type"] == "microsoft.graph.stringDirectoryAttributeValue"
        assert email["attributeType"] == "builtIn"
        submitted = event == ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT
        assert ("givenName" in info["attributes"]) is submitted
