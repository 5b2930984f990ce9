"""Custom authentication extensions in the admin center (issue 14): an Application
Administrator registers, edits and removes one (audited), sees what the calls' token carries,
and uses the replay console against a real service on loopback: a test event, a recorded
request, a replay; an unreachable endpoint shows its outcome. A Reports Reader and another
tenant's admin are refused."""

import json
import re
from typing import Any

import jwt
import pytest
from django.test import Client

from apps.models import AppRegistration, Platform
from apps.services import app_register
from apps.signing import published_jwks
from extensions.client import REDACTED
from extensions.models import (
    CallOutcome,
    CustomAuthenticationExtension,
    ExtensionCall,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from extensions.tokens import CALLER_APP_ID
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_issuer
from tests.extensions.test_client import Service, service  # noqa: F401  (fixture)
from tests.factories.accounts import MakeOperator, operator_client

OTP_ANSWER = {
    "data": {
        "@odata.type": "microsoft.graph.OnOtpSendResponseData",
        "actions": [{"@odata.type": "microsoft.graph.OtpSend.continueWithDefaultBehavior"}],
    }
}


def pages(tenant: Tenant, suffix: str = "") -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/extensions/{suffix}"


@pytest.fixture
def app_admin(tenant_a: Tenant, operator_factory: MakeOperator) -> Client:
    operator_factory(
        "apps@admins.example", tenant=tenant_a, roles=[AdminRole.APPLICATION_ADMINISTRATOR]
    )
    return operator_client("apps@admins.example")


@pytest.fixture
def api(tenant_a: Tenant) -> AppRegistration:
    with in_tenant(tenant_a):
        return app_register(name="Claims API", platform=Platform.DAEMON)


def registered(tenant: Tenant, api: AppRegistration, url: str, **fields: Any) -> Any:
    with in_tenant(tenant):
        return CustomAuthenticationExtension.objects.create(
            name="Loyalty claims",
            event=fields.pop("event", ExtensionEvent.TOKEN_ISSUANCE_START),
            target_url=url,
            api_app=api,
            **fields,
        )


def test_an_application_administrator_registers_an_extension_and_it_is_audited(
    tenant_a: Tenant, app_admin: Client, api: AppRegistration
) -> None:
    form = app_admin.get(pages(tenant_a, "add/"))
    assert form.status_code == 200
    assert tenant_issuer(tenant_a) in form.text
    assert CALLER_APP_ID in form.text
    assert "/discovery/v2.0/keys" in form.text
    answer = app_admin.post(
        pages(tenant_a, "add/"),
        {
            "name": "Loyalty claims",
            "event": ExtensionEvent.TOKEN_ISSUANCE_START,
            "target_url": "http://127.0.0.1:7071/api/claims?code=function-key",
            "timeout_ms": "1000",
            "max_retries": "0",
            "api_app": str(api.object_id),
        },
    )
    with in_tenant(tenant_a):
        extension = CustomAuthenticationExtension.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == pages(tenant_a, f"{extension.extension_id}/calls/")
    assert (extension.timeout_ms, extension.max_retries) == (1000, 0)
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_ADDED
    )
    assert entry.target == f"Loyalty claims ({extension.extension_id})"
    # A function key in the query is no audit log's business.
    assert entry.details["target_url"] == "http://127.0.0.1:7071/api/claims?…"
    assert extension.target_url == "http://127.0.0.1:7071/api/claims?code=function-key"
    detail = app_admin.get(pages(tenant_a, f"{extension.extension_id}/"))
    assert detail.status_code == 200
    assert api.client_id in detail.text  # the token's audience


def test_clear_text_to_another_host_is_a_form_error(
    tenant_a: Tenant, app_admin: Client, api: AppRegistration
) -> None:
    answer = app_admin.post(
        pages(tenant_a, "add/"),
        {
            "name": "Loyalty claims",
            "event": ExtensionEvent.TOKEN_ISSUANCE_START,
            "target_url": "http://claims.example.com/api",
            "timeout_ms": "1000",
            "max_retries": "1",
            "api_app": str(api.object_id),
        },
    )
    assert answer.status_code == 400
    assert "Use https" in answer.text
    with in_tenant(tenant_a):
        assert not CustomAuthenticationExtension.objects.exists()
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_ADDED
    ).exists()


def test_an_edit_is_audited_with_what_changed_and_removal_takes_the_listeners(
    tenant_a: Tenant, app_admin: Client, api: AppRegistration
) -> None:
    extension = registered(tenant_a, api, "https://claims.example.com/api")
    with in_tenant(tenant_a):
        shop = app_register(name="Shop", platform=Platform.WEB)
        ExtensionListener.objects.create(
            extension=extension, event=extension.event, app=shop, failure_policy=FailurePolicy.FAIL
        )
    edited = app_admin.post(
        pages(tenant_a, f"{extension.extension_id}/"),
        {
            "name": "Loyalty claims",
            "target_url": "https://claims.example.com/v2",
            "timeout_ms": "2000",
            "max_retries": "1",
            "api_app": str(api.object_id),
        },
    )
    assert edited.status_code == 302
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_UPDATED
    )
    assert entry.details["before"] == {"target_url": "https://claims.example.com/api"}
    assert entry.details["after"] == {"target_url": "https://claims.example.com/v2"}
    confirm = app_admin.get(pages(tenant_a, f"{extension.extension_id}/remove/"))
    assert "One listener calls it" in confirm.text
    removed = app_admin.post(pages(tenant_a, f"{extension.extension_id}/remove/"))
    assert removed.status_code == 302
    with in_tenant(tenant_a):
        assert not CustomAuthenticationExtension.objects.exists()
        assert not ExtensionListener.objects.exists()
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_REMOVED
    )
    assert entry.details["listeners_removed"] == 1


def test_the_console_sends_a_sample_event_to_a_real_service_and_shows_the_call(
    tenant_a: Tenant,
    app_admin: Client,
    api: AppRegistration,
    service: Service,  # noqa: F811
) -> None:
    extension = registered(tenant_a, api, service.url)
    sent = app_admin.post(
        pages(tenant_a, f"{extension.extension_id}/calls/test/"), {"request": "sample"}
    )
    with in_tenant(tenant_a):
        call = ExtensionCall.objects.get()
        jwks = published_jwks()
    assert sent.status_code == 302
    assert sent["Location"] == pages(tenant_a, f"{extension.extension_id}/calls/{call.pk}/")
    assert (call.origin, call.outcome, call.response_status) == ("test", CallOutcome.OK, 200)
    (received,) = service.received
    body = received["body"]
    assert body["type"] == "microsoft.graph.authenticationEvent.tokenIssuanceStart"
    assert body["data"]["authenticationContext"]["user"]["mail"] == "ada.lovelace@example.com"
    token = received["headers"]["Authorization"].removeprefix("Bearer ")
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=api.client_id)
    assert claims["iss"] == tenant_issuer(tenant_a)
    assert claims["azp"] == CALLER_APP_ID
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_TESTED
    )
    assert (entry.details["origin"], entry.details["outcome"]) == ("test", "ok")
    detail = app_admin.get(sent["Location"])
    assert detail.status_code == 200
    assert "loyaltyTier" in detail.text  # the answer
    assert "ada.lovelace@example.com" in detail.text  # the request
    console = app_admin.get(pages(tenant_a, f"{extension.extension_id}/calls/"))
    assert f'id="call-{call.pk}"' in console.text


def test_a_replay_sends_the_recorded_request_to_the_current_url_with_the_code_redacted(
    tenant_a: Tenant,
    app_admin: Client,
    api: AppRegistration,
    service: Service,  # noqa: F811
) -> None:
    service.answer = lambda handler, _body: _answer(handler, OTP_ANSWER)
    extension = registered(tenant_a, api, "http://127.0.0.1:9/old", event=ExtensionEvent.OTP_SEND)
    app_admin.post(pages(tenant_a, f"{extension.extension_id}/calls/test/"), {"request": "sample"})
    with in_tenant(tenant_a):
        failed = ExtensionCall.objects.get()
        CustomAuthenticationExtension.objects.filter(pk=extension.pk).update(target_url=service.url)
    assert failed.outcome == CallOutcome.UNREACHABLE
    assert failed.request_body["data"]["otpContext"]["oneTimeCode"] == REDACTED
    page = app_admin.get(pages(tenant_a, f"{extension.extension_id}/calls/{failed.pk}/"))
    assert page.status_code == 200
    assert "Could not connect" in page.text
    assert "507384" not in page.text
    replayed = app_admin.post(
        pages(tenant_a, f"{extension.extension_id}/calls/{failed.pk}/replay/")
    )
    assert replayed.status_code == 302
    with in_tenant(tenant_a):
        replay = ExtensionCall.objects.filter(origin="replay").get()
    assert replay.outcome == CallOutcome.OK
    (received,) = service.received
    assert received["body"] == failed.request_body
    entry = AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.EXTENSION_TESTED
    ).latest("id")
    assert entry.details["origin"] == "replay"
    assert entry.details["replayed_call"] == failed.pk
    # A recorded request chosen in the test form goes out as a test.
    app_admin.post(
        pages(tenant_a, f"{extension.extension_id}/calls/test/"), {"request": str(failed.pk)}
    )
    with in_tenant(tenant_a):
        latest = ExtensionCall.objects.first()
    assert latest is not None
    assert (latest.origin, latest.outcome) == ("test", CallOutcome.OK)
    assert service.received[-1]["body"] == failed.request_body


def test_an_endpoint_that_answers_garbage_or_never_is_an_outcome_not_a_500(
    tenant_a: Tenant,
    app_admin: Client,
    api: AppRegistration,
    service: Service,  # noqa: F811
) -> None:
    service.answer = lambda handler, _body: _answer(handler, {"data": {"actions": []}})
    extension = registered(tenant_a, api, service.url)
    sent = app_admin.post(
        pages(tenant_a, f"{extension.extension_id}/calls/test/"), {"request": "sample"}
    )
    page = app_admin.get(sent["Location"])
    assert page.status_code == 200
    assert "Does not match the event" in page.text
    for call_id in ["99999", str(2**63), "9" * 40]:
        url = pages(tenant_a, f"{extension.extension_id}/calls/{call_id}/")
        assert app_admin.get(url).status_code == 404
        assert app_admin.post(f"{url}replay/").status_code == 404
    bad = app_admin.post(
        pages(tenant_a, f"{extension.extension_id}/calls/test/"), {"request": "99999"}
    )
    assert bad.status_code == 302  # an unknown choice: nothing sent
    with in_tenant(tenant_a):
        assert ExtensionCall.objects.count() == 1


def _answer(handler: Any, body: object) -> None:
    raw = json.dumps(body).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


@pytest.mark.parametrize("suffix", ["", "add/", "{id}/", "{id}/calls/", "{id}/remove/"])
def test_a_reports_reader_and_another_tenants_admin_are_refused(
    tenant_a: Tenant,
    tenant_b: Tenant,
    operator_factory: MakeOperator,
    api: AppRegistration,
    suffix: str,
) -> None:
    extension = registered(tenant_a, api, "https://claims.example.com/api")
    operator_factory("reader@admins.example", tenant=tenant_a, roles=[AdminRole.REPORTS_READER])
    operator_factory(
        "other@admins.example", tenant=tenant_b, roles=[AdminRole.GLOBAL_ADMINISTRATOR]
    )
    url = pages(tenant_a, suffix.format(id=extension.extension_id))
    for email in ["reader@admins.example", "other@admins.example"]:
        client = operator_client(email)
        assert client.get(url).status_code == 403
        assert (
            client.post(
                pages(tenant_a, f"{extension.extension_id}/calls/test/"), {"request": "sample"}
            ).status_code
            == 403
        )
    # Tenant B's own admin center does not find tenant A's extension.
    other = operator_client("other@admins.example")
    response = other.get(pages(tenant_b, f"{extension.extension_id}/calls/"))
    assert response.status_code == 404
    with in_tenant(tenant_a):
        assert not ExtensionCall.objects.exists()


def test_the_navigation_offers_extensions_to_application_administrators_only(
    tenant_a: Tenant, app_admin: Client, operator_factory: MakeOperator
) -> None:
    overview = app_admin.get(f"/admin-center/tenants/{tenant_a.tenant_id}/")
    assert re.search(r'href="[^"]*/extensions/"', overview.text)
    operator_factory("reader@admins.example", tenant=tenant_a, roles=[AdminRole.REPORTS_READER])
    reader = operator_client("reader@admins.example").get(
        f"/admin-center/tenants/{tenant_a.tenant_id}/"
    )
    assert "Custom authentication extensions" not in reader.text


def test_deleting_the_api_app_of_an_extension_is_refused_with_a_message_not_a_500(
    tenant_a: Tenant, app_admin: Client, api: AppRegistration
) -> None:
    extension = registered(tenant_a, api, "https://claims.example.com/api")
    answer = app_admin.post(
        f"/admin-center/tenants/{tenant_a.tenant_id}/apps/{api.object_id}/delete/",
        {"confirm_name": api.name},
        follow=True,
    )
    assert answer.status_code == 200
    assert "Loyalty claims" in answer.text
    with in_tenant(tenant_a):
        assert AppRegistration.objects.filter(pk=api.pk).exists()
        assert CustomAuthenticationExtension.objects.filter(pk=extension.pk).exists()
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.APP_DELETED
    ).exists()
