"""Sample requests for the replay console's "Send a test event" (issue 14): what a real call of
each event carries, as Entra documents it, with made-up customer and client values, so an
extension's developer sees the shape their code must read. The envelope (type, tenant, IDs)
comes from `extensions.client.envelope`, as a sign-in's does.
"""

import uuid
from typing import Any

from extensions.client import envelope
from extensions.models import CustomAuthenticationExtension, ExtensionEvent

SAMPLE_EMAIL = "ada.lovelace@example.com"
# The test's place in the journey: Entra names the client app by its service principal.
SAMPLE_CLIENT_APP_ID = "00000000-0000-4000-8000-00000000c11e"


def _context(tenant_id: str, correlation_id: str) -> dict[str, Any]:
    return {
        "correlationId": correlation_id,
        "client": {"ip": "203.0.113.7", "locale": "en-us", "market": "en-us"},
        "protocol": "OAUTH2.0",
        "clientServicePrincipal": {
            "id": "00000000-0000-4000-8000-0000000005b1",
            "appId": SAMPLE_CLIENT_APP_ID,
            "appDisplayName": "Sample web shop",
            "displayName": "Sample web shop",
        },
        "resourceServicePrincipal": {
            "id": "00000000-0000-4000-8000-0000000005b2",
            "appId": SAMPLE_CLIENT_APP_ID,
            "appDisplayName": "Sample web shop",
            "displayName": "Sample web shop",
        },
    }


def _sign_up_info(submitted: bool) -> dict[str, Any]:
    def text(value: str, attribute_type: str = "builtIn") -> dict[str, str]:
        return {
            "@odata.type": "microsoft.graph.stringDirectoryAttributeValue",
            "value": value,
            "attributeType": attribute_type,
        }

    attributes: dict[str, Any] = {"email": text(SAMPLE_EMAIL)}
    if submitted:
        attributes |= {
            "givenName": text("Ada"),
            "surname": text("Lovelace"),
            "city": text("London"),
            "extension_loyaltyNumber": text("LN-1815", "directorySchemaExtension"),
            "extension_newsletter": {
                "@odata.type": "microsoft.graph.booleanDirectoryAttributeValue",
                "value": True,
                "attributeType": "directorySchemaExtension",
            },
        }
    return {
        "userSignUpInfo": {
            "attributes": attributes,
            "identities": [
                {
                    "signInType": "email",
                    "issuer": "example.ciam",
                    "issuerAssignedId": SAMPLE_EMAIL,
                }
            ],
        }
    }


def sample_request(*, extension: CustomAuthenticationExtension, tenant_id: str) -> dict[str, Any]:
    """A request for the extension's event, as a sign-in would send it (tenant schema)."""
    correlation_id = str(uuid.uuid4())
    context = _context(tenant_id, correlation_id)
    data: dict[str, Any] = {}
    event = extension.event
    if event == ExtensionEvent.TOKEN_ISSUANCE_START:
        context["user"] = {
            "companyName": "Analytical Engines Ltd",
            "createdDateTime": "2025-11-02T09:41:00Z",
            "displayName": "Ada Lovelace",
            "givenName": "Ada",
            "id": "00000000-0000-4000-8000-0000000ada01",
            "mail": SAMPLE_EMAIL,
            "preferredLanguage": "en-GB",
            "surname": "Lovelace",
            "userPrincipalName": SAMPLE_EMAIL,
            "userType": "Member",
        }
    elif event == ExtensionEvent.ATTRIBUTE_COLLECTION_START:
        data = _sign_up_info(submitted=False)
    elif event == ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT:
        data = _sign_up_info(submitted=True)
    elif event == ExtensionEvent.OTP_SEND:
        context["requestType"] = "signUp"
        data = {"otpContext": {"identifier": SAMPLE_EMAIL, "oneTimeCode": "507384"}}
    return envelope(
        extension=extension,
        listener=None,
        tenant_id=tenant_id,
        source=f"/tenants/{tenant_id}/applications/{SAMPLE_CLIENT_APP_ID}",
        authentication_context=context,
        data=data,
    )
