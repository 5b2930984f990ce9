"""The demo tenant of `make run` (ciam_portal/demo.py: its apps, user flow, branding and
OpenID Connect provider), exported, applied to a fresh tenant and exported again."""

import json
from pathlib import Path

import pytest

from apps.oidc.views import discovery_document
from ciam_portal import demo
from configuration.apply import configuration_apply
from configuration.document import document_read, yaml_dump, yaml_load
from configuration.export import configuration_export, secret_env_name
from configuration.plan import configuration_plan
from tenants.models import Tenant
from tenants.schemas import in_tenant


def test_the_demo_tenant_round_trips_to_a_fresh_tenant(
    tenant_a: Tenant,
    tenant_b: Tenant,
    fresh_tenant: Tenant,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The demo keeps the secrets it prints in its data folder: a temporary one here.
    monkeypatch.setattr(demo, "DATA_DIR", tmp_path)
    with in_tenant(tenant_a):
        demo.demo_apps_ensure(tenant_name=tenant_a.domain_name)
        demo.demo_branding_ensure(company_name="Contoso")
    federation = demo.demo_federation_ensure(tenant=tenant_a, provider_tenant=tenant_b)
    with in_tenant(tenant_b):
        document = json.dumps(discovery_document()).encode()
    provider_secret = next(tmp_path.glob(f"demo_{tenant_b.domain_name}_for_*")).read_text()

    exported = yaml_dump(configuration_export(tenant=tenant_a))
    assert provider_secret not in exported
    plan = configuration_plan(
        tenant=fresh_tenant,
        document=document_read(yaml_load(exported)),
        environ={secret_env_name(federation["provider"]): provider_secret},
    )
    configuration_apply(tenant=fresh_tenant, plan=plan, actor=None, fetch=lambda url: document)
    assert yaml_dump(configuration_export(tenant=fresh_tenant)) == exported
    assert plan.unsettled == []
