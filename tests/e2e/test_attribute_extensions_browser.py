"""Attribute collection extensions in real Chromium (issue 14): an admin chooses the flow's
OnAttributeCollectionSubmit extension in its Extensions section, and a customer's sign-up gets
the extension's validation error on the branded attribute page (the message, and the city's
error under its field), then a valid submit completes. The extension is a real HTTP service on
loopback that the server (gunicorn, another process) calls."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from apps.models import Platform
from apps.services import app_register
from extensions.flow_listeners import flow_listener_set
from extensions.models import (
    CustomAuthenticationExtension,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from tenants.schemas import in_tenant
from tests.e2e.conftest import (
    CommittedData,
    Credentials,
    Screenshot,
    expect_hosted_page,
    open_own_tenant,
)
from tests.e2e.test_hosted_pages_browser import (
    NEW_PASSWORD,
    browser_app,
    finish,
    make_tenant,
    start,
)
from tests.extensions.test_attribute_collection import answer, respond
from tests.extensions.test_client import Service
from tests.factories.flows import make_flow_world
from tests.factories.mail import latest_code, mail_files

pytestmark = pytest.mark.e2e
SUBMIT = ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT


def test_a_submit_extensions_validation_error_on_the_attribute_page(
    page: Page,
    committed: CommittedData,
    operator: Credentials,
    app_server: str,
    live_server_url: str,
    live_mail_dir: Path,
    loopback_extension: Service,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = open_own_tenant(page, committed, operator, "Woodgrove Groceries", "e2e-ext")
    world = make_flow_world(tenant)
    app, secret = browser_app(tenant, world.flow, app_server)
    with in_tenant(tenant):
        api = app_register(name="Sign-up checks API", platform=Platform.DAEMON)
        CustomAuthenticationExtension.objects.create(
            name="Delivery area check",
            event=SUBMIT,
            target_url=loopback_extension.url,
            api_app=api,
        )

    # The admin: the flow's Extensions section.
    page.goto(
        f"/admin-center/tenants/{tenant.tenant_id}/user-flows/{world.flow.flow_id}/extensions/"
    )
    expect(page.get_by_role("heading", name="Custom authentication extensions")).to_be_visible()
    submit = page.get_by_role("group", name="OnAttributeCollectionSubmit")
    submit.get_by_label("Extension", exact=True).select_option(label="Delivery area check")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Extensions saved.")).to_be_visible()
    expect(submit.get_by_label("Extension", exact=True)).to_have_value(re.compile(r"\d+"))
    screenshot(page, "admin-userflow-extensions")
    with in_tenant(tenant):
        assert ExtensionListener.objects.get(user_flow=world.flow).failure_policy == "fail"

    # The extension: a city it does not deliver to is refused, with the customer's language.
    def checks(handler: Any, body: dict[str, Any]) -> None:
        attributes = body["data"]["userSignUpInfo"]["attributes"]
        if attributes["city"]["value"] == "Atlantis":
            respond(
                200,
                answer(
                    "attributeCollectionSubmit",
                    "showValidationError",
                    message="We can't deliver there yet.",
                    attributeErrors={"city": "Choose a city we deliver to."},
                ),
            )(handler, body)
        else:
            respond(200, answer("attributeCollectionSubmit", "continueWithDefaultBehavior"))(
                handler, body
            )

    loopback_extension.answer = checks

    # The customer signs up.
    redirect = f"{app_server}/callback"
    client, verifier = start(page, live_server_url, tenant, app, secret, redirect)
    page.get_by_role("link", name="Create one").click()
    sent_before = mail_files(live_mail_dir)
    page.get_by_label("Email address").fill("diner@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(latest_code(live_mail_dir, "diner@example.com", sent_before))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Finish signing up")).to_be_visible()
    page.get_by_label(re.compile(r"^Password")).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("City").fill("Atlantis")
    page.get_by_label("Gold").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").filter(has_text="We can't deliver there yet.")).to_be_visible()
    expect(page.get_by_label("City")).to_have_value("Atlantis")
    expect(page.get_by_text("Choose a city we deliver to.")).to_be_visible()
    expect_hosted_page(page, "Finish signing up")
    screenshot(page, "hosted-sign-up-extension-validation-error")
    assert loopback_extension.received[-1]["body"]["data"]["authenticationContext"]["client"][
        "locale"
    ].startswith("en")

    page.get_by_label(re.compile(r"^Password")).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_label("City").fill("Seattle")
    page.get_by_role("button", name="Continue").click()
    claims = finish(page, live_server_url, tenant, client, verifier, redirect)
    with in_tenant(tenant):
        customer = User.objects.get(email="diner@example.com")
    assert claims["sub"]
    assert (customer.given_name, customer.city, customer.profile_completed) == (
        "Rosa",
        "Seattle",
        True,
    )
    assert page_errors == []


def test_the_block_page_and_the_error_page_of_a_start_extension(
    page: Page,
    committed: CommittedData,
    app_server: str,
    live_server_url: str,
    live_mail_dir: Path,
    loopback_extension: Service,
    screenshot: Screenshot,
    page_errors: list[str],
) -> None:
    tenant = make_tenant(committed, "e2e-ext-block")
    world = make_flow_world(tenant)
    app, secret = browser_app(tenant, world.flow, app_server)
    with in_tenant(tenant):
        api = app_register(name="Sign-up checks API", platform=Platform.DAEMON)
        extension = CustomAuthenticationExtension.objects.create(
            name="Region check",
            event=ExtensionEvent.ATTRIBUTE_COLLECTION_START,
            target_url=loopback_extension.url,
            api_app=api,
            timeout_ms=500,
            max_retries=0,
        )
        flow_listener_set(
            flow=world.flow,
            event=ExtensionEvent.ATTRIBUTE_COLLECTION_START,
            extension=extension,
            failure_policy=FailurePolicy.FAIL,
        )
    redirect = f"{app_server}/callback"

    def sign_up(email_address: str) -> None:
        start(page, live_server_url, tenant, app, secret, redirect)
        page.get_by_role("link", name="Create one").click()
        sent_before = mail_files(live_mail_dir)
        page.get_by_label("Email address").fill(email_address)
        page.get_by_role("button", name="Continue").click()
        code = latest_code(live_mail_dir, email_address, sent_before)
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Verify").click()

    loopback_extension.answer = respond(
        200,
        answer(
            "attributeCollectionStart",
            "showBlockPage",
            message="Sign-ups from your region open next month.",
        ),
    )
    sign_up("early@example.com")
    expect_hosted_page(page, "You can't sign up here right now")
    expect(page.get_by_text("Sign-ups from your region open next month.")).to_be_visible()
    screenshot(page, "hosted-sign-up-extension-blocked")

    loopback_extension.answer = respond(500, {"error": "down"})
    sign_up("unlucky@example.com")
    expect_hosted_page(page, "We couldn't complete your sign-up right now")
    screenshot(page, "hosted-sign-up-extension-failed")
    assert page_errors == []
