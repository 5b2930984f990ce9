"""Signing keys: lifecycle, encryption at rest, rotation by hand and on schedule."""

from datetime import timedelta

from django.utils import timezone

from apps.models import KeyStatus, SigningKey
from apps.signing import active_signing_jwk, published_jwks, signing_key_rotate
from apps.tasks import signing_keys_maintain
from tenants.models import Tenant
from tenants.schemas import in_tenant


def statuses() -> dict[str, str]:
    return dict(SigningKey.objects.values_list("kid", "status"))


def test_new_tenant_has_an_active_and_a_next_key_encrypted_at_rest(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        keys = list(SigningKey.objects.all())
        assert sorted(k.status for k in keys) == ["active", "next"]
        for key in keys:
            assert "PRIVATE KEY" not in key.private_key_encrypted
            assert "d" not in key.public_jwk
        assert active_signing_jwk().thumbprint() == SigningKey.objects.get(status="active").kid


def test_rotation_moves_next_to_active_and_keeps_the_old_key_published(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        before = statuses()
        old_active = next(k for k, s in before.items() if s == "active")
        old_next = next(k for k, s in before.items() if s == "next")
        signing_key_rotate()
        after = statuses()
        assert after[old_active] == KeyStatus.RETIRING
        assert after[old_next] == KeyStatus.ACTIVE
        assert sorted(after.values()) == ["active", "next", "retiring"]
        assert active_signing_jwk().thumbprint() == old_next
        published = {key["kid"] for key in published_jwks()["keys"]}
        assert published == set(after)


def test_beat_task_rotates_old_keys_and_retires_long_retiring_ones(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        SigningKey.objects.filter(status="active").update(
            activated_at=timezone.now() - timedelta(days=91)
        )
        first_active = SigningKey.objects.get(status="active").kid
    signing_keys_maintain.delay()
    with in_tenant(tenant_a):
        assert statuses()[first_active] == KeyStatus.RETIRING
        SigningKey.objects.filter(kid=first_active).update(
            retiring_at=timezone.now() - timedelta(days=3)
        )
    signing_keys_maintain.delay()
    with in_tenant(tenant_a):
        retired = SigningKey.objects.get(kid=first_active)
        assert retired.status == KeyStatus.RETIRED
        assert retired.private_key_encrypted == ""
        assert first_active not in {key["kid"] for key in published_jwks()["keys"]}
