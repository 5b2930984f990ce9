"""What the tenant's sign-ins were (schema: the tenant's), for its sign-in log (issue 13).

One row per sign-in attempt, as Entra's sign-in log has one: interactive (a credential asked
on the hosted pages), single sign-on (a signed-in session going on to another app), and the
app's own redemptions at the token endpoint (an authorization code, a refresh token). Rows are
written once, never updated, and purged after the tenant's retention (`LogSettings`).

The app's name, the customer's email and the identity provider are copied into the row as
they were at the time, as Entra keeps them: the log reads alone, and says what happened even
after the app or the customer is gone. The user agent is kept as sent; its browser and
operating system are read from it when shown (`monitoring.agents`), not at each sign-in.
"""

from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SignInKind(models.TextChoices):
    INTERACTIVE = "interactive", _("Interactive")
    SINGLE_SIGN_ON = "single_sign_on", _("Single sign-on")
    CODE_REDEMPTION = "code_redemption", _("Authorization code redeemed")
    REFRESH = "refresh", _("Refresh token redeemed")


class SignInStatus(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")


class ConditionalAccessStatus(models.TextChoices):
    """Entra's: no policy applied, policies applied and satisfied, or one failed (blocked, or
    a second factor it required not had)."""

    NOT_APPLIED = "not_applied", _("Not applied")
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")


class SignInEvent(models.Model):
    occurred_at = models.DateTimeField(default=timezone.now)
    correlation_id = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=20, choices=SignInKind.choices)
    status = models.CharField(max_length=10, choices=SignInStatus.choices)
    error_code = models.IntegerField(default=0)
    reason = models.CharField(max_length=40)
    customer_object_id = models.UUIDField(null=True, blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    client_id = models.CharField(max_length=255, blank=True)
    app_name = models.CharField(max_length=256, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    location = models.CharField(max_length=256, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    methods = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    mfa_detail = models.CharField(max_length=64, blank=True)
    identity_provider = models.CharField(max_length=255, blank=True)
    conditional_access = models.CharField(
        max_length=12,
        choices=ConditionalAccessStatus.choices,
        default=ConditionalAccessStatus.NOT_APPLIED,
    )
    # [{"name": ..., "grant": "block" | "mfa", "result": "applied" | "report_only"}]
    policies = models.JSONField(default=list, blank=True)
    risk_level = models.CharField(max_length=8, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-occurred_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # Keyset paging, newest first, alone and under each selective filter.
            models.Index(fields=["-occurred_at", "-id"], name="signin_time"),
            models.Index(
                fields=["customer_object_id", "-occurred_at", "-id"], name="signin_customer"
            ),
            models.Index(fields=["client_id", "-occurred_at", "-id"], name="signin_app"),
            models.Index(fields=["ip_address", "-occurred_at", "-id"], name="signin_address"),
            models.Index(fields=["reason", "-occurred_at", "-id"], name="signin_reason"),
            # The customer filter given an email: iexact, i.e. UPPER(customer_email) = UPPER(%s).
            models.Index(
                Upper("customer_email"),
                F("occurred_at").desc(),
                F("id").desc(),
                name="signin_customer_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.customer_email} {self.reason}"


class LogSettings(models.Model):
    """How long the tenant keeps its sign-in log (Entra keeps 30 days)."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    retention_days = models.PositiveIntegerField(
        _("keep sign-ins for (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "Sign-in log settings"


class UsageMetric(models.TextChoices):
    """What a `UsageCount` counts (its `key` says of what, its `label` names the key)."""

    SIGN_INS = "sign_ins", _("Sign-ins")  # key: success | failure
    APP = "app", _("Sign-ins by app")  # key: the client ID, label: the app's name
    METHOD = "method", _("Sign-ins by method")  # key: an `amr` value
    MFA = "mfa", _("Second factor")  # key: used | failed
    ACTIVE_DAY = "active_day", _("Daily active customers")  # key: ""
    ACTIVE_MONTH = "active_month", _("Monthly active customers")  # key: "", day: the 1st
    SIGN_UP_STARTED = "sign_up_started", _("Sign-ups started")  # key: the flow, label: its name
    SIGN_UP_VERIFIED = "sign_up_verified", _("Sign-ups with the email verified")
    SIGN_UP_COMPLETED = "sign_up_completed", _("Sign-ups completed")


class UsageCount(models.Model):
    """A day's count of one metric for one key, the usage insights' one table of figures: the
    rollup adds the sign-in log's events to it (monitoring/rollups.py), the journey each step of
    a sign-up. Only ever incremented, by `INSERT … ON CONFLICT DO UPDATE`, so a count survives
    the log's retention and no page reads the log to draw a chart."""

    day = models.DateField()
    metric = models.CharField(max_length=20, choices=UsageMetric.choices)
    key = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=256, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["day", "metric", "key"], name="usage_count_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key}: {self.count}"


class ActiveCustomerDay(models.Model):
    """A customer signed in successfully on that day (UTC): each (day, customer) once, so the
    rollup counts a customer once a day however often they sign in. Kept only as long as events
    of that day may still arrive (`active_customers_prune`); the counts live in UsageCount."""

    day = models.DateField()
    customer = models.UUIDField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["day", "customer"], name="active_customer_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.customer}"


class ActiveCustomerMonth(models.Model):
    """As ActiveCustomerDay, for a calendar month (`month`: its first day)."""

    month = models.DateField()
    customer = models.UUIDField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["month", "customer"], name="active_customer_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.customer}"


class UsageRollup(models.Model):
    """How far the rollup has read the sign-in log: every event up to `last_event_id` is in
    the counts, none after it. One row; a rollup holds it locked (`FOR UPDATE`) while it adds a
    batch, so two workers never add the same events."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    last_event_id = models.BigIntegerField(default=0)
    rolled_up_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Usage rolled up to sign-in event {self.last_event_id}"
