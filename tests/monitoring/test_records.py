"""The sign-in log's plumbing (issue 13): a record is written after the response, outside the
view's transaction, in one INSERT per request; the event stream carries it as one JSON line;
keyset pages and the purge."""

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings
from django.utils import timezone

from monitoring.middleware import SignInLogMiddleware
from monitoring.models import SignInEvent, SignInKind
from monitoring.reasons import OUTCOMES, Reason
from monitoring.records import SignInRecord, sign_in_record
from monitoring.selectors import SignInFilter, sign_in_event_page, sign_in_event_stream
from monitoring.services import sign_in_events_purge
from monitoring.usage import usage_rollup_advance
from tenants.events import JsonLinesFormatter
from tenants.keyset import cursor_read
from tenants.models import AuditAction, Tenant
from tenants.schemas import in_tenant
from tenants.services import audit_record


def _failing_view(request: HttpRequest) -> HttpResponse:
    sign_in_record(
        SignInRecord(
            kind=SignInKind.INTERACTIVE,
            reason=Reason.WRONG_PASSWORD,
            customer_email="ann@example.com",
        ),
        request=request,
    )
    sign_in_record(
        SignInRecord(
            kind=SignInKind.INTERACTIVE, reason=Reason.LOCKED, customer_email="ann@example.com"
        ),
        request=request,
    )
    assert not SignInEvent.objects.exists()  # nothing written while the view runs
    return HttpResponse("wrong", status=200)


def test_a_requests_records_are_written_after_its_answer(
    tenant_a: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    request = RequestFactory().post(
        "/account/login/", HTTP_USER_AGENT="Mozilla/5.0 Test", REMOTE_ADDR="192.0.2.7"
    )
    caplog.set_level(logging.INFO, logger="ciam.events")
    with in_tenant(tenant_a):
        SignInLogMiddleware(_failing_view)(request)
        rows = list(SignInEvent.objects.order_by("id"))
    assert [(row.reason, row.error_code, row.status) for row in rows] == [
        ("wrong_password", 50126, "failure"),
        ("locked", 50053, "failure"),
    ]
    assert rows[0].ip_address == "192.0.2.7"
    assert rows[0].user_agent == "Mozilla/5.0 Test"
    assert rows[0].correlation_id == rows[1].correlation_id  # one request, one correlation
    lines = [
        json.loads(JsonLinesFormatter().format(record))
        for record in caplog.records
        if record.name == "ciam.events"
    ]
    assert [line["reason"] for line in lines] == ["wrong_password", "locked"]
    assert {line["tenant"] for line in lines} == {str(tenant_a.tenant_id)}
    assert lines[0]["correlation_id"] == rows[0].correlation_id
    assert "\n" not in JsonLinesFormatter().format(caplog.records[-1])


def test_every_reason_has_an_outcome() -> None:
    assert set(OUTCOMES) == set(Reason)
    assert OUTCOMES[Reason.SUCCESS].code == 0
    assert all(outcome.code for reason, outcome in OUTCOMES.items() if reason != Reason.SUCCESS)


def test_keyset_pages_walk_every_row_once(tenant_a: Tenant) -> None:
    now = timezone.now()
    with in_tenant(tenant_a):
        SignInEvent.objects.bulk_create(
            SignInEvent(
                occurred_at=now - timedelta(seconds=n // 3),  # ties on the time, told by id
                kind=SignInKind.INTERACTIVE,
                status="failure" if n % 2 else "success",
                reason="wrong_password" if n % 2 else "success",
                error_code=50126 if n % 2 else 0,
            )
            for n in range(25)
        )
        seen: list[int] = []
        after = None
        while True:
            page = sign_in_event_page(SignInFilter(status="failure"), after=after, size=4)
            seen += [row.pk for row in page.rows]
            if page.next is None:
                break
            after = cursor_read(page.next.token())
        expected = list(
            SignInEvent.objects.filter(status="failure")
            .order_by("-occurred_at", "-id")
            .values_list("id", flat=True)
        )
        assert seen == expected
        assert len(seen) == 12
        assert [row.pk for row in sign_in_event_stream(SignInFilter(status="failure"))] == expected
    assert cursor_read("not a cursor") is None
    assert cursor_read("") is None


def test_the_purge_removes_only_what_is_older_than_the_retention(tenant_a: Tenant) -> None:
    now = timezone.now()
    with in_tenant(tenant_a):
        for days in (0, 29, 31, 90):
            SignInEvent.objects.create(
                occurred_at=now - timedelta(days=days),
                kind=SignInKind.REFRESH,
                status="success",
                reason="success",
            )
        usage_rollup_advance(settle_seconds=0)  # the purge takes only what the insights counted
        assert sign_in_events_purge(retention_days=30) == 2
        assert SignInEvent.objects.count() == 2


def test_recording_needs_nothing_but_postgresql(tenant_a: Tenant) -> None:
    """With the cache and Celery's broker unreachable (a Redis that is down), a sign-in's record
    is still written: the log's path touches neither."""
    dead_redis = "redis://127.0.0.1:1/0"
    request = RequestFactory().post("/account/login/", REMOTE_ADDR="192.0.2.8")
    with (
        override_settings(
            CACHES={
                "default": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": dead_redis,
                }
            },
            CELERY_BROKER_URL=dead_redis,
        ),
        in_tenant(tenant_a),
    ):
        with pytest.raises(redis.exceptions.ConnectionError):  # the cache is truly down
            cache.get("anything")
        SignInLogMiddleware(_failing_view)(request)
        assert SignInEvent.objects.filter(ip_address="192.0.2.8").count() == 2


def test_an_audit_entry_goes_to_the_event_stream_once_kept(
    tenant_a: Tenant,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    caplog.set_level(logging.INFO, logger="ciam.events")
    with django_capture_on_commit_callbacks(execute=True):
        entry = audit_record(
            actor=None,
            tenant=tenant_a,
            action=AuditAction.SECRET_ADDED,
            target="Shop (web)",
            details={"hint": "Xy7"},
        )
        assert not [r for r in caplog.records if r.name == "ciam.events"]  # not before commit
    (line,) = [
        json.loads(JsonLinesFormatter().format(record))
        for record in caplog.records
        if record.name == "ciam.events"
    ]
    assert line["event"] == "audit"
    assert line["tenant"] == str(tenant_a.tenant_id)
    assert line["domain"] == tenant_a.domain_name
    assert line["id"] == entry.pk
    assert line["action"] == "secret.added"
    assert line["details"] == {"hint": "Xy7"}
