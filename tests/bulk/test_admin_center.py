"""The admin center's bulk operations: upload, the job's page and progress, the error report,
the template, the export; each guarded by the customers capability and audited."""

import csv
import io
import json
import time

from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import Session, User
from accounts.services import customer_delete, operator_create
from bulk.models import CustomerImport, ImportStatus
from bulk.services import customer_import_run
from tenants.models import AdminRole, AuditAction, AuditEntry, RoleAssignment, Tenant
from tenants.schemas import in_tenant
from tests.bulk.factories import csv_text, import_file
from tests.conftest import TENANT_A
from tests.factories.accounts import PASSWORD, MakeOperator, make_customer, operator_client
from tests.factories.flows import FlowWorld


def _base(tenant: Tenant) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/customers/bulk/"


def _csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_an_upload_is_queued_audited_and_shown_with_its_progress(
    admin_client: Client, tenant_a: Tenant
) -> None:
    text = csv_text("email,displayName", "one@example.com,One", "=HYPERLINK(1),Bad")
    upload = io.BytesIO(text.encode())
    upload.name = "people.csv"
    answer = admin_client.post(_base(tenant_a) + "imports/", {"file": upload, "file_format": "csv"})
    assert answer.status_code == 302
    with in_tenant(tenant_a):
        job = CustomerImport.objects.get()
    assert answer["Location"].endswith(f"/imports/{job.object_id}/")
    assert (job.status, job.file_name, job.created_by) == (
        "queued",
        "people.csv",
        "global@admins.example",
    )
    entry = AuditEntry.objects.get(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.CUSTOMERS_IMPORT_STARTED
    )
    assert entry.details == {"import_id": str(job.object_id), "format": "csv"}
    page = admin_client.get(answer["Location"])
    assert page.status_code == 200
    assert 'data-progress-url="' in page.text
    assert '<progress id="import-bar" max="100" value="0"' in page.text
    # The run (here in the test's thread: its transaction hides the job from another one).
    with in_tenant(tenant_a):
        customer_import_run(job_id=job.object_id)
    progress = admin_client.get(answer["Location"] + "progress/").json()
    assert progress == {
        "id": str(job.object_id),
        "status": "done",
        "percent": 100,
        "totalRows": 2,
        "processedRows": 2,
        "succeeded": 1,
        "failed": 1,
        "finished": True,
        "message": "",
    }
    page = admin_client.get(answer["Location"])
    assert 'value="100"' in page.text
    assert "Download the error report" in page.text
    report = admin_client.get(answer["Location"] + "errors/")
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(b"".join(report.streaming_content))  # type: ignore[attr-defined]
    # The formula an address carried is defused in the spreadsheet.
    assert rows == [
        {
            "row": "2",
            "email": "'=hyperlink(1)",
            "field": "email",
            "message": "Enter a valid email address.",
        }
    ]
    listing = admin_client.get(_base(tenant_a))
    assert "people.csv" in listing.text


def test_a_file_with_an_unknown_column_is_refused_on_the_form(
    admin_client: Client, tenant_a: Tenant
) -> None:
    upload = io.BytesIO(b"email,shoeSize\na@example.com,42\n")
    upload.name = "people.csv"
    answer = admin_client.post(_base(tenant_a) + "imports/", {"file": upload, "file_format": "csv"})
    assert answer.status_code == 400
    assert "Unknown columns: shoeSize." in answer.text
    with in_tenant(tenant_a):
        assert not CustomerImport.objects.exists()


def test_the_export_streams_every_customer_with_attributes(
    admin_client: Client, flow_world: FlowWorld
) -> None:
    tenant = flow_world.tenant
    import_file(
        tenant,
        csv_text(
            "email,givenName,city,extension_LoyaltyNumber,extension_Age,extension_Newsletter",
            "ada@example.com,Ada,London,=1+1,36,true",
            "bob@example.com,Bob,,,,",
        ),
    )
    gone = make_customer(tenant, "gone@example.com")
    with in_tenant(tenant):
        customer_delete(customer=gone)
        ada = User.objects.get(email="ada@example.com")
    answer = admin_client.get(_base(tenant) + "export/?format=csv")
    assert answer.status_code == 200
    rows = _csv(b"".join(answer.streaming_content))  # type: ignore[attr-defined]
    assert [row["email"] for row in rows] == ["ada@example.com", "bob@example.com"]
    assert rows[0]["objectId"] == str(ada.object_id)
    assert rows[0]["givenName"] == "Ada"
    assert rows[0]["city"] == "London"
    assert rows[0]["extension_LoyaltyNumber"] == "'=1+1"
    assert rows[0]["extension_Age"] == "36"
    assert rows[0]["accountEnabled"] == "True"
    assert "passwordHash" not in rows[0]
    answer = admin_client.get(_base(tenant) + "export/?format=json")
    lines = [json.loads(line) for line in b"".join(answer.streaming_content).splitlines()]  # type: ignore[attr-defined]
    assert lines[0]["extension_Age"] == 36
    assert lines[0]["extension_Newsletter"] is True
    assert lines[0]["extension_LoyaltyNumber"] == "=1+1"
    assert lines[1]["extension_Age"] is None
    exports = AuditEntry.objects.filter(
        tenant_uuid=tenant.tenant_id, action=AuditAction.CUSTOMERS_EXPORTED
    ).order_by("id")
    assert [entry.details for entry in exports] == [{"format": "csv"}, {"format": "json"}]


def test_the_template_imports_as_it_is(admin_client: Client, flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    template = admin_client.get(_base(tenant) + "template/?format=csv")
    body = b"".join(template.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert body.splitlines()[0].startswith("email,displayName,givenName")
    assert "extension_LoyaltyNumber" in body.splitlines()[0]
    job = import_file(tenant, body)
    assert (job.status, job.succeeded, job.failed) == (ImportStatus.DONE, 1, 0)
    template = admin_client.get(_base(tenant) + "template/?format=json")
    job = import_file(
        tenant,
        b"".join(template.streaming_content).decode().replace("ada@", "ada2@"),  # type: ignore[attr-defined]
        "json",
    )
    assert (job.succeeded, job.failed) == (1, 0)


def test_only_customer_admins_reach_bulk_operations(
    operator_factory: MakeOperator, tenant_a: Tenant
) -> None:
    reader = operator_factory(
        "reader@admins.example", tenant=tenant_a, roles=[AdminRole.REPORTS_READER]
    )
    client = operator_client(reader.email)
    assert client.get(_base(tenant_a)).status_code == 403
    assert client.get(_base(tenant_a) + "export/?format=csv").status_code == 403


def test_in_eager_mode_the_upload_answers_at_once_and_a_thread_imports(committed_db: None) -> None:
    """Celery is eager here, as in `make run`: the job runs in a thread of the server, after
    the upload's answer (bulk/running.py). Committed data: the thread has its own connection."""
    tenant = Tenant.objects.get(domain_name=TENANT_A)
    admin = operator_create(email="threaded@admins.example", password=PASSWORD)
    RoleAssignment.objects.create(
        tenant=tenant, operator=admin, role=AdminRole.GLOBAL_ADMINISTRATOR
    )
    client = operator_client(admin.email)
    rows = [f"thread{number}@example.com" for number in range(2500)]
    upload = io.BytesIO(csv_text("email", *rows).encode())
    upload.name = "threaded.csv"
    try:
        answer = client.post(_base(tenant) + "imports/", {"file": upload, "file_format": "csv"})
        assert answer.status_code == 302
        seen = set()
        deadline = time.monotonic() + 30
        while True:
            progress = client.get(answer["Location"] + "progress/").json()
            seen.add(progress["percent"])
            if progress["finished"] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert (progress["status"], progress["succeeded"]) == ("done", 2500)
        assert len(seen) >= 2  # the bar moved while the upload's answer was long sent
    finally:
        with in_tenant(tenant):
            EmailAddress.objects.filter(email__startswith="thread").delete()
            User.objects.filter(email__startswith="thread")._raw_delete(User.objects.db)
            CustomerImport.objects.all().delete()
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id, actor_email=admin.email).delete()
        RoleAssignment.objects.filter(operator=admin).delete()
        Session.objects.filter(user=admin).delete()
        User.objects.filter(pk=admin.pk)._raw_delete(User.objects.db)
