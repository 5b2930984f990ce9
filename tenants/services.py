"""Writes about tenants, their admins and the audit log.

Every service validates, writes in one transaction and records what it did in the audit log.
"""

import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tenants.models import (
    AdminRole,
    AuditAction,
    AuditEntry,
    RoleAssignment,
    Tenant,
    TenantStatus,
    domain_name_validator,
)
from tenants.schemas import in_tenant, use_public_schema
from tenants.selectors import tenant_cache_forget
from tenants.signals import tenant_provisioned

# Serialises tenant creation: django-tenants (re)creates its clone function on every clone, and
# two transactions replacing one function at once fail with "tuple concurrently updated".
_TENANT_CREATION_LOCK = 0x7E4A_0001


class TenantDomainNameTaken(Exception):
    """Another tenant has this domain name (possibly created a moment ago)."""


class LastGlobalAdministrator(Exception):
    """The change would leave the tenant without a Global Administrator."""


def domain_name_check(domain_name: str) -> None:
    """Raise ValidationError with a clear message when a domain name cannot be a tenant's.

    Lower-case ASCII letters, digits and hyphens, 3 to 63 characters, not starting or ending with
    a hyphen, not a reserved word and not shaped like a tenant ID (which would be ambiguous in
    a path).
    """
    if not domain_name.isascii():
        raise ValidationError(
            _(
                "Use only the ASCII letters a-z, digits and hyphens; accented and other letters "
                "cannot appear in a domain name."
            ),
            code="non_ascii",
        )
    if len(domain_name) > 63:
        raise ValidationError(
            _("A domain name has at most 63 characters (this one has %(length)d).")
            % {"length": len(domain_name)},
            code="too_long",
        )
    if len(domain_name) < 3:
        raise ValidationError(_("A domain name has at least 3 characters."), code="too_short")
    if domain_name != domain_name.lower():
        raise ValidationError(_("Use lower-case letters only."), code="upper_case")
    domain_name_validator(domain_name)
    if domain_name in settings.CIAM_RESERVED_NAMES:
        raise ValidationError(
            _("“%(name)s” is reserved by the platform; choose another domain name.")
            % {"name": domain_name},
            code="reserved",
        )
    try:
        uuid.UUID(domain_name)
    except ValueError:
        return
    raise ValidationError(
        _("A domain name cannot have the shape of a tenant ID."), code="tenant_id_shape"
    )


def audit_record(
    *,
    actor: User | None,
    tenant: Tenant,
    action: AuditAction,
    target: str = "",
    details: dict[str, object] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log (public schema); entries are never edited."""
    return AuditEntry.objects.create(
        actor=actor,
        actor_email=actor.email if actor else "system",
        tenant_uuid=tenant.tenant_id,
        tenant_domain_name=tenant.domain_name,
        action=action,
        target=target,
        details=details or {},
    )


def tenant_create(
    *, display_name: str, domain_name: str, country: str, creator: User | None
) -> Tenant:
    """Create a ready customer tenant and make its creator a Global Administrator.

    The apps above the kernel provision the new schema's rows through `tenant_provisioned`
    (tenants/signals.py). The row, the schema (cloned from the migrated base schema), what the
    receivers made, the role and the audit entry are one transaction: a failure leaves no
    orphaned schema, and of two simultaneous creations of one domain name exactly one succeeds
    while the other gets TenantDomainNameTaken.
    """
    domain_name_check(domain_name)
    tenant_id = uuid.uuid4()
    tenant = Tenant(
        tenant_id=tenant_id,
        schema_name=Tenant.schema_name_for(tenant_id),
        display_name=display_name.strip(),
        domain_name=domain_name,
        country=country,
        status=TenantStatus.PROVISIONING,
    )
    tenant.full_clean(validate_unique=False)
    use_public_schema()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_TENANT_CREATION_LOCK])
            if Tenant.objects.filter(domain_name=domain_name).exists():
                raise TenantDomainNameTaken(domain_name)
            tenant.save()
            tenant.create_schema(check_if_exists=False, verbosity=0)
            with in_tenant(tenant):
                tenant_provisioned.send(sender=Tenant, tenant=tenant)
            tenant.status = TenantStatus.READY
            tenant.save(update_fields=["status"])
            if creator is not None:
                RoleAssignment.objects.create(
                    tenant=tenant, operator=creator, role=AdminRole.GLOBAL_ADMINISTRATOR
                )
            audit_record(
                actor=creator,
                tenant=tenant,
                action=AuditAction.TENANT_CREATED,
                target=tenant.domain_name,
                details={"display_name": tenant.display_name, "country": str(tenant.country)},
            )
    except IntegrityError as error:
        # The unique index is the last word if a creation slipped past the lock's check.
        if Tenant.objects.filter(domain_name=domain_name).exists():
            raise TenantDomainNameTaken(domain_name) from error
        raise
    finally:
        use_public_schema()
    return tenant


def tenant_delete(*, tenant: Tenant, actor: User | None) -> Tenant:
    """Suspend the tenant at once and schedule its purge CIAM_TENANT_PURGE_DAYS from now.

    From this moment its endpoints and hosted pages answer the uniform 404.
    """
    now = timezone.now()
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if tenant.status == TenantStatus.SUSPENDED:
            return tenant
        tenant.status = TenantStatus.SUSPENDED
        tenant.suspended_at = now
        tenant.purge_after = now + timedelta(days=settings.CIAM_TENANT_PURGE_DAYS)
        tenant.save(update_fields=["status", "suspended_at", "purge_after"])
        audit_record(
            actor=actor,
            tenant=tenant,
            action=AuditAction.TENANT_DELETED,
            target=tenant.domain_name,
            details={"purge_after": tenant.purge_after.isoformat()},
        )
    tenant_cache_forget(tenant)
    return tenant


def tenant_purge(*, tenant: Tenant) -> None:
    """Drop a suspended tenant's schema and row for good; the audit log keeps the record."""
    if tenant.status != TenantStatus.SUSPENDED:
        raise ValueError("Only a suspended tenant can be purged.")
    use_public_schema()
    with transaction.atomic():
        audit_record(
            actor=None, tenant=tenant, action=AuditAction.TENANT_PURGED, target=tenant.domain_name
        )
        tenant.delete(force_drop=True)
    tenant_cache_forget(tenant)


def tenants_purge_due(*, now: datetime | None = None) -> list[str]:
    """Purge every suspended tenant whose purge date has passed; return their domain names."""
    now = now or timezone.now()
    purged = []
    due = Tenant.objects.filter(status=TenantStatus.SUSPENDED, purge_after__lte=now)
    for tenant in due:
        tenant_purge(tenant=tenant)
        purged.append(tenant.domain_name)
    return purged


def admin_add(
    *, tenant: Tenant, email: str, roles: Iterable[AdminRole], actor: User
) -> tuple[User, str | None]:
    """Give an operator (found or created by email) roles on the tenant.

    A new operator account gets a random temporary password, returned once for the actor to
    pass on and to be changed at first sign-in; an existing one keeps its password (None).
    """
    email = User.objects.normalize_email(email)
    EmailValidator()(email)
    roles = set(roles)
    if not roles:
        raise ValidationError(_("Choose at least one role."), code="no_role")
    temporary_password = None
    with transaction.atomic():
        operator = User.objects.filter(email__iexact=email).first()
        if operator is None:
            temporary_password = secrets.token_urlsafe(12)
            operator = User.objects.create_user(
                email=email, password=temporary_password, must_change_password=True
            )
            audit_record(actor=actor, tenant=tenant, action=AuditAction.ADMIN_ADDED, target=email)
        _roles_grant(tenant=tenant, operator=operator, roles=roles, actor=actor)
    return operator, temporary_password


def admin_roles_set(
    *, tenant: Tenant, operator: User, roles: Iterable[AdminRole], actor: User
) -> None:
    """Make the operator's roles on the tenant exactly `roles` (empty removes the admin)."""
    wanted = set(roles)
    with transaction.atomic():
        # Lock the tenant's assignments so two admins editing at once cannot both remove
        # the last Global Administrator.
        current_rows = list(
            RoleAssignment.objects.select_for_update().filter(tenant=tenant).order_by("pk")
        )
        current = {AdminRole(row.role) for row in current_rows if row.operator_id == operator.pk}
        removed = current - wanted
        if AdminRole.GLOBAL_ADMINISTRATOR in removed:
            others = [
                row
                for row in current_rows
                if row.role == AdminRole.GLOBAL_ADMINISTRATOR and row.operator_id != operator.pk
            ]
            if not others:
                raise LastGlobalAdministrator()
        for role in sorted(removed):
            RoleAssignment.objects.filter(tenant=tenant, operator=operator, role=role).delete()
            audit_record(
                actor=actor,
                tenant=tenant,
                action=AuditAction.ROLE_REMOVED,
                target=operator.email,
                details={"role": role.value},
            )
        _roles_grant(tenant=tenant, operator=operator, roles=wanted - current, actor=actor)


def admin_remove(*, tenant: Tenant, operator: User, actor: User) -> None:
    """Remove every role the operator holds on the tenant."""
    admin_roles_set(tenant=tenant, operator=operator, roles=(), actor=actor)


def _roles_grant(
    *, tenant: Tenant, operator: User, roles: Iterable[AdminRole], actor: User
) -> None:
    for role in sorted(roles):
        _, created = RoleAssignment.objects.get_or_create(
            tenant=tenant, operator=operator, role=role
        )
        if created:
            audit_record(
                actor=actor,
                tenant=tenant,
                action=AuditAction.ROLE_GRANTED,
                target=operator.email,
                details={"role": role.value},
            )
