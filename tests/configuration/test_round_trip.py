"""Configuration as code: export, apply, export again (issue 15, item 5)."""

import copy
from typing import Any

import pytest

from apps.models import AppRegistration
from apps.selectors import app_list, app_platforms, redirect_uri_platforms
from configuration.apply import configuration_apply
from configuration.document import ConfigurationInvalid, document_read, yaml_dump, yaml_load
from configuration.export import configuration_export
from configuration.plan import Plan, configuration_plan
from tenants.models import AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.configuration.conftest import SECRETS, Contoso


def _export(tenant: Tenant) -> str:
    tenant.refresh_from_db()
    return yaml_dump(configuration_export(tenant=tenant))


def _plan(tenant: Tenant, data: Any, **options: Any) -> Plan:
    tenant.refresh_from_db()
    return configuration_plan(
        tenant=tenant, document=document_read(data), environ=SECRETS, **options
    )


def _apply(tenant: Tenant, data: Any, world: Contoso) -> Plan:
    plan = _plan(tenant, data)
    return configuration_apply(tenant=tenant, plan=plan, actor=None, fetch=world.fetch)


def _platforms(tenant: Tenant) -> dict[str, tuple[str, dict[str, list[str]], dict[str, str]]]:
    """Each app's main platform, its platforms' redirect URIs and what the protocol reads:
    each URI's platform (which decides whether its codes need PKCE and no secret)."""
    with in_tenant(tenant):
        return {
            app.name: (app.platform, app_platforms(app), redirect_uri_platforms(app))
            for app in app_list()
        }


def _app(tenant: Tenant, name: str) -> AppRegistration:
    with in_tenant(tenant):
        return AppRegistration.objects.get(name=name)


def test_export_apply_to_a_fresh_tenant_and_export_again_is_identical(
    contoso: Contoso, fresh_tenant: Tenant
) -> None:
    exported = _export(contoso.tenant)
    plan = _apply(fresh_tenant, yaml_load(exported), contoso)
    assert {str(change) for change in plan.changes} >= {
        "create apps/Contoso web",
        "create userFlows/Sign up and sign in",
        "create extensions/Loyalty claims",
        "update tokenLifetimes",
    }
    assert _export(fresh_tenant) == exported
    # What the document says is really there: a spot check below the export.
    assert _platforms(fresh_tenant) == _platforms(contoso.tenant)
    assert _platforms(fresh_tenant)["Contoso web and mobile"][1] == {
        "web": ["https://portal.example/signin-oidc"],
        "spa": ["https://portal.example/spa", "http://localhost:3000/"],
        "mobile": ["com.contoso.portal:/auth"],
    }
    assert "bannerLogo" in exported
    assert "Connexion Contoso" in exported
    entry = AuditEntry.objects.get(
        tenant_uuid=fresh_tenant.tenant_id, action=AuditAction.CONFIGURATION_APPLIED
    )
    assert entry.details["count"] == len(plan.changes)


def test_applying_twice_changes_nothing(contoso: Contoso, fresh_tenant: Tenant) -> None:
    data = yaml_load(_export(contoso.tenant))
    _apply(fresh_tenant, copy.deepcopy(data), contoso)
    second = _plan(fresh_tenant, copy.deepcopy(data))
    assert second.changes == []
    assert second.diff == ""
    # And the source's own export is a no-op on the source.
    assert _plan(contoso.tenant, copy.deepcopy(data)).changes == []


def test_dry_run_diff_after_one_edit_shows_exactly_that_edit(contoso: Contoso) -> None:
    before = _export(contoso.tenant)
    data = yaml_load(before)
    data["tokenLifetimes"]["accessTokenMinutes"] = 30
    plan = _plan(contoso.tenant, data)
    changed = [
        line
        for line in plan.diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ["-  accessTokenMinutes: 45", "+  accessTokenMinutes: 30"]
    assert [str(change) for change in plan.changes] == ["update tokenLifetimes"]
    assert _export(contoso.tenant) == before  # a plan writes nothing


def test_an_edit_inside_an_app_is_one_update(contoso: Contoso) -> None:
    data = yaml_load(_export(contoso.tenant))
    web = next(app for app in data["apps"] if app["name"] == "Contoso web")
    web["platforms"]["web"].append("https://web.example/second")
    plan = _plan(contoso.tenant, data)
    assert [str(change) for change in plan.changes] == ["update apps/Contoso web"]
    assert [line for line in plan.diff.splitlines() if line.startswith("+ ")] == [
        "+    - https://web.example/second"
    ]
    configuration_apply(tenant=contoso.tenant, plan=plan, actor=None, fetch=contoso.fetch)
    assert _plan(contoso.tenant, data).changes == []


def test_a_configuration_of_tenant_a_applies_to_tenant_b(
    contoso: Contoso, tenant_b: Tenant
) -> None:
    exported = _export(contoso.tenant)
    _apply(tenant_b, yaml_load(exported), contoso)
    assert _export(tenant_b) == exported


def test_objects_absent_from_the_file_are_deleted_unless_kept(contoso: Contoso) -> None:
    data = yaml_load(_export(contoso.tenant))
    data["namedLocations"] = []
    data["conditionalAccessPolicies"] = []
    kept = _plan(contoso.tenant, copy.deepcopy(data), delete=False)
    assert kept.changes == []
    plan = _plan(contoso.tenant, data)
    assert [str(change) for change in plan.changes] == [
        "delete namedLocations/Office",
        "delete conditionalAccessPolicies/MFA outside the office",
    ]
    configuration_apply(tenant=contoso.tenant, plan=plan, actor=None, fetch=contoso.fetch)
    after = yaml_load(_export(contoso.tenant))
    assert after["namedLocations"] == []
    assert after["conditionalAccessPolicies"] == []


def test_a_section_left_out_is_not_managed(contoso: Contoso) -> None:
    data = yaml_load(_export(contoso.tenant))
    only = {"apiVersion": data["apiVersion"], "kind": data["kind"], "tokenLifetimes": {}}
    plan = _plan(contoso.tenant, only)
    # The defaults of the one section given; nothing else is touched.
    assert [str(change) for change in plan.changes] == ["update tokenLifetimes"]


def test_secrets_are_never_exported(contoso: Contoso) -> None:
    exported = _export(contoso.tenant)
    for secret in (*SECRETS.values(), contoso.app_secret, contoso.app_secret[:8]):
        assert secret not in exported
    assert "fromEnv: CIAM_IDP_GOOGLE_SECRET" in exported
    assert "secret_encrypted" not in exported
    assert "api://management" not in exported  # the platform's app is no tenant's config
    assert "digest" not in exported


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["apps"][3]["platforms"]["web"].__setitem__(0, "http://evil.example/cb"),
            "apps[3].platforms.web[0]: Redirect URIs must use https",
        ),
        (
            lambda d: d["apps"][4]["platforms"]["spa"].append("com.contoso.portal:/spa"),
            "apps[4].platforms.spa[2]: Redirect URIs must use https",
        ),
        (
            lambda d: d["apps"][4]["platforms"].__setitem__("publicClient", []),
            "apps[4].platforms.publicClient: expected one of web, spa, mobile",
        ),
        (
            lambda d: d["apps"][1].__setitem__("platform", "mobile"),
            "apps[1].platform: spa, not mobile: the main platform is web whenever",
        ),
        (
            lambda d: d["apps"][2]["platforms"].__setitem__("web", ["https://d.example/cb"]),
            "apps[2].platforms: a daemon signs no user in",
        ),
        (lambda d: d["apps"][0].__setitem__("colour", "red"), "apps[0].colour: unknown key"),
        (lambda d: d["tokenLifetimes"].__setitem__("refreshTokenDays", 999), "tokenLifetimes"),
        (
            lambda d: d["userFlows"][1]["attributes"][1].__setitem__("inputType", "Nope"),
            "userFlows[1].attributes[1].inputType:",
        ),
        (lambda d: d.__setitem__("apiVersion", "ciam/v0"), "apiVersion: expected ciam/v1"),
        (
            lambda d: d["extensions"][0].__setitem__("apiApp", "Nobody"),
            "extensions[0].apiApp: no app is named Nobody",
        ),
    ],
)
def test_a_bad_configuration_names_its_path_and_changes_nothing(
    contoso: Contoso, fresh_tenant: Tenant, edit: Any, expected: str
) -> None:
    data = yaml_load(_export(contoso.tenant))
    # apps: Contoso API, Contoso SPA, Contoso daemon, Contoso web, Contoso web and mobile;
    # flows: Email codes, Sign up and sign in.
    assert [app["name"] for app in data["apps"]][3:] == ["Contoso web", "Contoso web and mobile"]
    assert data["userFlows"][1]["name"] == "Sign up and sign in"
    edit(data)
    before = _export(fresh_tenant)
    with pytest.raises(ConfigurationInvalid) as refused:
        _apply(fresh_tenant, data, contoso)
    assert any(line.startswith(expected) for line in refused.value.errors), refused.value.errors
    assert _export(fresh_tenant) == before
    assert not AuditEntry.objects.filter(
        tenant_uuid=fresh_tenant.tenant_id, action=AuditAction.CONFIGURATION_APPLIED
    ).exists()


def test_a_new_identity_provider_needs_its_secret_in_the_environment(
    contoso: Contoso, fresh_tenant: Tenant
) -> None:
    data = yaml_load(_export(contoso.tenant))
    fresh_tenant.refresh_from_db()
    with pytest.raises(ConfigurationInvalid) as refused:
        configuration_plan(tenant=fresh_tenant, document=document_read(data), environ={})
    assert (
        "identityProviders[0].clientSecret.fromEnv: the environment has no CIAM_IDP_GOOGLE_SECRET"
        in refused.value.errors
    )


def test_consent_order_and_removals_follow_the_file(contoso: Contoso) -> None:
    data = yaml_load(_export(contoso.tenant))
    web = next(app for app in data["apps"] if app["name"] == "Contoso web")
    web["permissions"] = [
        {**entry, "consented": False} if entry.get("role") else entry
        for entry in web["permissions"]
        if entry.get("scope") != "offline_access"
    ]
    web["claims"] = [claim for claim in web["claims"] if "custom" in claim]
    flow = next(item for item in data["userFlows"] if item["name"] == "Sign up and sign in")
    flow["attributes"].reverse()  # email last: the page's order is the file's
    flow["attributes"][0]["label"] = "Card"
    _apply(contoso.tenant, data, contoso)
    after = yaml_load(_export(contoso.tenant))
    web_after = next(app for app in after["apps"] if app["name"] == "Contoso web")
    assert web_after["permissions"] == web["permissions"]
    assert web_after["claims"] == [{"custom": "loyaltyId", "idToken": True, "accessToken": True}]
    flow_after = next(item for item in after["userFlows"] if item["name"] == flow["name"])
    assert flow_after["attributes"] == flow["attributes"]
    assert _plan(contoso.tenant, data).changes == []


def test_what_a_service_normalises_is_reported_as_unsettled(contoso: Contoso) -> None:
    data = yaml_load(_export(contoso.tenant))
    data["branding"][0]["values"]["accentColor"] = "#ABCDEF"
    plan = _apply(contoso.tenant, data, contoso)
    assert plan.unsettled == ["branding/(tenant)/(all languages)"]


def test_platforms_are_planned_and_applied_one_by_one(contoso: Contoso) -> None:
    data = yaml_load(_export(contoso.tenant))
    portal = next(app for app in data["apps"] if app["name"] == "Contoso web and mobile")
    assert portal["platform"] == "web"
    # A URI moves from the single-page platform to the web one; mobile is removed.
    portal["platforms"] = {
        "web": ["https://portal.example/signin-oidc", "https://portal.example/spa"],
        "spa": ["http://localhost:3000/"],
    }
    plan = _plan(contoso.tenant, data)
    assert [str(change) for change in plan.changes] == ["update apps/Contoso web and mobile"]
    edits = [
        line
        for line in plan.diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert edits == [
        "-    mobile:",
        "-    - com.contoso.portal:/auth",
        "-    - https://portal.example/spa",
        "+    - https://portal.example/spa",
    ]
    configuration_apply(tenant=contoso.tenant, plan=plan, actor=None, fetch=contoso.fetch)
    name, uris, by_uri = "Contoso web and mobile", portal["platforms"], {}
    assert _platforms(contoso.tenant)[name][:2] == ("web", uris)
    by_uri = _platforms(contoso.tenant)[name][2]
    assert by_uri["https://portal.example/spa"] == "web"
    assert by_uri["http://localhost:3000/"] == "spa"
    assert _plan(contoso.tenant, data).changes == []


def test_the_main_platform_follows_the_platforms(contoso: Contoso) -> None:
    data = yaml_load(_export(contoso.tenant))
    spa = next(app for app in data["apps"] if app["name"] == "Contoso SPA")
    assert spa["platforms"] == {"spa": ["https://spa.example/"]}
    # Adding web makes the single-page app a confidential client (RFC 6749 §2.1).
    spa["platform"] = "web"
    spa["platforms"]["web"] = ["https://spa.example/signin"]
    _apply(contoso.tenant, copy.deepcopy(data), contoso)
    app = _app(contoso.tenant, "Contoso SPA")
    assert (app.platform, app.client_type) == ("web", AppRegistration.CLIENT_CONFIDENTIAL)
    assert _plan(contoso.tenant, copy.deepcopy(data)).changes == []
    # And back: without web it is a public client again.
    spa["platform"] = "spa"
    del spa["platforms"]["web"]
    _apply(contoso.tenant, copy.deepcopy(data), contoso)
    app = _app(contoso.tenant, "Contoso SPA")
    assert (app.platform, app.client_type) == ("spa", AppRegistration.CLIENT_PUBLIC)
    assert _plan(contoso.tenant, data).changes == []


def test_removing_web_from_an_app_with_a_secret_is_refused(contoso: Contoso) -> None:
    data = yaml_load(_export(contoso.tenant))
    web = next(app for app in data["apps"] if app["name"] == "Contoso web")
    web["platform"] = "spa"
    web["platforms"] = {"spa": web["platforms"]["web"]}
    before = _export(contoso.tenant)
    with pytest.raises(ConfigurationInvalid) as refused:
        _apply(contoso.tenant, data, contoso)
    assert refused.value.errors[0].startswith("apps[3].platforms.web.platform: Without its web")
    assert _export(contoso.tenant) == before


def test_a_document_of_one_redirect_uri_list_is_read_as_the_main_platform(
    contoso: Contoso,
) -> None:
    # Documents exported before platforms were per URI list `redirectUris` (the main platform).
    data = yaml_load(_export(contoso.tenant))
    spa = next(app for app in data["apps"] if app["name"] == "Contoso SPA")
    spa["redirectUris"] = spa.pop("platforms")["spa"]
    assert _plan(contoso.tenant, copy.deepcopy(data)).changes == []
    spa["platforms"] = {"spa": spa["redirectUris"]}
    with pytest.raises(ConfigurationInvalid) as refused:
        document_read(data)
    assert refused.value.errors == ["apps[1]: give platforms or redirectUris, not both"]
