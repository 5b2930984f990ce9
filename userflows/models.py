"""Sign-up and sign-in user flows of a tenant (at most ten) and the attributes they collect."""

import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.attributes import InputType, input_types_for
from accounts.models import CustomAttribute

MAX_USER_FLOWS = 10


class SignInMethod(models.TextChoices):
    EMAIL_PASSWORD = "email_password", _("Email with password")
    EMAIL_OTP = "email_otp", _("Email one-time passcode")


class UserFlow(models.Model):
    flow_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=128, unique=True)
    sign_in_method = models.CharField(
        _("sign-in method"),
        max_length=20,
        choices=SignInMethod.choices,
        default=SignInMethod.EMAIL_PASSWORD,
    )
    sign_up_allowed = models.BooleanField(_("customers may sign up"), default=True)
    # Entra's Identity providers section beyond email: the tenant's providers this flow offers
    # on its sign-in page (referenced by name: user flows import no federation code).
    identity_providers = models.ManyToManyField(
        "federation.IdentityProvider", blank=True, related_name="user_flows"
    )
    # Whether the apps of this flow may send their signed-in customers to the self-service
    # page of their linked identities (`/<tenant>/account/identities/?client_id=…`).
    identities_self_service = models.BooleanField(
        _("customers may see and remove their linked identities"), default=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class UserFlowAttribute(models.Model):
    """One attribute a flow collects at sign-up, with its place and look on the page."""

    flow = models.ForeignKey(UserFlow, on_delete=models.CASCADE, related_name="attributes")
    builtin = models.CharField(max_length=32, blank=True)
    custom_attribute = models.ForeignKey(
        CustomAttribute, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    label = models.CharField(_("label"), max_length=256, blank=True)
    required = models.BooleanField(_("required"), default=False)
    input_type = models.CharField(_("input type"), max_length=32, default=InputType.TEXT_BOX)
    # [{"text": "…", "value": "…"}] for RadioSingleSelect and CheckboxMultiSelect.
    options = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=(
                    models.Q(~models.Q(builtin=""), custom_attribute=None)
                    | models.Q(builtin="", custom_attribute__isnull=False)
                ),
                name="userflows_attribute_one_kind",
            ),
            models.UniqueConstraint(
                fields=["flow", "builtin"],
                condition=~models.Q(builtin=""),
                name="userflows_builtin_once",
            ),
            models.UniqueConstraint(
                fields=["flow", "custom_attribute"], name="userflows_custom_once"
            ),
        ]

    def __str__(self) -> str:
        return self.builtin or str(self.custom_attribute)

    @property
    def input_types(self) -> tuple[InputType, ...]:
        """The input types the page may ask for this attribute with, the default first (the
        table of attribute types in `accounts.attributes`)."""
        return input_types_for(self.custom_attribute.data_type if self.custom_attribute else None)


class FlowLock(models.Model):
    """One row per tenant, locked while flows are created, so the limit of ten holds under
    concurrent creation."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)

    def __str__(self) -> str:
        return "user flow lock"
