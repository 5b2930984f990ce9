"""Log lines as JSON objects (CIAM_LOG_FORMAT=json: tenants/events.py's formatter), each naming
its request (tenants/correlation.py: X-Request-ID in and out) and its tenant; and never a
secret in them, whatever a sign-in posts."""

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tenants.correlation import correlation_scope
from tenants.events import JsonLinesFormatter
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url, last_code
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.flows import FlowWorld, make_flow_world
from tests.monitoring.test_failure_reasons import (
    EMAIL,
    browser_at,
    code_of,
    post_password,
    sign_in_page,
)
from userflows.models import SignInMethod

Capture = Any


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonLinesFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every line logged meanwhile, at every level, as the JSON format writes it (the root
    logger's and the event stream's, which does not propagate)."""
    handler = _Lines()
    loggers = [logging.getLogger(), logging.getLogger("ciam.events")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def test_a_line_is_one_json_object_with_its_tenant_and_correlation(
    tenant_a: Tenant, log_lines: list[str]
) -> None:
    with in_tenant(tenant_a), correlation_scope("request-7"):
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("ciam.test").exception("It failed: %s", "why")
    logging.getLogger("ciam.test").warning("Outside")
    inside, outside = (json.loads(line) for line in log_lines)
    assert inside["level"] == "ERROR"
    assert inside["logger"] == "ciam.test"
    assert inside["message"] == "It failed: why"
    assert inside["tenant"] == str(tenant_a.tenant_id)
    assert inside["domain"] == tenant_a.domain_name
    assert inside["correlation_id"] == "request-7"
    assert "ValueError: boom" in inside["exception"]
    assert inside["time"].endswith("+00:00")
    assert set(outside) == {"time", "level", "logger", "message"}
    assert all("\n" not in line for line in log_lines)


def test_a_request_is_named_by_its_x_request_id_else_by_a_new_one(db: None) -> None:
    client = Client()
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"})["X-Request-ID"] == "abc-123"
    made = client.get("/healthz")["X-Request-ID"]
    assert str(uuid.UUID(made)) == made
    assert uuid.UUID(made).version == 4
    # An ID that is no plain token (a line break, markup, too long) is replaced, not logged.
    for unusable in ("two\nlines", "<b>", "x" * 65):
        answered = client.get("/healthz", headers={"X-Request-ID": unusable})["X-Request-ID"]
        assert answered != unusable
        assert uuid.UUID(answered)
    assert client.get("/healthz")["X-Request-ID"] != made


@pytest.fixture
def password_world(tenant_b: Tenant) -> FlowWorld:
    world = make_flow_world(tenant_b)
    make_customer(tenant_b, EMAIL)
    return world


def test_a_sign_in_with_a_password_leaves_it_in_no_line(
    password_world: FlowWorld, log_lines: list[str]
) -> None:
    wrong = "Wrong-Horse-Battery-9"
    client = browser_at()
    next_url = sign_in_page(client, authorize_url(password_world))
    assert post_password(client, password_world, next_url, password=wrong).status_code == 200
    answer = post_password(client, password_world, next_url)
    code_of(answer)
    events = [json.loads(line) for line in log_lines if '"event":"sign_in"' in line]
    assert [event["reason"] for event in events] == ["wrong_password", "success"]
    # The sign-in's lines carry its tenant and its journey's correlation ID, which the
    # answer names too.
    assert {event["domain"] for event in events} == {password_world.tenant.domain_name}
    assert {event["correlation_id"] for event in events} == {answer["X-Request-ID"]}
    everything = "\n".join(log_lines)
    assert PASSWORD not in everything
    assert wrong not in everything


def test_a_sign_in_with_an_emailed_code_leaves_it_in_no_line(
    tenant_b: Tenant, django_capture_on_commit_callbacks: Capture, log_lines: list[str]
) -> None:
    world = make_flow_world(tenant_b, SignInMethod.EMAIL_OTP)
    make_customer(tenant_b, EMAIL)
    client = browser_at()
    to_code = client.get(authorize_url(world))
    next_url = parse_qs(urlsplit(to_code["Location"]).query)["next"][0]
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/{world.tenant.domain_name}/account/login/code/", {"email": EMAIL, "next": next_url}
        )
    page = str(sent["Location"])
    code = last_code()
    wrong = "13572468" if code != "13572468" else "24681357"
    assert client.post(page, {"code": wrong}).status_code == 200
    code_of(client.post(page, {"code": code}))
    reasons = [json.loads(line)["reason"] for line in log_lines if '"event":"sign_in"' in line]
    assert reasons == ["code_failed", "success"]
    everything = "\n".join(log_lines)
    assert code not in everything
    assert wrong not in everything
