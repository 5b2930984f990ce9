"""/auditLogs through the real server: the sign-in log and the audit log, newest first, filtered
and keyset-paged as the admin center reads them; a search that runs too long is a problem
asking for a narrower one; another tenant's entries are not there."""

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from django.db import connection, transaction
from django.utils import timezone

from monitoring.models import SignInEvent, SignInKind
from tenants.models import AuditAction, AuditEntry
from tenants.schemas import in_tenant
from tenants.services import audit_record
from tests.factories.management import ManagementWorld

ROLE = "AuditLog.Read.All"


def _get(
    world: ManagementWorld, path: str, holder: str = ROLE, **params: object
) -> requests.Response:
    return requests.get(world.url(path), params=params, headers=world.headers(holder), timeout=30)


@pytest.fixture
def sign_ins(management_world: ManagementWorld, committed_db: None) -> Iterator[dict[str, object]]:
    """Seven sign-ins of one customer a minute apart (newest: a refused password from a
    second address), committed for the server to read; removed after."""
    marker = uuid.uuid4()
    email = f"log-{marker.hex[:6]}@example.com"
    now = timezone.now()
    with in_tenant(management_world.tenant):
        events = [
            SignInEvent.objects.create(
                occurred_at=now - timedelta(minutes=minutes),
                kind=SignInKind.INTERACTIVE,
                status="success",
                error_code=0,
                reason="success",
                customer_object_id=marker,
                customer_email=email,
                client_id="log-app",
                app_name="Log app",
                ip_address="198.51.100.7",
                user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                methods=["pwd", "otp", "mfa"],
                conditional_access="success",
                policies=[{"name": "Two factors", "grant": "mfa", "result": "applied"}],
            )
            for minutes in range(1, 7)
        ]
        refused = SignInEvent.objects.create(
            occurred_at=now,
            kind=SignInKind.INTERACTIVE,
            status="failure",
            error_code=50126,
            reason="wrong_password",
            customer_object_id=marker,
            customer_email=email,
            client_id="log-app",
            app_name="Log app",
            ip_address="203.0.113.9",
            methods=[],
        )
    yield {
        "user": str(marker),
        "email": email,
        "refused": refused.pk,
        "ids": [e.pk for e in events],
    }
    with in_tenant(management_world.tenant):
        SignInEvent.objects.filter(customer_object_id=marker).delete()


def test_sign_ins_newest_first_in_graphs_shape(
    management_world: ManagementWorld, sign_ins: dict[str, object]
) -> None:
    listed = _get(management_world, "auditLogs/signIns", userId=sign_ins["user"])
    assert listed.status_code == 200, listed.text
    rows = listed.json()["value"]
    assert len(rows) == 7
    refused, last_success = rows[0], rows[1]
    assert refused["id"] == str(sign_ins["refused"])
    assert refused["status"] == {
        "errorCode": 50126,
        "failureReason": "Invalid username or password",
        "reason": "wrong_password",
    }
    assert refused["userPrincipalName"] == sign_ins["email"]
    assert refused["ipAddress"] == "203.0.113.9"
    assert last_success["status"]["errorCode"] == 0
    assert last_success["appId"] == "log-app"
    assert last_success["appDisplayName"] == "Log app"
    assert last_success["authenticationRequirement"] == "multiFactorAuthentication"
    assert last_success["conditionalAccessStatus"] == "success"
    assert last_success["appliedConditionalAccessPolicies"] == [
        {"displayName": "Two factors", "grantControls": ["mfa"], "result": "applied"}
    ]
    assert last_success["deviceDetail"]["browser"].startswith("Firefox")
    times = [row["createdDateTime"] for row in rows]
    assert times == sorted(times, reverse=True)

    one = _get(management_world, f"auditLogs/signIns/{sign_ins['refused']}")
    assert one.status_code == 200
    assert one.json() == refused
    missing = _get(management_world, "auditLogs/signIns/999999999")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"


def test_sign_in_filters(management_world: ManagementWorld, sign_ins: dict[str, object]) -> None:
    def ids(**params: object) -> list[str]:
        answer = _get(management_world, "auditLogs/signIns", userId=sign_ins["user"], **params)
        assert answer.status_code == 200, answer.text
        return [row["id"] for row in answer.json()["value"]]

    refused = [str(sign_ins["refused"])]
    assert ids(status="failure") == refused
    assert ids(errorCode=50126) == refused
    assert ids(ipAddress="203.0.113.9") == refused
    assert len(ids(status="success")) == 6
    assert ids(appId="another-app") == []
    by_email = _get(
        management_world, "auditLogs/signIns", userPrincipalName=str(sign_ins["email"]).upper()
    )
    assert len(by_email.json()["value"]) == 7
    now = timezone.now()
    window = ids(
        since=(now - timedelta(minutes=3, seconds=30)).isoformat(),
        until=(now - timedelta(seconds=30)).isoformat(),
    )
    assert window == [str(pk) for pk in sign_ins["ids"][:3]]  # type: ignore[index]

    for bad, field in [
        ({"since": "yesterday"}, "since"),
        ({"status": "maybe"}, "status"),
        ({"errorCode": "-1"}, "errorCode"),
        ({"ipAddress": "300.1.1.1"}, "ipAddress"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"since": now.isoformat(), "until": (now - timedelta(days=1)).isoformat()}, "until"),
    ]:
        refused_call = _get(management_world, "auditLogs/signIns", **bad)
        assert refused_call.status_code == 400, bad
        assert list(refused_call.json()["errors"]) == [field], bad


def test_sign_in_pages_walk_every_row_once(
    management_world: ManagementWorld, sign_ins: dict[str, object]
) -> None:
    seen: list[str] = []
    url: str | None = management_world.url("auditLogs/signIns")
    params: dict[str, object] | None = {"userId": sign_ins["user"], "limit": 3}
    pages = 0
    while url:
        answer = requests.get(
            url, params=params, headers=management_world.headers(ROLE), timeout=30
        )
        assert answer.status_code == 200, answer.text
        seen += [row["id"] for row in answer.json()["value"]]
        url, params, pages = answer.json().get("nextLink"), None, pages + 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7


def test_a_search_past_the_time_limit_asks_for_a_narrower_one(
    management_world: ManagementWorld, sign_ins: dict[str, object]
) -> None:
    # The log's table held by another transaction: the server's page waits on it past its
    # statement timeout, as a search that walks millions of rows would run past it.
    with transaction.atomic(), in_tenant(management_world.tenant):
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE monitoring_signinevent IN ACCESS EXCLUSIVE MODE")
        answer = _get(management_world, "auditLogs/signIns", status="failure")
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert "narrow" in answer.json()["detail"]


def test_directory_audits_show_the_tenants_own_entries(
    management_world: ManagementWorld, other_management_world: ManagementWorld, committed_db: None
) -> None:
    mail = f"audited-{uuid.uuid4().hex[:8]}@example.com"
    created = requests.post(
        management_world.url("users"),
        json={"mail": mail},
        headers=management_world.headers(),
        timeout=10,
    )
    assert created.status_code == 201
    foreign = audit_record(
        actor=None,
        tenant=other_management_world.tenant,
        action=AuditAction.CUSTOMER_CREATED,
        target=mail,
    )

    listed = _get(
        management_world, "auditLogs/directoryAudits", activity="customer.created", target=mail
    )
    assert listed.status_code == 200, listed.text
    [entry] = listed.json()["value"]
    client_id = management_world.credentials["ALL"][0]
    assert entry["activity"] == "customer.created"
    assert entry["activityDisplayName"] == str(AuditAction.CUSTOMER_CREATED.label)
    assert entry["initiatedBy"] == {
        "user": None,
        "app": {"appId": client_id, "displayName": "Automation ALL"},
    }
    assert entry["targetResources"] == [{"displayName": mail}]
    assert entry["additionalDetails"]["via"] == "management_api"
    one = _get(management_world, f"auditLogs/directoryAudits/{entry['id']}")
    assert one.status_code == 200
    assert one.json() == entry

    # The other tenant's entry of the same target is neither listed nor readable by its ID.
    assert _get(management_world, f"auditLogs/directoryAudits/{foreign.pk}").status_code == 404
    all_entries = _get(management_world, "auditLogs/directoryAudits", target=mail, limit=999)
    assert [row["id"] for row in all_entries.json()["value"]] == [entry["id"]]
    assert _get(management_world, "auditLogs/directoryAudits", activity="nope").status_code == 400
    AuditEntry.objects.filter(pk=foreign.pk).delete()


def test_directory_audits_page_newest_first(
    management_world: ManagementWorld, committed_db: None
) -> None:
    target = f"paged-{uuid.uuid4().hex[:8]}"
    for _ in range(5):
        audit_record(
            actor=None,
            tenant=management_world.tenant,
            action=AuditAction.CUSTOMER_UPDATED,
            target=target,
        )
    seen: list[str] = []
    url: str | None = management_world.url("auditLogs/directoryAudits")
    params: dict[str, object] | None = {"target": target, "limit": 2}
    while url:
        answer = requests.get(
            url, params=params, headers=management_world.headers(ROLE), timeout=30
        )
        assert answer.status_code == 200, answer.text
        seen += [row["id"] for row in answer.json()["value"]]
        url, params = answer.json().get("nextLink"), None
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, key=int, reverse=True)
