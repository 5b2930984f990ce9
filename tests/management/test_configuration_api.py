"""/configuration through the real server: export (JSON or YAML, the sections the caller may
read), dry run (the plan and the diff, nothing written), apply (audited with the calling app),
roles per section, problems at the document's path."""

import copy
from typing import Any

import requests
import yaml

from tenants.models import AuditAction, AuditEntry
from tests.factories.management import ManagementWorld


def _export(world: ManagementWorld, holder: str = "ALL") -> dict[str, object]:
    response = requests.get(world.url("configuration"), headers=world.headers(holder), timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _apply(world: ManagementWorld, holder: str = "ALL", **body: Any) -> requests.Response:
    return requests.post(
        world.url("configuration/apply"), json=body, headers=world.headers(holder), timeout=60
    )


def test_export_as_json_or_yaml_and_only_the_sections_a_role_reads(
    management_world: ManagementWorld, db: None
) -> None:
    exported = _export(management_world)
    assert exported["apiVersion"] == "ciam/v1"
    assert exported["kind"] == "TenantConfiguration"
    assert "tokenLifetimes" in exported
    assert "apps" in exported
    as_yaml = requests.get(
        management_world.url("configuration"),
        headers={**management_world.headers(), "Accept": "application/yaml"},
        timeout=30,
    )
    assert as_yaml.status_code == 200
    assert as_yaml.headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == exported

    apps_only = _export(management_world, "Application.Read.All")
    assert set(apps_only) == {"apiVersion", "kind", "apps"}
    policies = _export(management_world, "Policy.Read.All")
    assert set(policies) == {
        "apiVersion",
        "kind",
        "authenticationMethods",
        "signInProtection",
        "namedLocations",
        "conditionalAccessPolicies",
        "tokenLifetimes",
    }


def test_the_tenant_own_export_plans_no_change(management_world: ManagementWorld, db: None) -> None:
    answer = _apply(management_world, configuration=_export(management_world), dryRun=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["changes"] == []
    assert answer.json()["diff"] == ""


def test_dry_run_then_apply_then_nothing_left_to_do(
    management_world: ManagementWorld, db: None
) -> None:
    exported = _export(management_world)
    original = copy.deepcopy(exported["tokenLifetimes"])
    document = {
        "apiVersion": "ciam/v1",
        "kind": "TenantConfiguration",
        "tokenLifetimes": {**original, "idTokenMinutes": 25},  # type: ignore[dict-item]
    }
    try:
        planned = _apply(management_world, configuration=yaml.safe_dump(document), dryRun=True)
        assert planned.status_code == 200, planned.text
        body = planned.json()
        assert body["changes"] == [
            {"action": "update", "section": "tokenLifetimes", "name": "", "secret": False}
        ]
        changed = [line for line in body["diff"].splitlines() if line.startswith(("-  ", "+  "))]
        assert changed == [
            f"-  idTokenMinutes: {original['idTokenMinutes']}",  # type: ignore[index]
            "+  idTokenMinutes: 25",
        ]
        assert _export(management_world)["tokenLifetimes"] == original

        applied = _apply(management_world, configuration=document)
        assert applied.status_code == 200, applied.text
        assert _export(management_world)["tokenLifetimes"]["idTokenMinutes"] == 25  # type: ignore[index]
        entry = AuditEntry.objects.filter(
            tenant_uuid=management_world.tenant.tenant_id,
            action=AuditAction.CONFIGURATION_APPLIED,
        ).latest("occurred_at")
        assert entry.details["via"] == "management_api"
        assert entry.details["changes"] == ["update tokenLifetimes"]

        again = _apply(management_world, configuration=document)
        assert again.json()["changes"] == []
    finally:
        restored = _apply(
            management_world,
            configuration={**document, "tokenLifetimes": original},
        )
        assert restored.status_code == 200, restored.text


def test_apply_needs_the_write_role_of_each_section_it_has(
    management_world: ManagementWorld, db: None
) -> None:
    document = {"apiVersion": "ciam/v1", "kind": "TenantConfiguration", "tokenLifetimes": {}}
    refused = _apply(management_world, "Policy.Read.All", configuration=document)
    assert refused.status_code == 403
    assert "Policy.ReadWrite.ApplicationConfiguration" in refused.json()["detail"]
    dry = _apply(management_world, "Policy.Read.All", configuration=document, dryRun=True)
    assert dry.status_code == 200, dry.text
    wrong_room = _apply(
        management_world, "Application.ReadWrite.All", configuration=document, dryRun=True
    )
    assert wrong_room.status_code == 403


def test_a_bad_document_is_a_problem_at_its_path(
    management_world: ManagementWorld, db: None
) -> None:
    before = _export(management_world)
    answer = _apply(
        management_world,
        configuration={
            "apiVersion": "ciam/v1",
            "kind": "TenantConfiguration",
            "tokenLifetimes": {"accessTokenMinutes": "soon", "ttl": 1},
        },
    )
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    errors = answer.json()["errors"]
    assert errors["configuration.tokenLifetimes.accessTokenMinutes"] == ["expected a whole number"]
    assert errors["configuration.tokenLifetimes.ttl"] == ["unknown key"]
    assert _export(management_world) == before
