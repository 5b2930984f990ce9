"""Writes about customers, made by admins: accounts in the current tenant's schema.

Every service here runs in the tenant's schema (the caller's `in_tenant` block) and returns
what the caller needs for its audit entry; none of them records one, and none of them ever
returns or logs a password except the temporary one it just made, once.
"""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, router, transaction
from django.db.models import Field, Model, QuerySet
from django.db.models.deletion import Collector
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.attributes import BUILTIN_ATTRIBUTES, AttributeValue
from accounts.hashers import UnknownHashFormat, UnsupportedHashFormat, imported_password_hash
from accounts.models import CustomAttribute, Session, User
from accounts.services.attributes import builtin_value_clean, custom_value_clean
from accounts.signals import TokensRevoked, customer_credentials_revoked

# A deleted customer can be restored for this many days; then `customers_purge_due` erases it.
CUSTOMER_RESTORE_DAYS = 30
# Shown once to the admin, who passes it on; the customer must replace it.
_TEMPORARY_PASSWORD_BYTES = 12
_PURGE_BATCH = 500
_PASSWORD_COLUMN = User._meta.get_field("password").max_length or 128


class CustomerNotRestorable(Exception):
    """The customer is not deleted, or was deleted too long ago to be restored."""


class CustomerDeleted(Exception):
    """The customer is deleted: restore it before changing its sign-in."""


class IdentityNotLinked(Exception):
    """The customer has no linked identity with this ID."""


@dataclass(frozen=True)
class Revoked:
    """What `customer_sign_out_everywhere` ended."""

    sessions: int
    refresh_tokens: int
    access_tokens: int


def _temporary_password() -> str:
    return secrets.token_urlsafe(_TEMPORARY_PASSWORD_BYTES)


def _email_clean(email: str) -> str:
    address = User.objects.normalize_email(email)
    if not address:
        raise ValidationError({"email": _("Enter an email address.")})
    limit = BUILTIN_ATTRIBUTES["email"].max_length
    if len(address) > limit:
        raise ValidationError({"email": _("At most %(max)d characters.") % {"max": limit}})
    try:
        EmailValidator()(address)
    except ValidationError as error:
        raise ValidationError({"email": _("Enter a valid email address.")}) from error
    return address


def _with_email(address: str) -> QuerySet[User]:
    # lower(email) = …, which the unique index answers (`iexact` compares upper() unindexed).
    return User.objects.alias(email_lower=Lower("email")).filter(email_lower=address)


def _email_taken_error(address: str) -> ValidationError:
    deleted = _with_email(address).filter(deleted_at__isnull=False).exists()
    if deleted:
        return ValidationError(
            {"email": _("A deleted customer has this email address: restore it instead.")}
        )
    return ValidationError({"email": _("A customer with this email address exists already.")})


def customer_create(*, email: str, display_name: str = "") -> tuple[User, str]:
    """Create a customer who can sign in at once with the returned temporary password.

    The email address is lower-cased and must be new to the tenant, compared ignoring case
    (deleted customers included); it is stored as allauth's verified, primary address, since an
    admin vouches for it. The display name may be any text up to 256 characters. The password
    is random, returned this once, and must be changed at the customer's next sign-in. On any
    error nothing is stored.
    """
    address = _email_clean(email)
    name = display_name.strip()
    limit = BUILTIN_ATTRIBUTES["display_name"].max_length
    if len(name) > limit:
        raise ValidationError({"display_name": _("At most %(max)d characters.") % {"max": limit}})
    # allauth stores addresses lower-cased, in an indexed column.
    if _with_email(address).exists() or EmailAddress.objects.filter(email=address).exists():
        raise _email_taken_error(address)
    password = _temporary_password()
    try:
        with transaction.atomic():
            customer = User.objects.create_user(
                email=address,
                password=password,
                display_name=name,
                must_change_password=True,
            )
            EmailAddress.objects.create(user=customer, email=address, verified=True, primary=True)
    except IntegrityError as error:
        # Someone created the same address between the check and the insert.
        raise _email_taken_error(address) from error
    return customer, password


def customer_password_reset(*, customer: User) -> str:
    """Give the customer a new random temporary password, returned this once, to be changed at
    the next sign-in; every session and token of the old password ends with it."""
    if customer.deleted_at is not None:
        raise CustomerDeleted()
    password = _temporary_password()
    with transaction.atomic():
        customer.set_password(password)
        customer.must_change_password = True
        customer.save(update_fields=["password", "must_change_password"])
        customer_sign_out_everywhere(customer=customer)
    return password


def customer_tokens_revoke(*, customer: User) -> TokensRevoked:
    """End every token and authorization code issued to the customer in this tenant.

    The apps that issued them do it, told by the `customer_credentials_revoked` signal, in one
    transaction: afterwards no refresh token of the customer can be exchanged and no code
    redeemed. Access tokens already handed out as self-contained JWTs stay valid until they
    expire (their lifetime is short). Browser sessions are left as they are.
    """
    refresh_tokens = access_tokens = 0
    with transaction.atomic():
        for _receiver, answer in customer_credentials_revoked.send(sender=User, customer=customer):
            ended: object = answer  # what each receiver returns (django-stubs says str)
            if isinstance(ended, TokensRevoked):
                refresh_tokens += ended.refresh_tokens
                access_tokens += ended.access_tokens
    return TokensRevoked(refresh_tokens=refresh_tokens, access_tokens=access_tokens)


def customer_sign_out_everywhere(*, customer: User) -> Revoked:
    """End the customer's sessions in this tenant and every token and code issued to them
    (`customer_tokens_revoke`), in one transaction. Deleting the sessions is one indexed
    DELETE."""
    with transaction.atomic():
        sessions, _details = Session.objects.filter(
            user=customer, expire_date__gt=timezone.now()
        ).delete()
        tokens = customer_tokens_revoke(customer=customer)
    return Revoked(
        sessions=sessions,
        refresh_tokens=tokens.refresh_tokens,
        access_tokens=tokens.access_tokens,
    )


def customer_password_changed(*, customer: User) -> None:
    """The customer reset or changed their own password: every token issued before ends with
    the old password (an attacker holding one must not keep refreshing it), as after an admin's
    reset. Their other browser sessions already end by the session's password hash; the one
    that made the change, if any, stays signed in."""
    customer_tokens_revoke(customer=customer)


def customer_block(*, customer: User) -> User:
    """Refuse the customer's sign-in (`is_active` off) and sign them out everywhere."""
    if customer.deleted_at is not None:
        raise CustomerDeleted()
    with transaction.atomic():
        customer.is_active = False
        customer.save(update_fields=["is_active"])
        customer_sign_out_everywhere(customer=customer)
    return customer


def customer_unblock(*, customer: User) -> User:
    """Allow the customer to sign in again; a deleted customer stays blocked until restored."""
    if customer.deleted_at is not None:
        raise CustomerDeleted()
    customer.is_active = True
    customer.save(update_fields=["is_active"])
    return customer


def customer_identity_remove(*, customer: User, identity_id: int) -> SocialAccount:
    """Unlink one of the customer's identities at an identity provider (allauth's
    `SocialAccount` with this ID, and the provider's tokens allauth kept for it); return it,
    as it was, for the audit entry.

    The customer's next sign-in through that provider no longer reaches this account: the
    journey treats it as anyone's first sign-in there (a sign-up, or an offer to link when the
    provider vouches for an email address that has an account here). The customer's other ways
    in, sessions and tokens stay as they are. Raises IdentityNotLinked when the ID is not one of
    this customer's identities, CustomerDeleted for a deleted customer (restore it first).
    """
    if customer.deleted_at is not None:
        raise CustomerDeleted()
    identity = (
        SocialAccount.objects.filter(user=customer, pk=identity_id).defer("extra_data").first()
    )
    if identity is None:
        raise IdentityNotLinked()
    # Through the queryset, which leaves `identity` as it was (its ID included) for the caller.
    SocialAccount.objects.filter(pk=identity.pk).delete()
    return identity


def customer_delete(*, customer: User, now: datetime | None = None) -> User:
    """Delete the customer softly: sign-in refused, signed out everywhere, hidden from the
    list, restorable for 30 days, then purged by `customers_purge_due`. Deleting a deleted
    customer changes nothing (its purge date stays)."""
    if customer.deleted_at is not None:
        return customer
    with transaction.atomic():
        customer.deleted_at = now or timezone.now()
        customer.is_active = False
        customer.save(update_fields=["deleted_at", "is_active"])
        customer_sign_out_everywhere(customer=customer)
    return customer


def customer_restore(*, customer: User, now: datetime | None = None) -> User:
    """Bring back a customer deleted less than 30 days ago, with sign-in allowed; raise
    CustomerNotRestorable otherwise."""
    now = now or timezone.now()
    if customer.deleted_at is None or customer.deleted_at <= now - timedelta(
        days=CUSTOMER_RESTORE_DAYS
    ):
        raise CustomerNotRestorable()
    customer.deleted_at = None
    customer.is_active = True
    customer.save(update_fields=["deleted_at", "is_active"])
    return customer


class _TenantSchemaCollector(Collector):
    """Django's deletion collector, blind to the tables only the public schema has.

    Their foreign keys (role assignments, audit entries) point at the public schema's account
    table, so they never refer to a tenant's customer; and in a tenant's schema they do not
    exist, so asking them would fail (the search path leaves the public schema out).
    """

    def related_objects(
        self, related_model: type[Model], related_fields: "Iterable[Field[Any, Any]]", objs: Any
    ) -> QuerySet[Model]:
        if related_model._meta.app_config not in _tenant_app_configs():
            return related_model._base_manager.none()
        return super().related_objects(related_model, related_fields, objs)


def _tenant_app_configs() -> list[AppConfig]:
    return [config for config in apps.get_app_configs() if config.name in settings.TENANT_APPS]


def customers_purge_due(*, now: datetime | None = None) -> int:
    """Erase, with everything that refers to them (email addresses, tokens, grants), the
    customers deleted 30 days ago or more; return how many. Runs in batches, each its own
    transaction, so a large backlog neither holds long locks nor starts over after a failure.
    """
    cutoff = (now or timezone.now()) - timedelta(days=CUSTOMER_RESTORE_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            # Rows another transaction holds (a restore, a second purge) wait for the next run.
            due = list(
                User.objects.select_for_update(skip_locked=True)
                .filter(deleted_at__lte=cutoff)
                .order_by("pk")[:_PURGE_BATCH]
            )
            if not due:
                return purged
            collector = _TenantSchemaCollector(using=router.db_for_write(User))
            collector.collect(due)
            collector.delete()
        purged += len(due)


def customer_sign_up_abandon(*, customer: User) -> bool:
    """Erase the account a sign-up has just made, with its email address, when the sign-up
    cannot go on (its verification code could not be sent): a customer whose profile is not
    completed and who verified no address (tenant schema). False, and nothing erased, for any
    other account."""
    with transaction.atomic():
        found = list(
            User.objects.select_for_update()
            .filter(pk=customer.pk, profile_completed=False)
            .exclude(emailaddress__verified=True)
        )
        if not found:
            return False
        collector = _TenantSchemaCollector(using=router.db_for_write(User))
        collector.collect(found)
        collector.delete()
    return True


# --- Many customers at once (bulk import, issue 15) ---------------------------------------------


@dataclass(frozen=True)
class NewCustomer:
    """One customer to create, cleaned by `customer_new_clean`."""

    email: str
    # As Django stores it (accounts.hashers.imported_password_hash), or "" for none: such a
    # customer signs in by a password reset, a one-time code or an identity provider.
    password: str
    builtin: dict[str, str]  # by User field
    custom: dict[str, AttributeValue]  # by custom attribute name
    is_active: bool = True


def customer_new_clean(
    *,
    email: object,
    password_hash: object,
    builtin: Mapping[str, object],
    custom: Mapping[str, object],
    definitions: Mapping[str, CustomAttribute],
    is_active: object = True,
) -> NewCustomer:
    """Validate one customer to create: its email address (as `customer_create`), a password
    hash in a notation `accounts.hashers.imported_password_hash` reads (kept as it is, never
    re-hashed: the first sign-in upgrades it to argon2id), built-in attributes within Entra's
    lengths and custom attributes of `definitions` through their data type's cleaner.

    Raises a ValidationError whose dict names each bad field (`email`, `passwordHash`, a
    built-in's User field, a custom attribute's name, `accountEnabled`). Reads no table: whether
    the address is new to the tenant is `customers_create_many`'s to check.
    """
    errors: dict[str, list[str]] = {}
    address = ""
    try:
        address = _email_clean(email if isinstance(email, str) else "")
    except ValidationError as error:
        errors["email"] = error.messages
    password = ""
    if password_hash not in (None, ""):
        try:
            if not isinstance(password_hash, str):
                raise UnknownHashFormat("Unknown password hash format.")
            password = imported_password_hash(password_hash.strip())
            if len(password) > _PASSWORD_COLUMN:
                raise UnknownHashFormat("The password hash is too long to store.")
        except (UnknownHashFormat, UnsupportedHashFormat) as error:
            errors["passwordHash"] = [str(error)]
    else:
        # What make_password(None) stores, made 100 times faster (get_random_string draws each
        # character alone): the cost of a 100,000-row import's customers without a password.
        password = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)
    cleaned_builtin: dict[str, str] = {}
    for key, raw in builtin.items():
        if raw is None or raw == "":
            continue
        try:
            cleaned_builtin[key] = builtin_value_clean(key=key, value=raw)
        except ValidationError as error:
            errors[key] = error.messages
    cleaned_custom: dict[str, AttributeValue] = {}
    for name, raw in custom.items():
        if raw is None or raw == "":
            continue
        definition = definitions.get(name)
        if definition is None:
            # Only an import names attributes freely, and only admins read its report.
            errors[name] = ["No custom attribute has this name."]
            continue
        try:
            cleaned_custom[name] = custom_value_clean(attribute=definition, value=raw)
        except ValidationError as error:
            errors[name] = error.messages
    active = True
    if is_active not in (None, ""):
        if isinstance(is_active, bool):
            active = is_active
        elif isinstance(is_active, str) and is_active.strip().lower() in {"true", "false"}:
            active = is_active.strip().lower() == "true"
        else:
            errors["accountEnabled"] = [_("Use true or false.")]
    if errors:
        raise ValidationError(errors)
    return NewCustomer(
        email=address,
        password=password,
        builtin=cleaned_builtin,
        custom=cleaned_custom,
        is_active=active,
    )


def customer_emails_taken(*, emails: Iterable[str]) -> set[str]:
    """Which of these lower-cased addresses a customer of the tenant (deleted ones included) or
    allauth's address book has already: two indexed lookups, whatever their number."""
    wanted = list(emails)
    taken = set(
        User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=wanted)
        .values_list("email_lower", flat=True)
    )
    taken.update(EmailAddress.objects.filter(email__in=wanted).values_list("email", flat=True))
    return taken


def _as_user(new: NewCustomer, now: datetime) -> User:
    return User(
        email=new.email,
        password=new.password,
        custom_attributes=new.custom,
        is_active=new.is_active,
        created_at=now,
        **new.builtin,
    )


def customers_create_many(*, customers: Sequence[NewCustomer]) -> list[User | None]:
    """Create these customers, each with its address as allauth's verified, primary one (an
    admin vouches for the file, as for `customer_create`), in the caller's transaction.

    Each customer is created whole or not at all: with its address and every attribute, never
    one without the other. The batch is inserted at once (two INSERTs); when an address was
    taken meanwhile (a sign-up racing the import), it is inserted again one customer at a time,
    each in a savepoint, and the taken ones are left out. Returns, in order, the created
    customer or None for one whose address was taken. Password hashes are stored as given.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            users = User.objects.bulk_create([_as_user(new, now) for new in customers])
            EmailAddress.objects.bulk_create(
                [
                    EmailAddress(user=user, email=user.email, verified=True, primary=True)
                    for user in users
                ]
            )
    except IntegrityError:
        pass
    else:
        return list(users)
    created: list[User | None] = []
    for new in customers:
        try:
            with transaction.atomic():
                user = _as_user(new, now)
                user.save(force_insert=True)
                EmailAddress.objects.create(
                    user=user, email=user.email, verified=True, primary=True
                )
        except IntegrityError:
            created.append(None)
        else:
            created.append(user)
    return created
