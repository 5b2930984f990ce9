"""One account model for two populations: operators in the public schema, customers in a tenant's.

The schema a row lives in decides who it is; nothing in a row can make a customer an operator.
"""

import uuid
from importlib import import_module
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.postgres.indexes import OpClass
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.attributes import DataType


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # Emails are compared case-insensitively everywhere; store them lower-cased.
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=self.normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An account needs an email address.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    object_id = models.UUIDField(_("object ID"), default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"), max_length=254)
    display_name = models.CharField(_("display name"), max_length=256, blank=True)
    # Entra's built-in user attributes, with its maximum lengths.
    given_name = models.CharField(_("given name"), max_length=64, blank=True)
    surname = models.CharField(_("surname"), max_length=64, blank=True)
    job_title = models.CharField(_("job title"), max_length=128, blank=True)
    street_address = models.CharField(_("street address"), max_length=1024, blank=True)
    city = models.CharField(_("city"), max_length=128, blank=True)
    state = models.CharField(_("state/province"), max_length=128, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=40, blank=True)
    country = models.CharField(_("country/region"), max_length=128, blank=True)
    # Entra's preferredLanguage: the language the customer last used the hosted pages in (a
    # code of settings.LANGUAGES); their pages and emails speak it unless the app asks otherwise.
    preferred_language = models.CharField(_("preferred language"), max_length=16, blank=True)
    # Values of the tenant's custom attributes by attribute name, validated against their
    # definitions by the service that writes them; several values as one comma-separated string.
    custom_attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(_("sign-in allowed"), default=True)
    must_change_password = models.BooleanField(default=False)
    # False between a self-service sign-up's email verification and its last step (password
    # and the flow's attributes); such an account gets no tokens.
    profile_completed = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # Prefix search (LIKE 'abc%') on lower-cased values, and keyset pagination.
            models.Index(
                OpClass(Lower("email"), name="text_pattern_ops"), name="accounts_user_email_prefix"
            ),
            models.Index(
                OpClass(Lower("display_name"), name="text_pattern_ops"),
                name="accounts_user_name_prefix",
            ),
            models.Index(fields=["created_at", "id"], name="accounts_user_created_keyset"),
            # The admin center's "deleted" and "blocked" filters, and the hourly purge.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(deleted_at__isnull=False),
                name="accounts_user_deleted_keyset",
            ),
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(is_active=False),
                name="accounts_user_blocked_keyset",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize_email(self.email)


class CustomAttribute(models.Model):
    """A custom user attribute of the tenant (at most 100), collected by user flows and emitted
    as `extension_<extensions app ID>_<name>`."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    data_type = models.CharField(_("data type"), max_length=10, choices=DataType.choices)
    description = models.CharField(_("description"), max_length=256, blank=True)
    user_editable = models.BooleanField(
        _("customers may edit it"),
        default=True,
        help_text=_("Whether a customer may change it through the profile API."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class Directory(models.Model):
    """Per-tenant directory facts (one row): the extensions app whose ID names custom claims."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    extensions_app_id = models.UUIDField(default=uuid.uuid4, editable=False)

    def __str__(self) -> str:
        return "Directory"


class Session(AbstractBaseSession):
    """A browser's session in this schema (operators' in the public one, customers' in their
    tenant's), with the account it is signed in as: ending an account's sessions is one indexed
    DELETE, and deleting an account ends them. Written by the SESSION_ENGINE's store
    (`accounts.session_store`)."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        # The store is the one the settings name, as Django's SessionMiddleware finds it: the
        # store reads and writes this model, so the model names it only through the setting.
        store: type[SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
        return store


class CustomerGroup(models.Model):
    """A group of the tenant's customers (Entra's security group): app roles are assigned to it
    (apps.AppRoleAssignment) and its members' tokens may name it in `groups`."""

    object_id = models.UUIDField(_("object ID"), default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(_("display name"), max_length=256)
    description = models.CharField(_("description"), max_length=1024, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(Lower("display_name"), name="accounts_group_name_ci_unique"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # Prefix search (LIKE 'abc%') on the lower-cased name; the unique index's default
            # operator class cannot answer LIKE outside the C collation.
            models.Index(
                OpClass(Lower("display_name"), name="text_pattern_ops"),
                name="accounts_group_name_prefix",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class CustomerGroupMembership(models.Model):
    """One customer in one group. Read both ways: a group's members (paged by the unique
    (group, user) index) and a customer's groups at every token issuance (user, group)."""

    group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="group_memberships")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["group", "user"], name="accounts_group_member_once"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "group"], name="accounts_member_groups"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id}"
