"""What protects a tenant's sign-in (schema: the tenant's): the authentication methods a
customer may use as a second factor, and smart lockout with the request limits (issue 12).

Each is one row per tenant, made on first save; a tenant with no row has the defaults below
(`protection.selectors`), which are Entra's published ones. Counters (failed passwords, requests
per second, lockouts) are not here: they are shared security state in the cache every worker
process reads (Redis, or PostgreSQL without it), never per process.

Conditional access policies and the named locations they refer to are rows of the tenant's
schema too, read by `protection.access.access_evaluate` after the first factor.
"""

import uuid
from typing import ClassVar

from django.conf import settings
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


class NamedLocation(models.Model):
    """A named set of IP ranges (Entra: Named locations → IP ranges location), used by
    conditional access policies to include or exclude where a sign-in comes from.

    `ip_ranges` holds CIDR strings, IPv4 and IPv6, normalised by the service that writes them
    (`10.1.0.0/16`, `2001:db8::/32`; a single address as /32 or /128). Countries are not offered:
    no IP-to-country database ships with the product's packages. `trusted`: Entra's "Mark as
    trusted location"; a policy can include or exclude all trusted locations at once.
    """

    location_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=256, unique=True)
    ip_ranges = models.JSONField(_("IP ranges"), default=list)
    trusted = models.BooleanField(_("trusted location"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class PolicyState(models.TextChoices):
    """Entra's "Enable policy": report-only policies are evaluated and logged, not enforced."""

    REPORT_ONLY = "report_only", _("Report-only")
    ON = "on", _("On")
    OFF = "off", _("Off")


class GrantControl(models.TextChoices):
    """What a matching policy asks: the value is what the sign-in log records for it."""

    BLOCK = "block", _("Block access")
    MFA = "mfa", _("Require multifactor authentication")


class LocationScope(models.TextChoices):
    """Which locations a policy includes (Entra: Network → Include)."""

    ANY = "any", _("Any location")
    TRUSTED = "trusted", _("All trusted locations")
    SELECTED = "selected", _("Selected locations")


class ConditionalAccessPolicy(models.Model):
    """A conditional access policy (Entra's shape for external tenants): who (every customer
    but `excluded_customers`), which apps (all, or `client_ids`, less `excluded_client_ids`:
    client IDs, not foreign keys, since protection knows no app registration), on which
    conditions (`risk_levels`, a subset of low/medium/high, empty for any; the locations
    included and excluded) and what it grants (block, or require MFA).

    A policy applies to a sign-in when every part matches (`protection.access.access_evaluate`).
    """

    policy_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=256, unique=True)
    state = models.CharField(
        _("state"), max_length=16, choices=PolicyState.choices, default=PolicyState.REPORT_ONLY
    )
    excluded_customers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("excluded customers")
    )
    all_apps = models.BooleanField(_("all apps"), default=True)
    client_ids = models.JSONField(_("selected apps"), default=list, blank=True)
    excluded_client_ids = models.JSONField(_("excluded apps"), default=list, blank=True)
    risk_levels = models.JSONField(_("sign-in risk levels"), default=list, blank=True)
    locations = models.CharField(
        _("locations"), max_length=16, choices=LocationScope.choices, default=LocationScope.ANY
    )
    included_locations = models.ManyToManyField(
        NamedLocation,
        blank=True,
        related_name="policies_including+",
        verbose_name=_("included locations"),
    )
    exclude_trusted_locations = models.BooleanField(
        _("exclude all trusted locations"), default=False
    )
    excluded_locations = models.ManyToManyField(
        NamedLocation,
        blank=True,
        related_name="policies_excluding+",
        verbose_name=_("excluded locations"),
    )
    grant = models.CharField(_("grant"), max_length=8, choices=GrantControl.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(state__in=PolicyState.values),
                name="protection_policy_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(grant__in=GrantControl.values),
                name="protection_policy_grant_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
