"""The customer import: CSV and JSON files, per-row errors, nothing half-imported, resume."""

import json
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from bulk.files import FileUnreadable
from bulk.models import CustomerImport, CustomerImportError, ImportStatus
from bulk.services import (
    BATCH,
    customer_import_cancel,
    customer_import_run,
    customer_imports_stalled,
)
from bulk.tasks import customer_imports_resume
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.bulk.factories import bcrypt_hash, csv_text, import_file
from tests.factories.flows import FlowWorld


def _errors(tenant: Tenant, job: CustomerImport) -> list[tuple[int, str, str, str]]:
    with in_tenant(tenant):
        return [
            (error.row_number, error.email, error.field, error.message)
            for error in CustomerImportError.objects.filter(job=job)
        ]


def _customer(tenant: Tenant, email: str) -> User | None:
    with in_tenant(tenant):
        return User.objects.filter(email=email).first()


def test_a_csv_file_creates_customers_with_their_attributes(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    job = import_file(
        tenant,
        csv_text(
            "email,displayName,givenName,surname,city,accountEnabled,extension_LoyaltyNumber,"
            "extension_Age,extension_Newsletter",
            "Ada@Example.com,Ada Lovelace,Ada,Lovelace,London,true,L-1,36,true",
            "grace@example.com,Grace Hopper,Grace,Hopper,,false,,,",
        ),
    )
    assert (job.status, job.total_rows, job.next_row) == (ImportStatus.DONE, 2, 2)
    assert (job.succeeded, job.failed, job.percent) == (2, 0, 100)
    assert not job.file  # the file, which may hold hashes, is gone once the job ends
    ada = _customer(tenant, "ada@example.com")
    assert ada is not None
    assert (ada.display_name, ada.given_name, ada.surname, ada.city) == (
        "Ada Lovelace",
        "Ada",
        "Lovelace",
        "London",
    )
    assert ada.custom_attributes == {"LoyaltyNumber": "L-1", "Age": 36, "Newsletter": True}
    assert ada.is_active
    assert not ada.has_usable_password()  # no hash given: a reset or a code signs them in
    grace = _customer(tenant, "grace@example.com")
    assert grace is not None
    assert not grace.is_active
    assert grace.custom_attributes == {}
    with in_tenant(tenant):
        address = EmailAddress.objects.get(email="ada@example.com")
    assert address.verified
    assert address.primary


def test_bad_rows_are_reported_and_create_nothing(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    with in_tenant(tenant):
        User.objects.create_user(email="taken@example.com")
    job = import_file(
        tenant,
        csv_text(
            "email,givenName,extension_LoyaltyNumber,passwordHash",
            "good@example.com,Good,,",
            "not-an-email,Bad,,",
            "good@example.com,Twice,,",
            "TAKEN@example.com,Taken,,",
            "long@example.com," + "x" * 65 + ",,",
            "longcustom@example.com,Long," + "y" * 251 + ",",
            "hash@example.com,Hash,,$md5$abc",
            "firebase@example.com,Fire,,firebase_scrypt$abc$def",
            "agebad@example.com,Ok,," + bcrypt_hash(),
        ),
    )
    assert (job.status, job.succeeded, job.failed) == (ImportStatus.DONE, 2, 7)
    errors = _errors(tenant, job)
    assert errors == [
        (2, "not-an-email", "email", "Enter a valid email address."),
        (3, "good@example.com", "email", "This email address is on an earlier row of the file."),
        (4, "taken@example.com", "email", "A customer with this email address exists already."),
        (5, "long@example.com", "givenName", "At most 64 characters."),
        (6, "longcustom@example.com", "extension_LoyaltyNumber", "At most 250 characters."),
        (7, "hash@example.com", "passwordHash", "Unknown password hash format."),
        (
            8,
            "firebase@example.com",
            "passwordHash",
            "Firebase's modified scrypt is not supported: no well-kept library verifies it. "
            "Import the customer without a password hash; they set one with a password reset.",
        ),
    ]
    # A refused row leaves no customer behind, with or without its attributes.
    for email in ("long@example.com", "longcustom@example.com", "hash@example.com"):
        assert _customer(tenant, email) is None
    good = _customer(tenant, "good@example.com")
    assert good is not None
    assert good.given_name == "Good"
    # The report never carries a hash.
    assert "$2b$" not in json.dumps(errors)
    assert "$md5$abc" not in json.dumps(errors)


def test_json_arrays_and_json_lines_import_alike(tenant_a: Tenant) -> None:
    array = json.dumps(
        [
            {"email": "one@example.com", "displayName": "One", "accountEnabled": False},
            {"email": "two@example.com", "surname": "Two"},
            ["not", "an", "object"],
            {"email": "three@example.com", "favouriteColour": "blue"},
        ]
    )
    job = import_file(tenant_a, array, "json")
    assert (job.status, job.total_rows, job.succeeded, job.failed) == ("done", 4, 2, 2)
    assert _errors(tenant_a, job) == [
        (3, "", "", "Not a JSON object."),
        (4, "three@example.com", "", "Unknown keys: favouriteColour."),
    ]
    one = _customer(tenant_a, "one@example.com")
    assert one is not None
    assert not one.is_active
    assert one.display_name == "One"
    lines = (
        '{"email": "four@example.com", "givenName": "Four"}\n\n'
        '{broken\n{"email": "five@example.com"}\n'
    )
    job = import_file(tenant_a, lines, "json")
    assert (job.total_rows, job.succeeded, job.failed) == (3, 2, 1)
    assert _errors(tenant_a, job) == [(2, "", "", "Not a JSON object.")]
    four = _customer(tenant_a, "four@example.com")
    assert four is not None
    assert four.given_name == "Four"


def test_a_csv_file_with_an_unknown_column_is_refused_at_upload(tenant_a: Tenant) -> None:
    with pytest.raises(FileUnreadable, match="Unknown columns: favouriteColour"):
        import_file(tenant_a, csv_text("email,favouriteColour", "a@example.com,blue"))
    with pytest.raises(FileUnreadable, match="no email column"):
        import_file(tenant_a, csv_text("displayName", "A"))


def test_a_job_whose_worker_died_resumes_from_its_checkpoint(tenant_a: Tenant) -> None:
    """A worker killed after its first committed batch: the job is left running, its heartbeat
    stale, its checkpoint after that batch. The resume imports the rest and nobody twice."""
    rows = [f"c{number:05d}@example.com,Customer {number}" for number in range(1, 2 * BATCH + 301)]
    header = "email,displayName"
    # What the dead worker committed: the first batch's customers (a real run of those rows).
    first = import_file(tenant_a, csv_text(header, *rows[:BATCH]))
    assert first.succeeded == BATCH
    job = import_file(tenant_a, csv_text(header, *rows), run=False)
    with in_tenant(tenant_a):
        CustomerImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.RUNNING,
            total_rows=len(rows),
            next_row=BATCH,
            succeeded=BATCH,
            started_at=timezone.now() - timedelta(minutes=3),
            heartbeat_at=timezone.now() - timedelta(minutes=2),
        )
        assert customer_imports_stalled() == [job.object_id]
        resumed = customer_import_run(job_id=job.object_id)
        assert resumed is not None
        job.refresh_from_db()
        assert (job.status, job.next_row, job.succeeded, job.failed) == (
            ImportStatus.DONE,
            len(rows),
            len(rows),
            0,
        )
        assert not CustomerImportError.objects.filter(job=job).exists()
        assert User.objects.filter(email__startswith="c0").count() == len(rows)
        assert customer_imports_stalled() == []


def test_a_running_job_with_a_fresh_heartbeat_is_left_to_its_worker(tenant_a: Tenant) -> None:
    job = import_file(tenant_a, csv_text("email", "fresh@example.com"), run=False)
    with in_tenant(tenant_a):
        CustomerImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
        )
        assert customer_imports_stalled() == []
        assert customer_import_run(job_id=job.object_id) is None
        assert not User.objects.filter(email="fresh@example.com").exists()


def test_a_cancelled_job_stops(tenant_a: Tenant) -> None:
    job = import_file(tenant_a, csv_text("email", "cancelled@example.com"), run=False)
    with in_tenant(tenant_a):
        assert customer_import_cancel(job=job)
        assert customer_import_run(job_id=job.object_id) is None
        job.refresh_from_db()
        assert job.status == ImportStatus.CANCELLED
        assert not job.file
        assert not User.objects.filter(email="cancelled@example.com").exists()


def test_the_beat_queues_a_stalled_job_again(tenant_a: Tenant) -> None:
    """The beat's task (every minute) finds the job whose worker died and queues it; Celery is
    eager here, so the queued run happens at once, in the job's tenant."""
    job = import_file(
        tenant_a, csv_text("email", "beat1@example.com", "beat2@example.com"), run=False
    )
    with in_tenant(tenant_a):
        CustomerImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=5)
        )
    assert customer_imports_resume() == 1
    with in_tenant(tenant_a):
        job.refresh_from_db()
        assert (job.status, job.succeeded) == (ImportStatus.DONE, 2)
        assert User.objects.filter(email__startswith="beat").count() == 2
    assert customer_imports_resume() == 0
