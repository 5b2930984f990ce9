"""A new tenant's OpenID Provider is provisioned by the apps floor, through the kernel's
`tenant_provisioned` signal (the kernel imports nothing of apps)."""

from apps.models import KeyStatus, SigningKey, TokenSettings
from tenants.models import Tenant
from tenants.schemas import in_tenant


def test_a_new_tenant_has_its_signing_keys_and_token_settings(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        assert sorted(SigningKey.objects.values_list("status", flat=True)) == sorted(
            [KeyStatus.ACTIVE, KeyStatus.NEXT]
        )
        assert TokenSettings.objects.count() == 1
