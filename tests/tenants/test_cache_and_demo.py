import json
from io import StringIO

from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from branding.models import Branding
from tenants.models import AdminRole, RoleAssignment, Tenant
from tenants.schemas import in_tenant


def test_cache_keys_are_per_tenant(tenant_a: Tenant, tenant_b: Tenant) -> None:
    with in_tenant(tenant_a):
        cache.set("rate-limit:login:1.2.3.4", 5)
    with in_tenant(tenant_b):
        assert cache.get("rate-limit:login:1.2.3.4") is None
        cache.set("rate-limit:login:1.2.3.4", 1)
    with in_tenant(tenant_a):
        assert cache.get("rate-limit:login:1.2.3.4") == 5
    assert cache.get("rate-limit:login:1.2.3.4") is None


def run_demo(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("ciam_demo", "--json", *args, stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_demo_is_idempotent_and_prints_the_contract(db: None) -> None:
    first = run_demo()
    second = run_demo()
    assert first == second
    assert first["tenant"] == "contoso"
    assert str(first["issuer"]).endswith("/contoso/v2.0")
    assert set(first) >= {"issuer", "tenant", "web", "spa", "client_credentials_scope", "admin"}
    tenant = Tenant.objects.get(domain_name="contoso")
    admin = first["admin"]
    assert isinstance(admin, dict)
    assert RoleAssignment.objects.filter(
        tenant=tenant, operator__email=admin["email"], role=AdminRole.GLOBAL_ADMINISTRATOR
    ).exists()
    from apps.models import AppRegistration

    with in_tenant(tenant):
        web = AppRegistration.objects.select_related("user_flow").get(
            client_id=first["web"]["client_id"]  # type: ignore[index]
        )
        spa = AppRegistration.objects.get(client_id=first["spa"]["client_id"])  # type: ignore[index]
        assert web.user_flow is not None
        assert web.user_flow.sign_in_method == "email_password"
        assert spa.user_flow_id == web.user_flow_id
    client = Client()
    response = client.post(
        "/admin-center/sign-in/", {"username": admin["email"], "password": admin["password"]}
    )
    assert response.status_code == 302
    assert client.get(f"/admin-center/tenants/{tenant.tenant_id}/").status_code == 200


def test_demo_makes_another_tenant_on_request(db: None) -> None:
    other = run_demo("--tenant", "fabrikam")
    assert other["tenant"] == "fabrikam"
    assert Tenant.objects.filter(domain_name="fabrikam").exists()


def test_the_demo_tenant_wears_a_small_branding_and_a_new_tenant_the_neutral_one(
    tenant_a: Tenant,
) -> None:
    run_demo()
    contoso = Tenant.objects.get(domain_name="contoso")
    demo_page = Client().get("/contoso/account/login/").content.decode()
    assert 'class="brand-banner-logo"' in demo_page
    assert "/contoso/branding/theme/" in demo_page
    assert "https://example.com/privacy" in demo_page
    assert 'placeholder="you@example.com"' in demo_page
    with in_tenant(contoso):
        [layer] = Branding.objects.all()
        assert layer.banner_logo.size < 50 * 1024
    run_demo()  # idempotent: an admin's changes would stay
    with in_tenant(contoso):
        assert Branding.objects.count() == 1
    # A tenant nobody branded: the neutral default, its name where the logo would be.
    plain = Client().get(f"/{tenant_a.domain_name}/account/login/").content.decode()
    assert 'class="brand-banner-logo"' not in plain
    assert f'<p class="tenant-name">{tenant_a.display_name}</p>' in plain
    assert "brand-footer" not in plain
