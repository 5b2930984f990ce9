"""`ciam_config export` and `ciam_config apply [--dry-run]`, as an operator runs them."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from configuration.document import yaml_dump, yaml_load
from configuration.export import configuration_export
from federation.models import IdentityProvider
from federation.selectors import identity_provider_secret
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.configuration.conftest import SECRETS, Contoso


@pytest.fixture
def secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("ciam_config", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_export_then_dry_run_then_apply_then_dry_run(
    contoso: Contoso, tenant_b: Tenant, tmp_path: Path, secrets_in_environment: None
) -> None:
    target = tmp_path / "contoso.yaml"
    _run("export", contoso.tenant.domain_name, "-o", str(target))
    text = target.read_text()
    assert text.startswith("# Tenant configuration")
    assert "Credentials are not exported" in text
    assert _run("export", contoso.tenant.domain_name) == text

    # The partner's OpenID document is tenant B's own; tenant B cannot fetch it over HTTP in a
    # test, so the partner provider is left out of what is applied to it here.
    data = yaml_load(text)
    data["identityProviders"] = [p for p in data["identityProviders"] if p["slug"] != "partner"]
    for flow in data["userFlows"]:
        flow["identityProviders"] = [s for s in flow["identityProviders"] if s != "partner"]
    target.write_text(yaml_dump(data))

    with pytest.raises(SystemExit) as drift:
        _run("apply", tenant_b.domain_name, str(target), "--dry-run")
    assert drift.value.code == 2
    out = _run("apply", tenant_b.domain_name, str(target))
    assert "create apps/Contoso web" in out
    assert "Applied: " in out
    out = _run("apply", tenant_b.domain_name, str(target), "--dry-run")
    assert out.strip() == "Plan: 0 to create, 0 to update, 0 to delete."


def test_a_changed_secret_in_the_environment_is_an_update_the_diff_does_not_show(
    contoso: Contoso, tmp_path: Path, secrets_in_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "contoso.yaml"
    _run("export", contoso.tenant.domain_name, "-o", str(target))
    monkeypatch.setenv("CIAM_IDP_GOOGLE_SECRET", "rotated-google-secret")
    with pytest.raises(SystemExit):
        _run("apply", contoso.tenant.domain_name, str(target), "--dry-run")
    out = _run("apply", contoso.tenant.domain_name, str(target))
    assert "update identityProviders/google (secret from the environment)" in out
    assert "rotated-google-secret" not in out
    with in_tenant(contoso.tenant):
        google = IdentityProvider.objects.get(slug="google")
        assert identity_provider_secret(google) == "rotated-google-secret"
    # Without the variable, the stored secret stays.
    monkeypatch.delenv("CIAM_IDP_GOOGLE_SECRET")
    _run("apply", contoso.tenant.domain_name, str(target))
    with in_tenant(contoso.tenant):
        google = IdentityProvider.objects.get(slug="google")
        assert identity_provider_secret(google) == "rotated-google-secret"


def test_a_refused_file_says_where_and_the_tenant_is_unchanged(
    contoso: Contoso, tmp_path: Path
) -> None:
    before = configuration_export(tenant=contoso.tenant)
    data = yaml_load(yaml_dump(before))
    data["signInProtection"]["lockoutThreshold"] = "ten"
    data["apps"][0]["platfrom"] = "web"
    target = tmp_path / "bad.yaml"
    target.write_text(yaml_dump(data))
    with pytest.raises(CommandError) as refused:
        _run("apply", contoso.tenant.domain_name, str(target))
    message = str(refused.value)
    assert "nothing changed" in message
    assert "signInProtection.lockoutThreshold: expected a whole number" in message
    assert "apps[0].platfrom: unknown key" in message
    assert configuration_export(tenant=contoso.tenant) == before


def test_an_unknown_tenant_is_refused(db: None) -> None:
    with pytest.raises(CommandError, match="No tenant is named nowhere"):
        _run("export", "nowhere")
