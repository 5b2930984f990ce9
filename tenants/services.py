"""Writes about tenants and the audit log (operators' roles on tenants: accounts.services).

Every service validates, writes in one transaction and records what it did in the audit log.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.transaction import on_commit
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.events import event_emit
from tenants.models import (
    AdminRole,
    AuditAction,
    AuditEntry,
    RoleAssignment,
    Tenant,
    TenantStatus,
    domain_name_validator,
)
from tenants.schema_template import schema_create_from_template
from tenants.schemas import in_public_schema, in_tenant, use_public_schema
from tenants.selectors import tenant_cache_forget
from tenants.signals import tenant_provisioned

# Serialises tenant creation: the domain name's check, and a stale schema template's refresh
# (tenants/schema_template.py), which two creations must not do at once.
_TENANT_CREATION_LOCK = 0x7E4A_0001


class TenantDomainNameTaken(Exception):
    """Another tenant has this domain name (possibly created a moment ago)."""


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


# A value longer than this is recorded as its length: the log is no copy of the tenant's data.
_MAX_AUDIT_TEXT = 256


def _recordable(value: object) -> object:
    """The value as JSON can hold it, shortened where long."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_recordable(item) for item in items]
    text = str(value)
    if len(text) > _MAX_AUDIT_TEXT:
        return f"({len(text)} characters)"
    return text


def audit_details(
    *,
    details: Mapping[str, object] | None = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """An entry's details: `details` as given (shortened where long); given `before` and
    `after` (the same keys), only the keys whose value changed, under `before` and `after`."""
    recorded = {key: _recordable(value) for key, value in (details or {}).items()}
    if before is not None and after is not None:
        changed = [key for key in after if before.get(key) != after[key]]
        recorded["before"] = {key: _recordable(before.get(key)) for key in changed}
        recorded["after"] = {key: _recordable(after[key]) for key in changed}
    return recorded


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    tenant: Tenant,
    action: AuditAction,
    target: str = "",
    details: dict[str, object] | None = None,
    actor_name: str = "",
) -> AuditEntry:
    """Append one entry to the audit log (public schema); entries are never edited.

    `actor` is an operator (an AUTH_USER_MODEL row, typed by its base class and recorded by key
    so that the kernel imports no account code), or None for the platform itself ("system") or
    for an app calling the management API, named by `actor_name` ("Name (client ID)")."""
    if actor is not None:
        actor_label = getattr(actor, actor.get_email_field_name())
    else:
        actor_label = actor_name[:254] or "system"
    with in_public_schema():  # from a tenant's request too (the management API's writes)
        entry = AuditEntry.objects.create(
            actor_id=actor.pk if actor else None,
            actor_email=actor_label,
            tenant_uuid=tenant.tenant_id,
            tenant_domain_name=tenant.domain_name,
            action=action,
            target=target,
            details=details or {},
        )
    # And on the event stream (tenants/events.py), once the change it records is kept.
    on_commit(lambda: event_emit("audit", audit_entry_fields(entry)))
    return entry


def audit_entry_fields(entry: AuditEntry) -> dict[str, object]:
    """An entry as the event stream and the JSON download carry it."""
    return {
        "tenant": str(entry.tenant_uuid),
        "domain": entry.tenant_domain_name,
        "id": entry.pk,
        "occurred_at": entry.occurred_at.isoformat(),
        "actor": entry.actor_email,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "target": entry.target,
        "details": entry.details,
    }


def tenant_create(
    *, display_name: str, domain_name: str, country: str, creator: AbstractBaseUser | None
) -> Tenant:
    """Create a ready customer tenant and make its creator a Global Administrator.

    The apps above the kernel provision the new schema's rows through `tenant_provisioned`
    (tenants/signals.py). The row, the schema (made from the base schema's template), what the
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
            schema_create_from_template(tenant.schema_name)
            with in_tenant(tenant):
                tenant_provisioned.send(sender=Tenant, tenant=tenant)
            tenant.status = TenantStatus.READY
            tenant.save(update_fields=["status"])
            if creator is not None:
                RoleAssignment.objects.create(
                    tenant=tenant, operator_id=creator.pk, role=AdminRole.GLOBAL_ADMINISTRATOR
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


class UnknownLanguage(ValueError):
    """A language the product does not ship (settings.LANGUAGES)."""


def tenant_default_language_set(
    *,
    tenant: Tenant,
    language: str,
    actor: AbstractBaseUser | None,
    actor_name: str = "",
    audit_context: Mapping[str, object] | None = None,
) -> Tenant:
    """Make `language` (a code of settings.LANGUAGES) what the tenant's hosted pages and emails
    speak when neither the app, the customer's stored preference nor the browser asks for a
    language the product speaks. Audited with the language before and after (and
    `audit_context`, such as the management API's calling app named by `actor_name`); no entry
    when it does not change. Raises UnknownLanguage."""
    if language not in dict(settings.LANGUAGES):
        raise UnknownLanguage(language)
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        before = tenant.default_language
        if before == language:
            return tenant
        tenant.default_language = language
        tenant.save(update_fields=["default_language"])
        audit_record(
            actor=actor,
            tenant=tenant,
            action=AuditAction.TENANT_LANGUAGE_CHANGED,
            target=tenant.domain_name,
            details={**(audit_context or {}), "before": before, "after": language},
            actor_name=actor_name,
        )
    tenant_cache_forget(tenant)
    return tenant


def tenant_delete(*, tenant: Tenant, actor: AbstractBaseUser | None) -> Tenant:
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
