"""/users/imports and /users/export through the real server: an app imports customers (a
multipart CSV, a JSON body), follows the job, reads its refused rows, exports everyone."""

import json
import time
import uuid
from typing import Any

import requests

from accounts.models import User
from tenants.models import AuditAction, AuditEntry
from tenants.schemas import in_tenant
from tests.bulk.factories import bcrypt_hash
from tests.factories.management import ManagementWorld


def _finished(world: ManagementWorld, location: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        job = requests.get(location, headers=world.headers(), timeout=10).json()
        if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return dict(job)
        time.sleep(0.2)


def test_an_app_imports_a_csv_file_and_reads_its_errors(
    management_world: ManagementWorld, db: None
) -> None:
    tag = uuid.uuid4().hex[:8]
    body = (
        "email,givenName,passwordHash\n"
        f"csv-{tag}-1@example.com,One,{bcrypt_hash()}\n"
        f"csv-{tag}-2@example.com,Two,\n"
        "not-an-address,Bad,\n"
        f"csv-{tag}-3@example.com,Three,$1$old$hash\n"
    )
    answer = requests.post(
        management_world.url("users/imports"),
        files={"file": ("people.csv", body.encode(), "text/csv")},
        data={"format": "csv"},
        headers=management_world.headers("User.ReadWrite.All"),
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["status"] in ("queued", "running", "done")
    assert job["fileName"] == "people.csv"
    client_id, _secret = management_world.credentials["User.ReadWrite.All"]
    assert job["createdBy"] == client_id
    location = answer.headers["Location"]
    assert location.endswith(f"/users/imports/{job['id']}")
    done = _finished(management_world, management_world.base_url + location)
    assert (done["status"], done["succeeded"], done["failed"]) == ("done", 2, 2)
    assert (done["totalRows"], done["processedRows"], done["percentComplete"]) == (4, 4, 100)
    # A reader may follow the job and its errors; paged.
    errors = requests.get(
        management_world.base_url + location + "/errors?limit=1",
        headers=management_world.headers("User.Read.All"),
        timeout=10,
    )
    assert errors.status_code == 200
    page = errors.json()
    assert page["value"] == [
        {
            "row": 3,
            "email": "not-an-address",
            "field": "email",
            "message": "Enter a valid email address.",
        }
    ]
    rest = requests.get(page["nextLink"], headers=management_world.headers(), timeout=10).json()
    assert rest["value"] == [
        {
            "row": 4,
            "email": f"csv-{tag}-3@example.com",
            "field": "passwordHash",
            "message": "Unknown password hash format.",
        }
    ]
    assert "nextLink" not in rest
    with in_tenant(management_world.tenant):
        one = User.objects.get(email=f"csv-{tag}-1@example.com")
    assert one.given_name == "One"
    assert one.password.startswith("bcrypt$$2b$")
    entry = AuditEntry.objects.filter(
        tenant_uuid=management_world.tenant.tenant_id, action=AuditAction.CUSTOMERS_IMPORT_STARTED
    ).latest("id")
    assert entry.details["calling_app"] == client_id
    assert entry.details["import_id"] == job["id"]


def test_an_app_imports_a_json_body_and_exports_everyone(
    management_world: ManagementWorld, db: None
) -> None:
    tag = uuid.uuid4().hex[:8]
    people = [
        {"email": f"json-{tag}-1@example.com", "displayName": "Json One", "accountEnabled": False},
        {"email": f"json-{tag}-2@example.com", "surname": "Two"},
    ]
    answer = requests.post(
        management_world.url("users/imports"),
        data=json.dumps(people),
        headers={**management_world.headers(), "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["format"] == "json"
    done = _finished(management_world, management_world.base_url + answer.headers["Location"])
    assert (done["succeeded"], done["failed"]) == (2, 0)

    exported = requests.get(
        management_world.url("users/export"),
        headers=management_world.headers("User.Read.All"),
        timeout=10,
    )
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "application/x-ndjson"
    rows = {row["email"]: row for row in map(json.loads, exported.text.splitlines())}
    assert rows[f"json-{tag}-1@example.com"]["displayName"] == "Json One"
    assert rows[f"json-{tag}-1@example.com"]["accountEnabled"] is False
    assert rows[f"json-{tag}-2@example.com"]["surname"] == "Two"
    assert management_world.customer_email in rows
    assert all("passwordHash" not in row and "password" not in row for row in rows.values())


def test_bad_uploads_are_problems(management_world: ManagementWorld, db: None) -> None:
    unknown = requests.post(
        management_world.url("users/imports"),
        data=b"email,shoeSize\na@example.com,42\n",
        headers={**management_world.headers(), "Content-Type": "text/csv"},
        timeout=10,
    )
    assert unknown.status_code == 400
    assert unknown.headers["Content-Type"] == "application/problem+json"
    assert unknown.json()["errors"] == {"file": ["Unknown columns: shoeSize."]}
    missing = requests.get(
        management_world.url(f"users/imports/{uuid.uuid4()}"),
        headers=management_world.headers(),
        timeout=10,
    )
    assert missing.status_code == 404
    reader = requests.post(
        management_world.url("users/imports"),
        data=b"email\na@example.com\n",
        headers={**management_world.headers("User.Read.All"), "Content-Type": "text/csv"},
        timeout=10,
    )
    assert reader.status_code == 403
