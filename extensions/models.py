"""Custom authentication extensions (schema: the tenant's; issue 14): a company's own REST
endpoint the platform calls at named moments of the journey, with Entra's request and response
JSON (docs/extensions.md), so code written for Entra runs unchanged.

- `CustomAuthenticationExtension`: the endpoint (its URL, timeout, retries), the event it
  serves, and the app registration that identifies its API: each call carries a bearer token
  the tenant issues for that API (`aud` = the API's app ID, extensions/tokens.py);
- `ExtensionListener`: where the extension is called (an app for OnTokenIssuanceStart, a user
  flow for the attribute collection events, the whole tenant for OnOtpSend) and what a failure
  does (fail the sign-in, or continue without the extension's result);
- `ExtensionCall`: the last calls of each extension, as sent (secrets and one-time codes
  redacted) and as answered, for the replay console.

Entra's limits: 100 extensions and 249 listeners per tenant.
"""

import uuid
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_EXTENSIONS = 100
MAX_LISTENERS = 249
# Entra's default and maximum.
MAX_TIMEOUT_MS = 2000
MIN_TIMEOUT_MS = 200
# The replay console keeps this many calls per extension.
CALLS_KEPT = 100


class ExtensionEvent(models.TextChoices):
    """The events, by the name Entra's `type` ends with (`…authenticationEvent.<name>`)."""

    TOKEN_ISSUANCE_START = "tokenIssuanceStart", _("OnTokenIssuanceStart")
    ATTRIBUTE_COLLECTION_START = "attributeCollectionStart", _("OnAttributeCollectionStart")
    ATTRIBUTE_COLLECTION_SUBMIT = "attributeCollectionSubmit", _("OnAttributeCollectionSubmit")
    OTP_SEND = "emailOtpSend", _("OnOtpSend")


class FailurePolicy(models.TextChoices):
    FAIL = "fail", _("Fail the sign-in with an error page")
    CONTINUE = "continue", _("Continue without the extension's result")


# Entra's defaults: a token goes out without custom claims; a code that could not be sent, or
# attributes that could not be checked, stop the sign-up.
DEFAULT_FAILURE_POLICY: dict[str, str] = {
    ExtensionEvent.TOKEN_ISSUANCE_START: FailurePolicy.CONTINUE,
    ExtensionEvent.ATTRIBUTE_COLLECTION_START: FailurePolicy.CONTINUE,
    ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT: FailurePolicy.FAIL,
    ExtensionEvent.OTP_SEND: FailurePolicy.FAIL,
}


class CustomAuthenticationExtension(models.Model):
    extension_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=256, blank=True)
    event = models.CharField(_("event type"), max_length=32, choices=ExtensionEvent.choices)
    target_url = models.URLField(_("target URL"), max_length=2048)
    timeout_ms = models.PositiveIntegerField(
        _("timeout (milliseconds)"),
        default=MAX_TIMEOUT_MS,
        validators=[MinValueValidator(MIN_TIMEOUT_MS), MaxValueValidator(MAX_TIMEOUT_MS)],
    )
    max_retries = models.PositiveSmallIntegerField(
        _("retries"), default=1, validators=[MaxValueValidator(1)]
    )
    # The app registration that identifies the extension's API: the calls' bearer token is
    # issued for it (`aud` = its application ID).
    api_app = models.ForeignKey(
        "apps.AppRegistration",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("API app registration"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class ExtensionListener(models.Model):
    """Where an extension is called. OnTokenIssuanceStart: on an app; the attribute collection
    events: on a user flow; OnOtpSend: for the whole tenant (neither app nor flow). At most one
    listener per event and place."""

    listener_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    extension = models.ForeignKey(
        CustomAuthenticationExtension, on_delete=models.CASCADE, related_name="listeners"
    )
    event = models.CharField(max_length=32, choices=ExtensionEvent.choices)
    app = models.ForeignKey(
        "apps.AppRegistration",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user_flow = models.ForeignKey(
        "userflows.UserFlow",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    failure_policy = models.CharField(
        _("when the extension fails"), max_length=10, choices=FailurePolicy.choices
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["event", "app"],
                condition=models.Q(app__isnull=False),
                name="extensions_listener_app_once",
            ),
            models.UniqueConstraint(
                fields=["event", "user_flow"],
                condition=models.Q(user_flow__isnull=False),
                name="extensions_listener_flow_once",
            ),
            models.UniqueConstraint(
                fields=["event"],
                condition=models.Q(app__isnull=True, user_flow__isnull=True),
                name="extensions_listener_tenant_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.extension}"


class CallOutcome(models.TextChoices):
    OK = "ok", _("Answered")
    TIMEOUT = "timeout", _("Timed out")
    UNREACHABLE = "unreachable", _("Could not connect")
    ERROR_STATUS = "error_status", _("Error status")
    TOO_LARGE = "too_large", _("Answer too large")
    MALFORMED = "malformed", _("Not JSON")
    INVALID = "invalid", _("Does not match the event's schema")
    BUSY = "busy", _("Not called: too many of the tenant's calls waiting")


class ExtensionCall(models.Model):
    """One call (with its retry, if any) to an extension, for the replay console."""

    extension = models.ForeignKey(
        CustomAuthenticationExtension, on_delete=models.CASCADE, related_name="calls"
    )
    listener = models.ForeignKey(
        ExtensionListener, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    correlation_id = models.CharField(max_length=64, blank=True)
    # What started it: a sign-in, "test" (the console's sample event) or "replay".
    origin = models.CharField(max_length=10, default="sign_in")
    request_body = models.JSONField()  # as sent, one-time codes and secrets redacted
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # the first 64 KB, as received
    latency_ms = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(max_length=16, choices=CallOutcome.choices)
    error = models.CharField(max_length=512, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-occurred_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["extension", "-occurred_at", "-id"], name="extension_calls"),
        ]

    def __str__(self) -> str:
        return f"{self.extension} {self.occurred_at:%Y-%m-%d %H:%M:%S} {self.outcome}"
