"""OnAttributeCollectionStart and OnAttributeCollectionSubmit on a user flow's attribute page
(issue 14), through the real sign-up (email, code, attribute page) against a real extension
service on loopback that answers as Entra's samples do: prefill, block page, validation error
(message and per attribute), modified values stored, and each fault by its listener's policy."""

import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from apps import lookups
from apps.models import Platform
from apps.services import app_register
from extensions.flow_listeners import flow_listener_set
from extensions.models import (
    CallOutcome,
    CustomAuthenticationExtension,
    ExtensionCall,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from monitoring.models import SignInEvent
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.extensions.test_client import Service
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld
from userflows.services import userflow_create

Capture = Callable[..., Any]
START = ExtensionEvent.ATTRIBUTE_COLLECTION_START
SUBMIT = ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT
EMAIL = "ada@example.com"
TYPED = {
    "password1": "Long-Enough-Pass-1",
    "password2": "Long-Enough-Pass-1",
    "attr_given_name": "Ada",
    "attr_surname": "Lovelace",
    "attr_city": "Zürich",
    "attr_LoyaltyNumber": "L-1",
    "attr_Tier": "gold",
    "attr_Age": "36",
}


def answer(event: str, action: str, **fields: Any) -> dict[str, Any]:
    """Entra's response: one action of the event."""
    return {
        "data": {
            "@odata.type": f"microsoft.graph.on{event[0].upper()}{event[1:]}ResponseData",
            "actions": [{"@odata.type": f"microsoft.graph.{event}.{action}", **fields}],
        }
    }


def respond(status: int, body: object) -> Callable[[BaseHTTPRequestHandler, Any], None]:
    def handler(handler: BaseHTTPRequestHandler, _body: Any) -> None:
        raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    return handler


def slow(handler: BaseHTTPRequestHandler, _body: Any) -> None:
    time.sleep(0.6)
    respond(200, {})(handler, _body)


@pytest.fixture
def service(loopback_extension: Service) -> Service:
    return loopback_extension


def listen(
    world: FlowWorld, service: Service, event: ExtensionEvent, policy: str | None = None
) -> CustomAuthenticationExtension:
    with in_tenant(world.tenant):
        api = app_register(name=f"Checks API {event}", platform=Platform.DAEMON)
        extension = CustomAuthenticationExtension.objects.create(
            name=f"Checks {event}",
            event=event,
            target_url=service.url,
            api_app=api,
            timeout_ms=300,
            max_retries=0,
        )
        default = FailurePolicy.CONTINUE if event == START else FailurePolicy.FAIL
        flow_listener_set(
            flow=world.flow, event=event, extension=extension, failure_policy=policy or default
        )
    return extension


def custom(world: FlowWorld, name: str) -> str:
    """Entra's name of one of the flow's custom attributes in this tenant."""
    with in_tenant(world.tenant):
        return f"extension_{lookups.extensions_app_id().hex}_{name}"


def attribute_page(client: Client, world: FlowWorld, capture: Capture) -> str:
    """Sign up with EMAIL up to the attribute page: its address."""
    tenant = world.tenant.domain_name
    next_url = authorize_url(world)
    client.get(next_url)
    with capture(execute=True):
        response = client.post(f"/{tenant}/account/signup/", {"email": EMAIL, "next": next_url})
    response = client.post(response["Location"], {"code": last_code()})
    assert "/account/complete/" in response["Location"]
    return str(response["Location"])


def customer(world: FlowWorld) -> User:
    with in_tenant(world.tenant):
        return User.objects.get(email=EMAIL)


def last_call(world: FlowWorld) -> ExtensionCall:
    with in_tenant(world.tenant):
        call = ExtensionCall.objects.order_by("-id").first()
    assert call is not None
    return call


def test_start_sends_entras_sign_up_info_and_prefills_the_flows_fields(
    flow_world: FlowWorld, service: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    listen(flow_world, service, START)
    loyalty = custom(flow_world, "LoyaltyNumber")
    service.answer = respond(
        200,
        answer(
            "attributeCollectionStart",
            "setPrefillValues",
            inputs={
                "city": "Seattle",
                loyalty: "L-77",
                "nickname": "Ada",
                custom(flow_world, "Age"): "x",
            },
        ),
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    page = client.get(url)

    assert page.status_code == 200
    assert 'value="Seattle"' in page.text
    assert 'value="L-77"' in page.text
    body = service.received[-1]["body"]
    assert body["type"] == "microsoft.graph.authenticationEvent.attributeCollectionStart"
    data = body["data"]
    assert data["@odata.type"] == "microsoft.graph.onAttributeCollectionStartCalloutData"
    assert data["authenticationContext"]["client"]["locale"] == "de"
    assert data["authenticationContext"]["clientServicePrincipal"]["appId"] == (
        flow_world.app.client_id
    )
    attributes = data["userSignUpInfo"]["attributes"]
    assert attributes["givenName"] == {
        "@odata.type": "microsoft.graph.stringDirectoryAttributeValue",
        "value": "",
        "attributeType": "builtIn",
    }
    assert attributes[custom(flow_world, "Age")]["@odata.type"] == (
        "microsoft.graph.int64DirectoryAttributeValue"
    )
    assert (
        attributes[custom(flow_world, "Newsletter")]["attributeType"] == "directorySchemaExtension"
    )
    assert attributes[custom(flow_world, "Newsletter")]["value"] is False
    assert data["userSignUpInfo"]["identities"] == [
        {
            "signInType": "email",
            "issuer": flow_world.tenant.domain_name,
            "issuerAssignedId": EMAIL,
        }
    ]
    # Unknown names and mistyped values are ignored, and the console says so.
    error = last_call(flow_world).error
    assert "nickname" in error
    assert custom(flow_world, "Age") in error


def test_start_block_page_stops_the_sign_up_with_the_extensions_message(
    flow_world: FlowWorld, service: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    listen(flow_world, service, START)
    service.answer = respond(
        200,
        answer(
            "attributeCollectionStart",
            "showBlockPage",
            message="Sign-ups from this region are closed.",
        ),
    )
    client = Client()
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    page = client.get(url)
    assert page.status_code == 403
    assert "Sign-ups from this region are closed." in page.text
    # The sign-in under way is dropped: the page does not come back, nor does the app get a code.
    assert client.post(url, TYPED).status_code == 302
    assert not customer(flow_world).profile_completed


def test_submit_validation_error_shows_the_message_and_each_attributes_error(
    flow_world: FlowWorld, service: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    listen(flow_world, service, SUBMIT)
    service.answer = respond(
        200,
        answer(
            "attributeCollectionSubmit",
            "showValidationError",
            message="Please fix the highlighted fields.",
            attributeErrors={"city": "We don't ship to this city.", "unknown": "ignored"},
        ),
    )
    client = Client()
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    page = client.post(url, TYPED)
    assert page.status_code == 200
    assert "Please fix the highlighted fields." in page.text
    assert 'id="id_attr_city_error"' in page.text
    assert "We don&#x27;t ship to this city." in page.text
    assert 'value="Zürich"' in page.text  # what was typed is shown again
    submitted = service.received[-1]["body"]["data"]["userSignUpInfo"]["attributes"]
    assert submitted["city"]["value"] == "Zürich"
    assert submitted[custom(flow_world, "Age")]["value"] == 36
    assert not customer(flow_world).profile_completed

    service.answer = respond(
        200, answer("attributeCollectionSubmit", "continueWithDefaultBehavior")
    )
    done = client.post(url, TYPED | {"attr_city": "Basel"})
    assert done.status_code == 302
    assert done["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")
    assert customer(flow_world).city == "Basel"


def test_submit_modified_values_are_stored(
    flow_world: FlowWorld, service: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    listen(flow_world, service, SUBMIT)
    modified = {
        "city": "ZÜRICH",
        custom(flow_world, "Age"): 37,
        custom(flow_world, "Newsletter"): True,
    }
    service.answer = respond(
        200, answer("attributeCollectionSubmit", "modifyAttributeValues", attributes=modified)
    )
    client = Client()
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    done = client.post(url, TYPED)
    assert done.status_code == 302, done.content[:300]
    user = customer(flow_world)
    assert user.city == "ZÜRICH"
    assert user.custom_attributes["Age"] == 37
    assert user.custom_attributes["Newsletter"] is True
    assert user.custom_attributes["Tier"] == "gold"


@pytest.mark.parametrize("policy", [FailurePolicy.FAIL, FailurePolicy.CONTINUE])
def test_modified_values_the_form_refuses_follow_the_failure_policy(
    policy: str,
    flow_world: FlowWorld,
    service: Service,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    listen(flow_world, service, SUBMIT, policy)
    modified = {custom(flow_world, "Tier"): "platinum"}  # not one of the flow's options
    service.answer = respond(
        200, answer("attributeCollectionSubmit", "modifyAttributeValues", attributes=modified)
    )
    client = Client()
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    response = client.post(url, TYPED)
    call = last_call(flow_world)
    assert call.outcome == CallOutcome.INVALID
    assert "Tier" in call.error
    if policy == FailurePolicy.FAIL:
        assert response.status_code == 503
        assert "We couldn't complete your sign-up right now" in response.text
        assert not customer(flow_world).profile_completed
    else:
        assert response.status_code == 302
        assert customer(flow_world).custom_attributes["Tier"] == "gold"


FAULTS = {
    "timeout": slow,
    "error_status": respond(500, {"error": "boom"}),
    "malformed": respond(200, b"<html>not json"),
    "invalid": respond(200, answer("attributeCollectionSubmit", "provideClaimsForToken")),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("event", [START, SUBMIT])
def test_each_fault_follows_the_listeners_policy(
    fault: str,
    event: ExtensionEvent,
    flow_world: FlowWorld,
    service: Service,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    """Entra's defaults: Start continues as if no extension were there, Submit fails with the
    error page; never a server error."""
    listen(flow_world, service, event)
    service.answer = FAULTS[fault]
    client = Client()
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    page = client.get(url)
    done = client.post(url, TYPED)
    assert last_call(flow_world).outcome == fault
    if event == START:
        assert page.status_code == 200
        assert done.status_code == 302
        assert customer(flow_world).profile_completed
        # The sign-in log's success row says which extension failed, and that it went on.
        with in_tenant(flow_world.tenant):
            success = SignInEvent.objects.filter(reason="success").latest("id")
        (note,) = success.details["extensions"]
        assert note["event"] == "attributeCollectionStart"
        assert note["outcome"] == fault
        assert note["continued"] is True
    else:
        assert done.status_code == 503
        assert "We couldn't complete your sign-up right now" in done.text
        assert not customer(flow_world).profile_completed


def test_submit_block_page_stores_nothing(
    flow_world: FlowWorld, service: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    listen(flow_world, service, SUBMIT)
    service.answer = respond(
        200,
        answer("attributeCollectionSubmit", "showBlockPage", message="You must be 18 or older."),
    )
    client = Client()
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    page = client.post(url, TYPED | {"attr_Age": "12"})
    assert page.status_code == 403
    assert "You must be 18 or older." in page.text
    user = customer(flow_world)
    assert not user.profile_completed
    assert user.custom_attributes == {}
    assert not user.has_usable_password()


def test_another_flows_listener_is_not_called(
    flow_world: FlowWorld, service: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    listen(flow_world, service, SUBMIT)
    with in_tenant(flow_world.tenant):
        ExtensionListener.objects.update(user_flow=userflow_create(name="Other flow"))
    client = Client()
    url = attribute_page(client, flow_world, django_capture_on_commit_callbacks)
    assert client.get(url).status_code == 200
    assert client.post(url, TYPED).status_code == 302
    assert service.received == []
