"""Run user flow: each run of a public app gets its own PKCE pair, the verifier kept in the
admin's session, never the pair published in RFC 7636 Appendix B."""

import base64
import hashlib
from importlib import import_module
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client

from admin_center.userflows.runs import SESSION_KEY
from apps import services as app_services
from apps.models import AppRegistration, Platform
from tenants.models import Tenant
from tenants.schemas import in_tenant
from userflows import services as flow_services
from userflows.models import UserFlow

RFC_7636_APPENDIX_B_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def flow_with(tenant: Tenant, platform: str) -> tuple[UserFlow, AppRegistration]:
    with in_tenant(tenant):
        app = app_services.app_register(
            name="Tester", platform=platform, redirect_uris=["https://app.example/cb"]
        )
        flow = flow_services.userflow_create(name="Runs")
        flow_services.flow_apps_assign(flow=flow, apps=[app])
    return flow, app


def admin_session(client: Client) -> SessionBase:
    """The admin center's session of this browser (its cookie is not Django's default one)."""
    store: type[SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
    return store(session_key=client.cookies["ciam_session_admin"].value)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def test_each_run_of_a_public_app_has_its_own_challenge_and_a_verifier_kept_server_side(
    admin_client: Client, tenant_a: Tenant
) -> None:
    flow, app = flow_with(tenant_a, Platform.SPA)
    flow_url = f"/admin-center/tenants/{tenant_a.tenant_id}/user-flows/{flow.flow_id}/"
    page_url = f"{flow_url}applications/"
    run_url = f"{flow_url}run/{app.object_id}/"
    page = admin_client.get(page_url)
    assert f'href="{run_url}"' in page.text
    assert "code_challenge" not in page.text

    queries = []
    for _run in range(2):
        response = admin_client.get(run_url)
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == f"/{tenant_a.domain_name}/oauth2/v2.0/authorize"
        queries.append({key: values[0] for key, values in parse_qs(location.query).items()})
    first, second = queries
    # The request is one the authorization endpoint takes: it opens the flow's sign-in page.
    opened = Client().get(response["Location"])
    assert opened.status_code == 200
    assert "<title>Sign in · Tenant A</title>" in opened.text
    assert first["code_challenge"] != second["code_challenge"]
    assert RFC_7636_APPENDIX_B_CHALLENGE not in (first["code_challenge"], second["code_challenge"])
    assert first["code_challenge_method"] == second["code_challenge_method"] == "S256"
    assert first["client_id"] == app.client_id
    assert first["redirect_uri"] == "https://app.example/cb"

    stored = {run["state"]: run for run in admin_session(admin_client)[SESSION_KEY]}
    for query in queries:
        run = stored[query["state"]]
        assert run["client_id"] == app.client_id
        assert 43 <= len(run["code_verifier"]) <= 128  # RFC 7636 §4.1
        assert s256(run["code_verifier"]) == query["code_challenge"]
        assert run["code_verifier"] not in query.values()
    # The flow's Applications section shows the verifiers, to redeem a run's code by hand.
    page = admin_client.get(page_url)
    for run in stored.values():
        assert run["code_verifier"] in page.text


def test_the_session_keeps_only_the_last_runs(admin_client: Client, tenant_a: Tenant) -> None:
    flow, app = flow_with(tenant_a, Platform.SPA)
    run_url = (
        f"/admin-center/tenants/{tenant_a.tenant_id}/user-flows/{flow.flow_id}/run/{app.object_id}/"
    )
    for _run in range(12):
        admin_client.get(run_url)
    assert len(admin_session(admin_client)[SESSION_KEY]) == 10


def test_a_confidential_app_runs_without_pkce(admin_client: Client, tenant_a: Tenant) -> None:
    flow, app = flow_with(tenant_a, Platform.WEB)
    response = admin_client.get(
        f"/admin-center/tenants/{tenant_a.tenant_id}/user-flows/{flow.flow_id}/run/{app.object_id}/"
    )
    query = parse_qs(urlsplit(response["Location"]).query)
    assert "code_challenge" not in query
    [run] = admin_session(admin_client)[SESSION_KEY]
    assert run["code_verifier"] == ""


def test_an_app_of_another_flow_or_without_redirect_uri_has_no_run(
    admin_client: Client, tenant_a: Tenant
) -> None:
    flow, _app = flow_with(tenant_a, Platform.SPA)
    with in_tenant(tenant_a):
        other = app_services.app_register(name="Elsewhere", platform=Platform.SPA)
        flow_services.flow_apps_assign(flow=flow, apps=[other])
        stranger = app_services.app_register(
            name="Stranger", platform=Platform.SPA, redirect_uris=["https://s.example/cb"]
        )
    base = f"/admin-center/tenants/{tenant_a.tenant_id}/user-flows/{flow.flow_id}/run/"
    assert admin_client.get(f"{base}{other.object_id}/").status_code == 404
    assert admin_client.get(f"{base}{stranger.object_id}/").status_code == 404


def test_a_web_app_run_to_a_single_page_redirect_uri_carries_pkce(
    admin_client: Client, tenant_a: Tenant
) -> None:
    # A web app (a confidential client) whose first redirect URI is a single-page one: the code
    # for that URI is redeemed as a public client's, so the request needs PKCE (RFC 7636).
    with in_tenant(tenant_a):
        app = app_services.app_register(name="Portal", platform=Platform.WEB)
        app_services.app_platform_add(
            app=app, platform=Platform.SPA, redirect_uris=["https://spa.example/cb"]
        )
        flow = flow_services.userflow_create(name="Runs")
        flow_services.flow_apps_assign(flow=flow, apps=[app])
        app.refresh_from_db()
    assert not app.is_public
    response = admin_client.get(
        f"/admin-center/tenants/{tenant_a.tenant_id}/user-flows/{flow.flow_id}/run/{app.object_id}/"
    )
    query = {
        key: values[0] for key, values in parse_qs(urlsplit(response["Location"]).query).items()
    }
    assert query["redirect_uri"] == "https://spa.example/cb"
    [run] = admin_session(admin_client)[SESSION_KEY]
    assert s256(run["code_verifier"]) == query["code_challenge"]
    assert query["code_challenge_method"] == "S256"
    opened = Client().get(response["Location"])
    assert opened.status_code == 200
    assert "<title>Sign in · Tenant A</title>" in opened.text
