"""`ciam_demo --tenant NAME --federate-with contoso`: contoso becomes an OpenID Provider of
NAME, with the product's own discovery document (no server needs to run)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.models import AppRegistration
from federation.models import IdentityProvider
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_base_url, tenant_issuer
from userflows.models import UserFlow


def run_demo(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("ciam_demo", "--json", *args, stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_the_demo_federates_fabrikam_with_contoso_idempotently(db: None) -> None:
    first = run_demo("--tenant", "fabrikam", "--federate-with", "contoso")
    second = run_demo("--tenant", "fabrikam", "--federate-with", "contoso")
    assert first == second
    fabrikam = Tenant.objects.get(domain_name="fabrikam")
    contoso = Tenant.objects.get(domain_name="contoso")
    callback = f"{tenant_base_url(fabrikam)}/account/oidc/contoso/login/callback/"
    assert first["federation"] == {
        "provider": "contoso",
        "issuer": tenant_issuer(contoso),
        "redirect_uri": callback,
    }
    with in_tenant(contoso):
        app = AppRegistration.objects.get(redirect_uris=callback)
        assert app.client_type == "confidential"
    with in_tenant(fabrikam):
        provider = IdentityProvider.objects.get(slug="contoso")
        assert provider.kind == "openid_connect"
        assert provider.client_id == app.client_id
        assert provider.metadata["issuer"] == tenant_issuer(contoso)
        assert provider.metadata["token_endpoint"].startswith(tenant_base_url(contoso))
        flow = UserFlow.objects.get(name="Sign up and sign in")
        assert list(flow.identity_providers.all()) == [provider]
        assert IdentityProvider.objects.count() == 1


def test_a_tenant_cannot_federate_with_itself(db: None) -> None:
    with pytest.raises(CommandError):
        run_demo("--tenant", "contoso", "--federate-with", "contoso")
