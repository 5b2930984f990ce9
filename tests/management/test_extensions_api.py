"""/identity/customAuthenticationExtensions and /identity/authenticationEventListeners through
the real server: register, read (the URL's query never answered), update with If-Match, set a
listener on an app and the tenant's OnOtpSend listener, replace and delete them, field
problems, and each write audited with the calling app."""

import uuid

import requests

from extensions.flow_listeners import flow_listener
from extensions.models import ExtensionEvent
from tenants.models import AuditEntry
from tenants.schemas import in_tenant
from tests.factories.management import ManagementWorld
from userflows.models import UserFlow
from userflows.services import userflow_create

EXTENSIONS = "identity/customAuthenticationExtensions"
LISTENERS = "identity/authenticationEventListeners"


def _extension(world: ManagementWorld, event: str, **fields: object) -> dict[str, object]:
    return {
        "displayName": f"Claims {uuid.uuid4().hex[:8]}",
        "eventType": event,
        "endpointConfiguration": {"targetUrl": "https://claims.example.com/api?code=s3cret"},
        "authenticationConfiguration": {"resourceId": world.web.client_id},
        **fields,
    }


def _actions(world: ManagementWorld, action_prefix: str, since: int) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            tenant_uuid=world.tenant.tenant_id, action__startswith=action_prefix, pk__gt=since
        ).order_by("pk")
    )


def _last_entry(world: ManagementWorld) -> int:
    last = AuditEntry.objects.filter(tenant_uuid=world.tenant.tenant_id).order_by("-pk").first()
    return last.pk if last is not None else 0


def test_extension_lifecycle(management_world: ManagementWorld, db: None) -> None:
    headers = management_world.headers()
    since = _last_entry(management_world)
    created = requests.post(
        management_world.url(EXTENSIONS),
        json=_extension(management_world, "tokenIssuanceStart"),
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    # The function key in the query is write-only.
    assert body["endpointConfiguration"]["targetUrl"] == "https://claims.example.com/api?…"
    assert "s3cret" not in created.text
    assert body["clientConfiguration"] == {"timeoutInMilliseconds": 2000, "maximumRetries": 1}
    url = management_world.url(f"{EXTENSIONS}/{body['id']}")

    read = requests.get(url, headers=headers, timeout=10)
    assert read.json() == body
    etag = read.headers["ETag"]
    updated = requests.patch(
        url,
        json={"clientConfiguration": {"timeoutInMilliseconds": 500}, "description": "v2"},
        headers={**headers, "If-Match": etag},
        timeout=10,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["clientConfiguration"]["timeoutInMilliseconds"] == 500
    assert updated.json()["description"] == "v2"
    assert updated.json()["endpointConfiguration"] == body["endpointConfiguration"]
    stale = requests.patch(
        url, json={"description": "v3"}, headers={**headers, "If-Match": etag}, timeout=10
    )
    assert stale.status_code == 412
    other_event = requests.patch(
        url, json={"eventType": "emailOtpSend"}, headers=headers, timeout=10
    )
    assert other_event.status_code == 400
    assert "eventType" in other_event.json()["errors"]

    assert requests.delete(url, headers=headers, timeout=10).status_code == 204
    assert requests.get(url, headers=headers, timeout=10).status_code == 404

    entries = _actions(management_world, "extension.", since)
    assert [entry.action for entry in entries] == [
        "extension.added",
        "extension.updated",
        "extension.removed",
    ]
    client_id = management_world.credentials["ALL"][0]
    assert all(entry.details["calling_app"] == client_id for entry in entries)
    assert all("s3cret" not in str(entry.details) for entry in entries)


def test_bad_extensions_are_field_problems(management_world: ManagementWorld) -> None:
    headers = management_world.headers()
    cases = [
        (
            _extension(
                management_world,
                "tokenIssuanceStart",
                endpointConfiguration={"targetUrl": "http://claims.example.com/api"},
            ),
            "endpointConfiguration.targetUrl",
        ),
        (
            _extension(
                management_world,
                "tokenIssuanceStart",
                authenticationConfiguration={"resourceId": "no-such-app"},
            ),
            "authenticationConfiguration.resourceId",
        ),
        (
            _extension(
                management_world,
                "tokenIssuanceStart",
                clientConfiguration={"timeoutInMilliseconds": 5000},
            ),
            "clientConfiguration.timeoutInMilliseconds",
        ),
        (_extension(management_world, "onSomething"), "eventType"),
    ]
    for body, field in cases:
        response = requests.post(
            management_world.url(EXTENSIONS), json=body, headers=headers, timeout=10
        )
        assert response.status_code == 400, (field, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert field in response.json()["errors"], (field, response.json())


def test_listeners_on_an_app_and_for_the_tenant(
    management_world: ManagementWorld, db: None
) -> None:
    headers = management_world.headers()
    since = _last_entry(management_world)
    claims = requests.post(
        management_world.url(EXTENSIONS),
        json=_extension(management_world, "tokenIssuanceStart"),
        headers=headers,
        timeout=10,
    ).json()
    otp = requests.post(
        management_world.url(EXTENSIONS),
        json=_extension(management_world, "emailOtpSend"),
        headers=headers,
        timeout=10,
    ).json()
    on_app = {
        "eventType": "tokenIssuanceStart",
        "conditions": {
            "applications": {"includeApplications": [{"appId": management_world.web.client_id}]}
        },
        "handler": {"customExtension": {"id": claims["id"]}},
    }
    made = requests.post(management_world.url(LISTENERS), json=on_app, headers=headers, timeout=10)
    assert made.status_code == 201, made.text
    listener = made.json()
    assert listener["handler"]["failurePolicy"] == "continue"  # Entra's default for the event
    assert listener["authenticationEventsFlowId"] is None
    again = requests.post(management_world.url(LISTENERS), json=on_app, headers=headers, timeout=10)
    assert again.status_code == 200
    assert again.json()["id"] == listener["id"]

    # An extension of another event is refused as the handler of this one.
    wrong = requests.post(
        management_world.url(LISTENERS),
        json={**on_app, "handler": {"customExtension": {"id": otp["id"]}}},
        headers=headers,
        timeout=10,
    )
    assert wrong.status_code == 400
    assert "handler" in wrong.json()["errors"]
    no_place = requests.post(
        management_world.url(LISTENERS),
        json={"eventType": "tokenIssuanceStart", "handler": on_app["handler"]},
        headers=headers,
        timeout=10,
    )
    assert no_place.status_code == 400
    assert "conditions" in no_place.json()["errors"]

    url = management_world.url(f"{LISTENERS}/{listener['id']}")
    etag = requests.get(url, headers=headers, timeout=10).headers["ETag"]
    replaced = requests.put(
        url,
        json={"handler": {"customExtension": {"id": claims["id"]}, "failurePolicy": "fail"}},
        headers={**headers, "If-Match": etag},
        timeout=10,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["handler"]["failurePolicy"] == "fail"
    stale = requests.delete(url, headers={**headers, "If-Match": etag}, timeout=10)
    assert stale.status_code == 412

    tenant_wide = requests.post(
        management_world.url(LISTENERS),
        json={"eventType": "emailOtpSend", "handler": {"customExtension": {"id": otp["id"]}}},
        headers=headers,
        timeout=10,
    )
    assert tenant_wide.status_code in (200, 201), tenant_wide.text
    assert tenant_wide.json()["handler"]["failurePolicy"] == "fail"
    assert tenant_wide.json()["conditions"] is None
    listed = requests.get(management_world.url(LISTENERS), headers=headers, timeout=10).json()
    assert {listener["id"], tenant_wide.json()["id"]} <= {item["id"] for item in listed["value"]}

    assert requests.delete(url, headers=headers, timeout=10).status_code == 204
    otp_url = management_world.url(f"{LISTENERS}/{tenant_wide.json()['id']}")
    assert requests.delete(otp_url, headers=headers, timeout=10).status_code == 204
    assert requests.get(url, headers=headers, timeout=10).status_code == 404

    entries = _actions(management_world, "extension.listener", since)
    assert [entry.action for entry in entries] == [
        "extension.listener_set",
        "extension.listener_set",
        "extension.listener_set",
        "extension.listener_set",
        "extension.listener_removed",
        "extension.listener_removed",
    ]
    client_id = management_world.credentials["ALL"][0]
    assert all(entry.details["calling_app"] == client_id for entry in entries)
    for extension in (claims, otp):
        requests.delete(
            management_world.url(f"{EXTENSIONS}/{extension['id']}"), headers=headers, timeout=10
        )


def test_a_user_flow_listener_for_attribute_collection(
    management_world: ManagementWorld, committed_db: None
) -> None:
    headers = management_world.headers()
    with in_tenant(management_world.tenant):
        flow = userflow_create(name=f"Sign up {uuid.uuid4().hex[:6]}")
    try:
        extension = requests.post(
            management_world.url(EXTENSIONS),
            json=_extension(management_world, "attributeCollectionSubmit"),
            headers=headers,
            timeout=10,
        ).json()
        body = {
            "eventType": "attributeCollectionSubmit",
            "authenticationEventsFlowId": str(flow.flow_id),
            "handler": {"customExtension": {"id": extension["id"]}},
        }
        made = requests.post(
            management_world.url(LISTENERS), json=body, headers=headers, timeout=10
        )
        assert made.status_code == 201, made.text
        assert made.json()["authenticationEventsFlowId"] == str(flow.flow_id)
        assert made.json()["handler"]["failurePolicy"] == "fail"  # Entra's default for submit
        with in_tenant(management_world.tenant):
            listener = flow_listener(flow=flow, event=ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT)
            assert listener is not None
            assert str(listener.extension.extension_id) == extension["id"]
        # A flow the tenant does not have is a field problem.
        on_nothing = requests.post(
            management_world.url(LISTENERS),
            json={**body, "authenticationEventsFlowId": str(uuid.uuid4())},
            headers=headers,
            timeout=10,
        )
        assert on_nothing.status_code == 400
        assert "authenticationEventsFlowId" in on_nothing.json()["errors"]
        url = management_world.url(f"{LISTENERS}/{made.json()['id']}")
        assert requests.delete(url, headers=headers, timeout=10).status_code == 204
        with in_tenant(management_world.tenant):
            assert (
                flow_listener(flow=flow, event=ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT) is None
            )
        requests.delete(
            management_world.url(f"{EXTENSIONS}/{extension['id']}"), headers=headers, timeout=10
        )
    finally:
        with in_tenant(management_world.tenant):
            UserFlow.objects.filter(pk=flow.pk).delete()
