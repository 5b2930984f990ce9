"""Customer tenants, the operators' roles on them, and the audit log (all in the public schema)."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_tenants.models import DomainMixin, TenantMixin

DOMAIN_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$"
domain_name_validator = RegexValidator(
    DOMAIN_NAME_PATTERN,
    _(
        "Use 3 to 63 lower-case letters (a-z), digits and hyphens, "
        "starting and ending with a letter or digit."
    ),
    code="invalid_domain_name",
)


class TenantStatus(models.TextChoices):
    PROVISIONING = "provisioning", _("Provisioning")
    READY = "ready", _("Ready")
    SUSPENDED = "suspended", _("Suspended")


class Tenant(TenantMixin):
    """A customer tenant: its own schema, its own issuer, its own customers."""

    tenant_id = models.UUIDField(_("tenant ID"), default=uuid.uuid4, unique=True, editable=False)
    domain_name = models.CharField(
        _("domain name"), max_length=63, unique=True, validators=[domain_name_validator]
    )
    display_name = models.CharField(_("tenant name"), max_length=256)
    # The hosted pages' language when neither the app (`ui_locales`), the customer's stored
    # preference nor the browser asks for one the product speaks (a code of settings.LANGUAGES).
    default_language = models.CharField(_("default language"), max_length=16, default="en")
    country = CountryField(_("country/region"))
    status = models.CharField(
        max_length=16, choices=TenantStatus.choices, default=TenantStatus.PROVISIONING
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    suspended_at = models.DateTimeField(null=True, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True)

    # Schemas are created by `tenant_create`, inside its transaction, and dropped only by the
    # audited purge.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering: ClassVar[list[str]] = ["display_name", "domain_name"]
        indexes: ClassVar[list[models.Index]] = [
            # The admin center's tenant list (issue 16: 10,000 tenants), newest first and
            # keyset-paged (tenants/keyset.py), and its search by the prefix of the domain name
            # (always lower-case) or of the display name, ignoring case (LIKE 'abc%' needs the
            # pattern operator class outside the C collation).
            models.Index(fields=["created_at", "id"], name="tenant_created_keyset"),
            models.Index(
                OpClass(F("domain_name"), name="varchar_pattern_ops"), name="tenant_domain_prefix"
            ),
            models.Index(
                OpClass(Lower("display_name"), name="text_pattern_ops"), name="tenant_name_prefix"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.domain_name})"

    @property
    def is_usable(self) -> bool:
        return self.status == TenantStatus.READY

    @staticmethod
    def schema_name_for(tenant_id: uuid.UUID) -> str:
        # Never the user-visible domain name: a schema name must not change when it does.
        return f"t_{tenant_id.hex}"


class Domain(DomainMixin):
    """Required by django-tenants; tenants are addressed by path, so no rows are made yet."""


class AdminRole(models.TextChoices):
    GLOBAL_ADMINISTRATOR = "global_administrator", _("Global Administrator")
    APPLICATION_ADMINISTRATOR = "application_administrator", _("Application Administrator")
    USER_ADMINISTRATOR = "user_administrator", _("User Administrator")
    USER_FLOW_ADMINISTRATOR = "user_flow_administrator", _("External ID User Flow Administrator")
    BRANDING_ADMINISTRATOR = "branding_administrator", _("Organizational Branding Administrator")
    REPORTS_READER = "reports_reader", _("Reports Reader")
    IDENTITY_PROVIDER_ADMINISTRATOR = (
        "external_identity_provider_administrator",
        _("External Identity Provider Administrator"),
    )
    AUTHENTICATION_POLICY_ADMINISTRATOR = (
        "authentication_policy_administrator",
        _("Authentication Policy Administrator"),
    )
    CONDITIONAL_ACCESS_ADMINISTRATOR = (
        "conditional_access_administrator",
        _("Conditional Access Administrator"),
    )


class RoleAssignment(models.Model):
    """One role of one operator on one tenant."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="role_assignments")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=40, choices=AdminRole.choices)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["tenant", "operator", "role"], name="tenants_role_assignment_unique"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # An operator's tenants (the admin center's list and switcher): the unique
            # constraint starts from the tenant, so it cannot answer "which tenants of theirs".
            models.Index(fields=["operator", "tenant"], name="role_operator_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.operator} {self.role} on {self.tenant_id}"


class PlatformAdministrator(models.Model):
    """An operator who runs the platform: the admin center lists every tenant to them.

    Not a role on any tenant: what they may do in a tenant is still decided by their role
    assignments there (`admin_center.access`), so seeing a tenant never opens it. Granted and
    removed with `manage.py ciam_platform_admin`.
    """

    operator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform_administrator"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.operator} (platform administrator)"


class AuditAction(models.TextChoices):
    TENANT_CREATED = "tenant.created", _("Tenant created")
    TENANT_DELETED = "tenant.deleted", _("Tenant deleted (suspended)")
    TENANT_PURGED = "tenant.purged", _("Tenant purged")
    TENANT_LANGUAGE_CHANGED = "tenant.language_changed", _("Tenant's default language changed")
    ADMIN_ADDED = "admin.added", _("Admin account added")
    ROLE_GRANTED = "role.granted", _("Role granted")
    ROLE_REMOVED = "role.removed", _("Role removed")
    APP_REGISTERED = "app.registered", _("App registered")
    APP_UPDATED = "app.updated", _("App updated")
    APP_AUTHENTICATION_UPDATED = "app.authentication_updated", _("App authentication updated")
    APP_CLAIMS_UPDATED = "app.claims_updated", _("App attributes & claims updated")
    APP_ID_URI_SET = "app.id_uri_set", _("Application ID URI set")
    API_SCOPE_ADDED = "api_scope.added", _("API scope added")
    APP_ROLE_ADDED = "app_role.added", _("App role added")
    PERMISSION_ADDED = "permission.added", _("API permission added")
    PERMISSION_REMOVED = "permission.removed", _("API permission removed")
    APP_DELETED = "app.deleted", _("App deleted")
    SECRET_ADDED = "secret.added", _("Client secret added")
    SECRET_REMOVED = "secret.removed", _("Client secret removed")
    CERTIFICATE_ADDED = "certificate.added", _("Certificate added")
    CERTIFICATE_REMOVED = "certificate.removed", _("Certificate removed")
    CONSENT_GRANTED = "consent.granted", _("Admin consent granted")
    CONSENT_REVOKED = "consent.revoked", _("Admin consent revoked")
    SIGNING_KEY_ROTATED = "signing_key.rotated", _("Signing key rotated")
    TOKEN_LIFETIMES_UPDATED = "token_lifetimes.updated", _("Token lifetimes updated")
    CUSTOMER_CREATED = "customer.created", _("Customer created")
    CUSTOMER_UPDATED = "customer.updated", _("Customer profile updated")
    CUSTOMER_BLOCKED = "customer.blocked", _("Customer sign-in blocked")
    CUSTOMER_UNBLOCKED = "customer.unblocked", _("Customer sign-in allowed")
    CUSTOMER_PASSWORD_RESET = "customer.password_reset", _("Customer password reset")
    CUSTOMER_SESSIONS_REVOKED = "customer.sessions_revoked", _("Customer sessions revoked")
    CUSTOMER_DELETED = "customer.deleted", _("Customer deleted")
    CUSTOMER_RESTORED = "customer.restored", _("Customer restored")
    CUSTOMER_IDENTITY_REMOVED = "customer.identity_removed", _("Customer's linked identity removed")
    CUSTOMERS_PURGED = "customers.purged", _("Deleted customers purged")
    CUSTOMERS_IMPORT_STARTED = "customers.import_started", _("Customer import started")
    CUSTOMERS_IMPORT_CANCELLED = "customers.import_cancelled", _("Customer import cancelled")
    CUSTOMERS_EXPORTED = "customers.exported", _("Customers exported")
    USERFLOW_CREATED = "userflow.created", _("User flow created")
    USERFLOW_UPDATED = "userflow.updated", _("User flow properties updated")
    USERFLOW_DELETED = "userflow.deleted", _("User flow deleted")
    USERFLOW_ATTRIBUTE_ADDED = "userflow.attribute_added", _("User flow attribute added")
    USERFLOW_ATTRIBUTE_UPDATED = "userflow.attribute_updated", _("User flow attribute updated")
    USERFLOW_ATTRIBUTE_REMOVED = "userflow.attribute_removed", _("User flow attribute removed")
    USERFLOW_LAYOUT_CHANGED = "userflow.layout_changed", _("User flow page layout reordered")
    USERFLOW_APPS_ASSIGNED = "userflow.apps_assigned", _("User flow applications changed")
    USERFLOW_IDENTITY_PROVIDERS_CHANGED = (
        "userflow.providers_changed",
        _("User flow identity providers changed"),
    )
    CUSTOM_ATTRIBUTE_CREATED = "custom_attribute.created", _("Custom attribute created")
    CUSTOM_ATTRIBUTE_UPDATED = "custom_attribute.updated", _("Custom attribute updated")
    BRANDING_UPDATED = "branding.updated", _("Company branding updated")
    BRANDING_REMOVED = "branding.removed", _("Company branding layer removed")
    LANGUAGE_OVERRIDES_UPLOADED = "language_overrides.uploaded", _("Language overrides uploaded")
    LANGUAGE_OVERRIDES_REMOVED = "language_overrides.removed", _("Language overrides removed")
    IDENTITY_PROVIDER_ADDED = "identity_provider.added", _("Identity provider added")
    IDENTITY_PROVIDER_UPDATED = "identity_provider.updated", _("Identity provider updated")
    IDENTITY_PROVIDER_REMOVED = "identity_provider.removed", _("Identity provider removed")
    AUTHENTICATION_METHODS_UPDATED = (
        "authentication_methods.updated",
        _("Authentication methods policy updated"),
    )
    SIGN_IN_PROTECTION_UPDATED = "sign_in_protection.updated", _("Smart lockout settings updated")
    CUSTOMER_LOCKOUT_CLEARED = "customer.lockout_cleared", _("Customer lockout cleared")
    CUSTOMER_MFA_RESET = "customer.mfa_reset", _("Customer MFA methods reset")
    CONDITIONAL_ACCESS_POLICY_ADDED = "ca_policy.added", _("Conditional access policy added")
    CONDITIONAL_ACCESS_POLICY_UPDATED = "ca_policy.updated", _("Conditional access policy updated")
    CONDITIONAL_ACCESS_POLICY_REMOVED = "ca_policy.removed", _("Conditional access policy removed")
    NAMED_LOCATION_ADDED = "named_location.added", _("Named location added")
    NAMED_LOCATION_UPDATED = "named_location.updated", _("Named location updated")
    NAMED_LOCATION_REMOVED = "named_location.removed", _("Named location removed")
    SIGN_IN_LOG_DOWNLOADED = "sign_in_log.downloaded", _("Sign-in log downloaded")
    AUDIT_LOG_DOWNLOADED = "audit_log.downloaded", _("Audit log downloaded")
    LOG_SETTINGS_UPDATED = "log_settings.updated", _("Sign-in log retention updated")
    EXTENSION_ADDED = "extension.added", _("Custom authentication extension added")
    EXTENSION_UPDATED = "extension.updated", _("Custom authentication extension updated")
    EXTENSION_REMOVED = "extension.removed", _("Custom authentication extension removed")
    EXTENSION_LISTENER_SET = "extension.listener_set", _("Custom extension listener set")
    EXTENSION_LISTENER_REMOVED = (
        "extension.listener_removed",
        _("Custom extension listener removed"),
    )
    EXTENSION_TESTED = "extension.tested", _("Custom extension test event sent")
    CONFIGURATION_APPLIED = "configuration.applied", _("Tenant configuration applied")
    GROUP_CREATED = "group.created", _("Group created")
    GROUP_UPDATED = "group.updated", _("Group updated")
    GROUP_DELETED = "group.deleted", _("Group deleted")
    GROUP_MEMBER_ADDED = "group.member_added", _("Group member added")
    GROUP_MEMBER_REMOVED = "group.member_removed", _("Group member removed")
    APP_ROLE_UPDATED = "app_role.updated", _("App role updated")
    APP_ROLE_ASSIGNED = "app_role.assigned", _("App role assigned")
    APP_ROLE_UNASSIGNED = "app_role.unassigned", _("App role assignment removed")


class AuditEntry(models.Model):
    """Who did what to which tenant, and when. Entries outlive the tenant they describe."""

    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    tenant_uuid = models.UUIDField()
    tenant_domain_name = models.CharField(max_length=63)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    target = models.CharField(max_length=254, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-occurred_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes: ClassVar[list[models.Index]] = [
            # The tenant's log, newest first, keyset-paged (tenants/keyset.py).
            # Every read starts from the tenant (tenants/selectors.py audit_entries): its log,
            # newest first, keyset-paged (tenants/keyset.py), and the same under the two filters
            # that can be rare (an activity, an actor), so neither walks the whole log.
            models.Index(fields=["tenant_uuid", "-occurred_at", "-id"], name="audit_tenant_time"),
            models.Index(
                fields=["tenant_uuid", "action", "-occurred_at", "-id"], name="audit_tenant_action"
            ),
            models.Index(
                "tenant_uuid",
                Upper("actor_email"),
                F("occurred_at").desc(),
                F("id").desc(),
                name="audit_tenant_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.target}"


class CacheEntry(models.Model):
    """One entry of the cache every web process shares when no Redis is configured
    (tenants/cache.py): allauth's rate limits, the failed-sign-in counters and the like.

    In the public schema only; each key carries the schema it belongs to (the cache's key
    function), as in Redis. An entry without `expires_at` never expires.
    """

    key = models.TextField(primary_key=True)
    value = models.BinaryField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ciam_cache"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["expires_at"], name="ciam_cache_expires"),  # the purge
        ]

    def __str__(self) -> str:
        return self.key


class SchemaTemplate(models.Model):
    """The SQL that makes a tenant's schema as a copy of the migrated base schema, taken by
    pg_dump at the base schema's migration state `state` (tenants/schema_template.py)."""

    base_schema = models.CharField(max_length=63, unique=True)
    state = models.CharField(max_length=64)
    sql = models.TextField()
    taken_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.base_schema} at {self.state[:12]}"


class SchemaMigrationState(models.Model):
    """The migration state a tenant's schema last reached under `ciam_migrate`.

    `state` names the migration graph's leaf nodes by hash (tenants/schema_migrations.py); it
    is written in the same transaction as the schema's migrations, so it never claims a state
    the schema does not have. A rerun skips every schema whose `state` is the current graph's
    without opening it: a deploy killed halfway resumes where it stopped. A failed plan keeps
    the state the schema still has and records why it failed.
    """

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="migration_state"
    )
    state = models.CharField(max_length=64, blank=True)
    migrated_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.tenant_id} at {self.state[:12] or '-'}"


class OutboxMessage(models.Model):
    """Work a transaction promised to hand to Celery: written in that transaction, published
    after it commits, republished by the relay until a worker has done it (tenants/outbox.py).

    Its ID is the message's: the task receives only that ID, claims the row and marks it
    delivered, so a message published twice is done once. The payload (an email carrying a
    one-time code) is encrypted at rest (tenants/secrets.py) and wiped once delivered. In the
    public schema, so that the relay finds every tenant's messages in one scan.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The schema the task runs in: the tenant's, or the public schema's when None.
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A dotted Celery task name, so that the kernel imports nothing of the floors above it.
    task_name = models.CharField(max_length=200)
    payload = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            # The relay's scan and the backlog count: only the pending rows, oldest first.
            models.Index(
                fields=["created_at"],
                name="outbox_pending",
                condition=models.Q(delivered_at__isnull=True),
            ),
            # The purge of delivered rows.
            models.Index(
                fields=["delivered_at"],
                name="outbox_delivered",
                condition=models.Q(delivered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.id}"


class SettingsChange(models.Model):
    """One write to a tenant's settings (an app, a secret, a flow, a signing key, its branding…),
    recorded in the transaction that made it: the change feed every process reads to forget what
    it remembers of that tenant (tenants/changes.py). `schema_name` is the tenant's schema, or
    `changes.TENANT_ROWS` for a write to the tenant table itself. Rows older than an hour are
    deleted by the readers."""

    id = models.BigAutoField(primary_key=True)
    schema_name = models.CharField(max_length=63)
    changed_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["changed_at"], name="settings_change_at"),
        ]

    def __str__(self) -> str:
        return f"{self.schema_name} at {self.changed_at:%Y-%m-%d %H:%M:%S}"
