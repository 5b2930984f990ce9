"""What protects a tenant's sign-in (schema: the tenant's): the authentication methods a
customer may use as a second factor, and smart lockout with the request limits (issue 12).

Each is one row per tenant, made on first save; a tenant with no row has the defaults below
(`protection.selectors`), which are Entra's published ones. Counters (failed passwords, requests
per second, lockouts) are not here: they are shared security state in the cache every worker
process reads (Redis, or PostgreSQL without it), never per process.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuthenticationMethodsPolicy(models.Model):
    """Which second factors the tenant offers (Entra: Authentication methods). Email one-time
    passcode cannot be the second factor of a flow whose first factor is the emailed code."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    email_otp_enabled = models.BooleanField(_("email one-time passcode"), default=True)
    totp_enabled = models.BooleanField(_("authenticator app (TOTP)"), default=False)
    passkeys_enabled = models.BooleanField(_("passkeys (WebAuthn)"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "Authentication methods policy"


class SignInProtection(models.Model):
    """Smart lockout and the request limits (Entra: 10 failed passwords lock for 60 s, longer
    at each repeat; 20 requests a second per address, 200 per tenant, on the authentication
    endpoints), and the breached-password check at sign-up and reset."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    lockout_threshold = models.PositiveIntegerField(
        _("lockout threshold"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Failed passwords before an account is locked, per kind of source."),
    )
    lockout_seconds = models.PositiveIntegerField(
        _("lockout duration in seconds"),
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(86400)],
        help_text=_("The first lockout's length; each repeat doubles it."),
    )
    requests_per_second_per_address = models.PositiveIntegerField(
        _("requests per second per IP address"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(10000)],
    )
    requests_per_second_per_tenant = models.PositiveIntegerField(
        _("requests per second for the tenant"),
        default=200,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
    )
    breached_passwords_refused = models.BooleanField(
        _("refuse known breached passwords"), default=True
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "Sign-in protection"
