"""Changing a tenant's sign-in protection (call in the tenant's schema)."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from protection.models import SignInProtection
from protection.selectors import sign_in_protection, sign_in_protection_forget


def sign_in_protection_update(
    *,
    lockout_threshold: int,
    lockout_seconds: int,
    requests_per_second_per_address: int,
    requests_per_second_per_tenant: int,
    breached_passwords_refused: bool,
) -> SignInProtection:
    """Save the tenant's smart lockout, request limits and breached-password refusal (its row
    is made on first save). Raises ValidationError, by field, for a value out of its range or
    a per-address limit above the tenant's (no address can send more than the whole tenant).
    Nothing is saved unless every value is valid. Failure counts under way start over when the
    threshold changes (protection/lockout.py); lockouts in force keep their end.
    """
    values = {
        "lockout_threshold": lockout_threshold,
        "lockout_seconds": lockout_seconds,
        "requests_per_second_per_address": requests_per_second_per_address,
        "requests_per_second_per_tenant": requests_per_second_per_tenant,
        "breached_passwords_refused": breached_passwords_refused,
        "updated_at": timezone.now(),
    }
    protection = sign_in_protection()
    for name, value in values.items():
        setattr(protection, name, value)
    protection.full_clean(validate_unique=False)
    if requests_per_second_per_address > requests_per_second_per_tenant:
        raise ValidationError(
            {
                "requests_per_second_per_address": _(
                    "The limit per IP address cannot be above the tenant's limit."
                )
            }
        )
    # One row per tenant, whichever of two first saves at once comes second.
    saved, _created = SignInProtection.objects.update_or_create(singleton=True, defaults=values)
    sign_in_protection_forget()  # this process applies it at once; the others within seconds
    return saved
