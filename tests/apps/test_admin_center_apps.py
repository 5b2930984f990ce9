"""App registrations in the admin center: register, configure, credentials, API, permissions."""

import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from apps.models import ApiPermission, AppRegistration, ClientSecret, KeyStatus, SigningKey
from apps.oidc.client_auth import client_secret_matches
from tenants.models import AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant


def base(tenant: Tenant) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}"


def register(client: Client, tenant: Tenant, **data: str) -> AppRegistration:
    payload = {"name": "Contoso web", "platform": "web", "redirect_uri": "https://app.example/cb"}
    payload.update(data)
    response = client.post(f"{base(tenant)}/apps/new/", payload)
    assert response.status_code == 302, response.content[:400]
    with in_tenant(tenant):
        return AppRegistration.objects.get(name=payload["name"])


def test_register_and_overview_with_quick_start(admin_client: Client, tenant_a: Tenant) -> None:
    app = register(admin_client, tenant_a)
    assert app.client_type == "confidential"
    overview = admin_client.get(f"{base(tenant_a)}/apps/{app.object_id}/")
    assert overview.status_code == 200
    for text in (app.client_id, str(tenant_a.tenant_id), "server_metadata_url", "Quick start"):
        assert text in overview.text
    listing = admin_client.get(f"{base(tenant_a)}/apps/")
    assert app.client_id in listing.text
    assert AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.APP_REGISTERED
    ).exists()
    with in_tenant(tenant_a):
        assert set(
            ApiPermission.objects.filter(client=app).values_list("oidc_scope", flat=True)
        ) == {"openid", "profile", "email", "offline_access"}


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://app.example/cb", "https"),
        ("https://app.example/cb#frag", "fragment"),
        ("https://*.example.com/cb", "Wildcards"),
        ("not a uri", "spaces"),
        ("https://app.example/" + "x" * 300, "at most 256"),
        ("javascript:alert(1)", "https"),
    ],
)
def test_bad_redirect_uris_get_field_errors(
    admin_client: Client, tenant_a: Tenant, uri: str, message: str
) -> None:
    response = admin_client.post(
        f"{base(tenant_a)}/apps/new/", {"name": "Bad", "platform": "web", "redirect_uri": uri}
    )
    assert response.status_code == 200
    assert message in response.text
    with in_tenant(tenant_a):
        assert not AppRegistration.objects.filter(name="Bad").exists()


def test_authentication_page_limits_and_loopback(admin_client: Client, tenant_a: Tenant) -> None:
    app = register(admin_client, tenant_a, platform="spa", name="SPA", redirect_uri="")
    url = f"{base(tenant_a)}/apps/{app.object_id}/authentication/"
    too_many = "\n".join(f"https://app.example/cb{i}" for i in range(101))
    response = admin_client.post(url, {"redirect_uris": too_many})
    assert "at most 100 redirect URIs" in response.text
    response = admin_client.post(
        url,
        {
            "redirect_uris": "http://localhost:3000/\nhttps://spa.example/",
            "front_channel_logout_url": "",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        app.refresh_from_db()
        assert app.redirect_uris.split() == ["http://localhost:3000/", "https://spa.example/"]


def test_secret_is_shown_once_and_stored_as_a_digest(
    admin_client: Client, tenant_a: Tenant
) -> None:
    app = register(admin_client, tenant_a)
    url = f"{base(tenant_a)}/apps/{app.object_id}/credentials/"
    response = admin_client.post(f"{url}secrets/new/", {"description": "ci", "lifetime": "180"})
    value = re.search(r'id="secret-value" class="secret">([^<]+)<', response.text)
    assert value is not None
    secret_value = value.group(1)
    with in_tenant(tenant_a):
        stored = ClientSecret.objects.get(app=app)
        assert secret_value not in (stored.digest, stored.hint)
        assert len(stored.digest) == 64
        assert client_secret_matches(app=app, secret=secret_value)
        assert not client_secret_matches(app=app, secret=secret_value + "x")
        assert 179 <= (stored.expires_at - stored.created_at).days <= 180
    assert secret_value not in admin_client.get(url).text
    entry = AuditEntry.objects.get(tenant_uuid=tenant_a.tenant_id, action=AuditAction.SECRET_ADDED)
    assert secret_value not in str(entry.details)


def test_secret_expiry_is_one_dropdown_whose_custom_choice_shows_the_date(
    admin_client: Client, tenant_a: Tenant
) -> None:
    app = register(admin_client, tenant_a)
    url = f"{base(tenant_a)}/apps/{app.object_id}/credentials/"
    page = admin_client.get(url).text
    lifetime = page.split('<select name="lifetime"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="([^"]+)"', lifetime)
    assert options[-1] == "custom"
    assert len(options) >= 3
    # The date is there for the page's script, hidden until Custom is chosen.
    assert 'data-shown-by="id_secret_lifetime" data-shown-for="custom" hidden>' in page
    # Without a date only Custom is refused; a lifetime needs none (the date is ignored).
    shown = admin_client.post(f"{url}secrets/new/", {"lifetime": "custom"}).text
    assert 'data-shown-by="id_secret_lifetime" data-shown-for="custom">' in shown
    assert "Choose the expiry date" in shown
    response = admin_client.post(
        f"{url}secrets/new/", {"lifetime": options[0], "custom_expiry": ""}
    )
    assert 'id="secret-value"' in response.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"lifetime": "12"}, "Select a valid choice"),
        ({"lifetime": "custom"}, "Choose the expiry date"),
        ({"lifetime": "custom", "custom_expiry": "2020-01-01"}, "between tomorrow"),
        ({"lifetime": "custom", "custom_expiry": "2099-01-01"}, "between tomorrow"),
        ({"lifetime": "custom", "custom_expiry": "not-a-date"}, "Enter a valid date"),
        ({"lifetime": "180", "description": "d" * 101}, "at most 100"),
    ],
)
def test_bad_secret_requests(
    admin_client: Client, tenant_a: Tenant, data: dict[str, str], message: str
) -> None:
    app = register(admin_client, tenant_a)
    response = admin_client.post(
        f"{base(tenant_a)}/apps/{app.object_id}/credentials/secrets/new/", data
    )
    assert response.status_code == 200
    assert message in response.text
    with in_tenant(tenant_a):
        assert not ClientSecret.objects.filter(app=app).exists()


def test_certificate_upload_refuses_private_keys_and_garbage(
    admin_client: Client, tenant_a: Tenant
) -> None:
    app = register(admin_client, tenant_a)
    url = f"{base(tenant_a)}/apps/{app.object_id}/credentials/certificates/new/"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    response = admin_client.post(url, {"pem": private_pem})
    assert "never the private key" in response.text
    response = admin_client.post(url, {"pem": "-----BEGIN junk"})
    assert "not a PEM public key" in response.text
    response = admin_client.post(url, {"pem": public_pem})
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert app.certificates.count() == 1


def test_expose_api_and_grant_permissions(admin_client: Client, tenant_a: Tenant) -> None:
    api = register(admin_client, tenant_a, name="API", redirect_uri="")
    client_app = register(admin_client, tenant_a, name="Client")
    url = f"{base(tenant_a)}/apps/{api.object_id}/expose-api/"
    assert admin_client.post(f"{url}app-id-uri/", {"app_id_uri": "ftp://x"}).status_code == 200
    assert admin_client.post(f"{url}app-id-uri/", {"app_id_uri": "api://orders"}).status_code == 302
    response = admin_client.post(f"{url}scopes/new/", {"value": "<script>", "display_name": "x"})
    assert "Use 1 to 120 letters" in response.text
    response = admin_client.post(
        f"{url}scopes/new/", {"value": "Orders.Read", "display_name": "Read orders"}
    )
    assert response.status_code == 302
    admin_client.post(f"{url}roles/new/", {"value": "Orders.All", "display_name": "All"})
    page = admin_client.get(url)
    assert "api://orders/Orders.Read" in page.text

    perms_url = f"{base(tenant_a)}/apps/{client_app.object_id}/permissions/"
    page = admin_client.get(perms_url)
    choice = re.search(r'value="(scope:\d+)"', page.text)
    assert choice is not None
    admin_client.post(f"{perms_url}new/", {"permission": choice.group(1)})
    bogus = admin_client.post(f"{perms_url}new/", {"permission": "scope:99999"})
    assert "Select a valid choice" in bogus.text
    with in_tenant(tenant_a):
        permission = ApiPermission.objects.get(client=client_app, api_scope__isnull=False)
        assert permission.consented_at is None
    assert "Not granted" in admin_client.get(perms_url).text
    admin_client.post(f"{perms_url}consent/grant/")
    with in_tenant(tenant_a):
        permission.refresh_from_db()
        assert permission.consented_at is not None
    assert AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.CONSENT_GRANTED
    ).exists()


def test_token_configuration_validates_bounds(admin_client: Client, tenant_a: Tenant) -> None:
    url = f"{base(tenant_a)}/token-configuration/"
    page = admin_client.get(url)
    assert 'value="60"' in page.text
    response = admin_client.post(
        url,
        {
            "access_token_minutes": "5",
            "id_token_minutes": "abc",
            "spa_refresh_token_hours": "48",
            "refresh_token_days": "90",
        },
    )
    assert "Enter a whole number." in response.text
    response = admin_client.post(
        url,
        {
            "access_token_minutes": "5",
            "id_token_minutes": "60",
            "spa_refresh_token_hours": "48",
            "refresh_token_days": "90",
        },
    )
    assert "Between 10 and 1,440 minutes." in response.text
    assert "Between 1 and 24 hours." in response.text
    response = admin_client.post(
        url,
        {
            "access_token_minutes": "30",
            "id_token_minutes": "60",
            "spa_refresh_token_hours": "12",
            "refresh_token_days": "30",
        },
    )
    assert response.status_code == 302


def test_signing_keys_page_rotates(admin_client: Client, tenant_a: Tenant) -> None:
    url = f"{base(tenant_a)}/signing-keys/"
    assert "Active" in admin_client.get(url).text
    assert admin_client.post(f"{url}rotate/").status_code == 302
    with in_tenant(tenant_a):
        assert SigningKey.objects.filter(status=KeyStatus.RETIRING).count() == 1
    assert AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.SIGNING_KEY_ROTATED
    ).exists()


def test_delete_app_needs_its_name(admin_client: Client, tenant_a: Tenant) -> None:
    app = register(admin_client, tenant_a)
    url = f"{base(tenant_a)}/apps/{app.object_id}/delete/"
    admin_client.post(url, {"confirm_name": "nope"})
    with in_tenant(tenant_a):
        assert AppRegistration.objects.filter(pk=app.pk).exists()
    admin_client.post(url, {"confirm_name": app.name})
    with in_tenant(tenant_a):
        assert not AppRegistration.objects.filter(pk=app.pk).exists()
    assert admin_client.get(f"{base(tenant_a)}/apps/{app.object_id}/").status_code == 404


def test_attributes_and_claims_tab(admin_client: Client, tenant_a: Tenant) -> None:
    from accounts.services import custom_attribute_create
    from apps.models import AppClaim

    with in_tenant(tenant_a):
        custom_attribute_create(name="Loyalty", data_type="string")
    app = register(admin_client, tenant_a)
    url = f"{base(tenant_a)}/apps/{app.object_id}/claims/"
    page = admin_client.get(url)
    assert "extension_" in page.text
    assert "_Loyalty" in page.text
    response = admin_client.post(
        url, {"id:given_name": "on", "at:Loyalty": "on", "id:Loyalty": "on"}
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        rows = {
            (r.builtin or r.custom_attribute.name, r.in_id_token, r.in_access_token)
            for r in AppClaim.objects.filter(app=app).select_related("custom_attribute")
        }
    assert rows == {("given_name", True, False), ("Loyalty", True, True)}


@pytest.mark.parametrize("row_id", ["²", "٣x", "9" * 5_000, "9" * 30, "-1"])
def test_ids_in_paths_that_are_no_row_ids_change_nothing(
    admin_client: Client, tenant_a: Tenant, row_id: str
) -> None:
    """`"²".isdigit()` is true and int() refuses it (and 5,000 digits), and 30 digits overflow
    PostgreSQL's integers: a 404, never a 500."""
    app = register(admin_client, tenant_a)
    admin_client.raise_request_exception = False
    page = f"{base(tenant_a)}/apps/{app.object_id}"
    for url in (
        f"{page}/permissions/{row_id}/remove/",
        f"{page}/credentials/certificates/{row_id}/remove/",
        f"{page}/credentials/secrets/{row_id}/remove/",
    ):
        assert admin_client.post(url).status_code == 404, url
    with in_tenant(tenant_a):
        assert ApiPermission.objects.filter(client=app).count() == 4
