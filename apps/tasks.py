"""Background work on every tenant's OpenID Provider; each task only calls services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps import housekeeping
from apps.models import KeyStatus, SigningKey
from apps.signing import signing_key_rotate, signing_keys_retire_due
from tenants.models import Tenant, TenantStatus
from tenants.schemas import in_tenant


def signing_keys_maintain_tenant(tenant: Tenant) -> bool:
    """Rotate the tenant's active key once it is older than the rotation period, and retire
    keys that have been retiring long enough. Returns whether it rotated."""
    rotate_before = timezone.now() - timedelta(days=settings.CIAM_SIGNING_KEY_ROTATION_DAYS)
    with in_tenant(tenant):
        rotated = SigningKey.objects.filter(
            status=KeyStatus.ACTIVE, activated_at__lte=rotate_before
        ).exists()
        if rotated:
            signing_key_rotate()
        signing_keys_retire_due()
    return rotated


@shared_task(ignore_result=True)
def signing_keys_maintain() -> int:
    """Celery beat, daily: key rotation and retirement for every ready tenant."""
    rotated = 0
    for tenant in Tenant.objects.filter(status=TenantStatus.READY):
        rotated += signing_keys_maintain_tenant(tenant)
    return rotated


@shared_task(ignore_result=True)
def tokens_clear_expired() -> int:
    """Celery beat, hourly: in every ready tenant, remove the tokens and codes nobody can use
    any more (apps/housekeeping.py says what stays and why). Returns how many rows went."""
    removed = 0
    for tenant in list(Tenant.objects.filter(status=TenantStatus.READY)):
        with in_tenant(tenant):
            cleared = housekeeping.tokens_clear_expired()
        removed += cleared.refresh_tokens + cleared.access_tokens
        removed += cleared.id_tokens + cleared.grants + cleared.client_assertions
    return removed
