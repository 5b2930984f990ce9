"""Writing a tenant's conditional access policies and named locations (call in the tenant's
schema).

Every write checks all it was given first and stores nothing when any part is wrong:
`ConditionalAccessInvalid` carries each field's messages, named as the arguments are. Customers
are named by their email addresses and named locations by their IDs; apps by their client IDs,
which are not checked against the tenant's app registrations (protection knows none: the admin
center offers only the tenant's apps).
"""

import ipaddress
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from protection.access import RiskLevel
from protection.models import (
    ConditionalAccessPolicy,
    GrantControl,
    LocationScope,
    NamedLocation,
    PolicyState,
)
from protection.selectors import named_location_policies

# Entra's limits: 195 policies and 195 named locations a tenant.
MAX_POLICIES = 195
MAX_NAMED_LOCATIONS = 195
MAX_IP_RANGES = 2000
MAX_EXCLUDED_CUSTOMERS = 1000
MAX_APPS = 500
# A range wider than /8 (a sixteenth of the IPv4 Internet, or more) is a mistake, not a place.
MIN_PREFIX_LENGTH = 8
RISK_CHOICES = (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH)
_MAX_NAME = 256
_MAX_CLIENT_ID = 100

Errors = dict[str, list[str]]


class ConditionalAccessInvalid(Exception):
    """The policy or named location cannot be stored as given; nothing was stored.

    `errors` maps an argument's name (`name`, `ip_ranges`, `state`, `grant`,
    `excluded_customer_emails`, `client_ids`, `excluded_client_ids`, `risk_levels`, `locations`,
    `included_location_ids`, `excluded_location_ids`, or `__all__` for a limit reached) to the
    messages that explain what to change.
    """

    def __init__(self, errors: Errors) -> None:
        super().__init__(errors)
        self.errors = errors


class NamedLocationInUse(Exception):
    """The named location is part of policies (`policy_names`) and stays: removing it would
    silently widen or narrow them. Take it out of those policies first."""

    def __init__(self, policy_names: list[str]) -> None:
        super().__init__(policy_names)
        self.policy_names = policy_names


def _name_problem(name: str, *, taken: bool) -> str | None:
    if not name:
        return _("Enter a name.")
    if len(name) > _MAX_NAME:
        return _("Use at most %(count)d characters.") % {"count": _MAX_NAME}
    if taken:
        return _("The name “%(name)s” is taken: choose another.") % {"name": name}
    return None


def ip_range_clean(text: str) -> str:
    """The range in CIDR notation as stored (`10.1.0.0/16`, `2001:db8::/32`; a single address
    becomes /32 or /128), or ValueError with the message to show."""
    value = text.strip()
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(
            _("“%(range)s” is no IPv4 or IPv6 range: write it as 203.0.113.0/24 or 2001:db8::/32.")
            % {"range": value}
        ) from None
    if "/" in value:
        try:
            ipaddress.ip_network(value)
        except ValueError:
            # Parsed leniently, refused strictly: bits are set after the prefix.
            raise ValueError(
                _("“%(range)s” has bits set after its prefix: the range is %(network)s.")
                % {"range": value, "network": network.with_prefixlen}
            ) from None
    if network.prefixlen < MIN_PREFIX_LENGTH:
        raise ValueError(
            _("“%(range)s” is too wide: use a prefix of /%(min)d or longer.")
            % {"range": value, "min": MIN_PREFIX_LENGTH}
        )
    return network.with_prefixlen


def _ip_ranges_clean(ip_ranges: Iterable[str], errors: Errors) -> list[str]:
    cleaned: list[str] = []
    for text in ip_ranges:
        if not text.strip():
            continue
        try:
            value = ip_range_clean(text)
        except ValueError as problem:
            errors.setdefault("ip_ranges", []).append(str(problem))
            continue
        if value not in cleaned:
            cleaned.append(value)
    if not cleaned and "ip_ranges" not in errors:
        errors["ip_ranges"] = [_("Enter at least one IP range.")]
    elif len(cleaned) > MAX_IP_RANGES:
        errors.setdefault("ip_ranges", []).append(
            _("A location holds at most %(count)d ranges.") % {"count": MAX_IP_RANGES}
        )
    return cleaned


def _location_validate(*, location: NamedLocation, ip_ranges: Iterable[str]) -> None:
    errors: Errors = {}
    others = NamedLocation.objects.exclude(pk=location.pk)
    taken = others.filter(name__iexact=location.name).exists()
    problem = _name_problem(location.name, taken=taken)
    if problem:
        errors["name"] = [problem]
    location.ip_ranges = _ip_ranges_clean(ip_ranges, errors)
    if errors:
        raise ConditionalAccessInvalid(errors)


def named_location_create(
    *, name: str, ip_ranges: Iterable[str], trusted: bool = False
) -> NamedLocation:
    """Store a named location of IP ranges (IPv4 and IPv6, each /8 or narrower) and return it,
    or raise ConditionalAccessInvalid. Ranges are stored normalised and without repeats; names
    are unique, ignoring case."""
    location = NamedLocation(name=name.strip(), trusted=trusted)
    _location_validate(location=location, ip_ranges=ip_ranges)
    if NamedLocation.objects.count() >= MAX_NAMED_LOCATIONS:
        limit = _("A tenant has at most %(count)d named locations.")
        raise ConditionalAccessInvalid({"__all__": [limit % {"count": MAX_NAMED_LOCATIONS}]})
    location.save()
    return location


def named_location_update(
    *, location: NamedLocation, name: str, ip_ranges: Iterable[str], trusted: bool
) -> NamedLocation:
    """Replace the location's name, ranges and trust, or raise ConditionalAccessInvalid leaving
    the row as it was. The policies that name it see the new ranges at their next sign-in."""
    candidate = NamedLocation.objects.get(pk=location.pk)
    candidate.name = name.strip()
    candidate.trusted = trusted
    _location_validate(location=candidate, ip_ranges=ip_ranges)
    candidate.updated_at = timezone.now()
    candidate.save()
    for field in ("name", "ip_ranges", "trusted", "updated_at"):
        setattr(location, field, getattr(candidate, field))
    return location


def named_location_delete(*, location: NamedLocation) -> None:
    """Remove the location, or raise NamedLocationInUse while a policy names it (Entra refuses
    too): a policy that lost its only included location would apply nowhere, one that lost an
    excluded location everywhere."""
    names = named_location_policies(location)
    if names:
        raise NamedLocationInUse(names)
    location.delete()


@dataclass(frozen=True)
class PolicySettings:
    """Everything a policy says, as the services take it (see ConditionalAccessPolicy)."""

    name: str
    state: str
    grant: str
    excluded_customer_emails: Sequence[str] = ()
    all_apps: bool = True
    client_ids: Sequence[str] = ()
    excluded_client_ids: Sequence[str] = ()
    risk_levels: Sequence[str] = ()
    locations: str = LocationScope.ANY
    included_location_ids: Sequence[str | uuid.UUID] = ()
    exclude_trusted_locations: bool = False
    excluded_location_ids: Sequence[str | uuid.UUID] = ()


@dataclass(frozen=True)
class _Checked:
    """A policy's settings once checked: the rows its relations point to."""

    excluded_customers: list[User]
    included_locations: list[NamedLocation]
    excluded_locations: list[NamedLocation]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value.strip() for value in values if value.strip()))


def _customers_by_email(emails: list[str], errors: Errors) -> list[User]:
    if len(emails) > MAX_EXCLUDED_CUSTOMERS:
        errors["excluded_customer_emails"] = [
            _("Exclude at most %(count)d customers.") % {"count": MAX_EXCLUDED_CUSTOMERS}
        ]
        return []
    wanted = {email.lower(): email for email in emails}
    found: list[User] = list(
        User.objects.alias(email_lower=Lower("email")).filter(
            email_lower__in=list(wanted), deleted_at__isnull=True
        )
    )
    known = {customer.email.lower() for customer in found}
    for lowered, email in wanted.items():
        if lowered not in known:
            errors.setdefault("excluded_customer_emails", []).append(
                _("No customer has the address “%(email)s”.") % {"email": email}
            )
    return found


def _locations_by_id(
    ids: Sequence[str | uuid.UUID], field: str, errors: Errors
) -> list[NamedLocation]:
    wanted: set[uuid.UUID] = set()
    for value in ids:
        try:
            wanted.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            errors.setdefault(field, []).append(_("Choose named locations of this tenant."))
            return []
    found = list(NamedLocation.objects.filter(location_id__in=wanted))
    if len(found) != len(wanted):
        errors.setdefault(field, []).append(_("Choose named locations of this tenant."))
    return found


def _client_ids_check(values: list[str], field: str, errors: Errors) -> None:
    if len(values) > MAX_APPS or any(len(value) > _MAX_CLIENT_ID for value in values):
        errors.setdefault(field, []).append(_("Choose apps of this tenant."))


def _policy_check(policy: ConditionalAccessPolicy, given: PolicySettings) -> _Checked:
    """Fill the unsaved policy from `given`, checked; the related rows it names. Raises
    ConditionalAccessInvalid with every problem found."""
    errors: Errors = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    policy.name = given.name.strip()
    taken = (
        ConditionalAccessPolicy.objects.exclude(pk=policy.pk)
        .filter(name__iexact=policy.name)
        .exists()
    )
    problem = _name_problem(policy.name, taken=taken)
    if problem:
        error("name", problem)
    if given.state not in PolicyState.values:
        error("state", _("Choose report-only, on or off."))
    policy.state = given.state
    if given.grant not in GrantControl.values:
        error("grant", _("Choose to block access or to require multifactor authentication."))
    policy.grant = given.grant
    customers = _customers_by_email(_unique(given.excluded_customer_emails), errors)

    policy.all_apps = given.all_apps
    policy.client_ids = [] if given.all_apps else _unique(given.client_ids)
    policy.excluded_client_ids = _unique(given.excluded_client_ids)
    _client_ids_check(policy.client_ids, "client_ids", errors)
    _client_ids_check(policy.excluded_client_ids, "excluded_client_ids", errors)
    if not given.all_apps and not policy.client_ids:
        error("client_ids", _("Select at least one app, or choose all apps."))
    if set(policy.client_ids) & set(policy.excluded_client_ids):
        error("excluded_client_ids", _("An app cannot be both selected and excluded."))

    levels = set(given.risk_levels)
    if not levels <= {level.value for level in RISK_CHOICES}:
        error("risk_levels", _("Choose among low, medium and high."))
    policy.risk_levels = [level.value for level in RISK_CHOICES if level.value in levels]

    if given.locations not in LocationScope.values:
        error("locations", _("Choose which locations the policy includes."))
    policy.locations = given.locations
    selected = given.locations == LocationScope.SELECTED
    included = (
        _locations_by_id(given.included_location_ids, "included_location_ids", errors)
        if selected
        else []
    )
    excluded = _locations_by_id(given.excluded_location_ids, "excluded_location_ids", errors)
    if selected and not given.included_location_ids:
        error("included_location_ids", _("Select at least one named location."))
    if {location.pk for location in included} & {location.pk for location in excluded}:
        error("excluded_location_ids", _("A location cannot be both included and excluded."))
    policy.exclude_trusted_locations = given.exclude_trusted_locations
    if given.locations == LocationScope.TRUSTED and given.exclude_trusted_locations:
        error(
            "locations",
            _("Including and excluding all trusted locations leaves no location to apply in."),
        )
    if errors:
        raise ConditionalAccessInvalid(errors)
    return _Checked(
        excluded_customers=customers, included_locations=included, excluded_locations=excluded
    )


def _relations_set(policy: ConditionalAccessPolicy, checked: _Checked) -> None:
    policy.excluded_customers.set(checked.excluded_customers)
    policy.included_locations.set(checked.included_locations)
    policy.excluded_locations.set(checked.excluded_locations)


def conditional_access_policy_create(*, settings: PolicySettings) -> ConditionalAccessPolicy:
    """Store a policy and return it, or raise ConditionalAccessInvalid (nothing stored).

    Its customers are every customer but the excluded ones (named by email; each must be a
    customer of the tenant). With `all_apps` the selected client IDs are dropped; without it at
    least one is needed. Risk levels are a subset of low, medium and high (none: any risk).
    Included named locations count only with `locations` = selected, which needs one at least.
    """
    policy = ConditionalAccessPolicy()
    checked = _policy_check(policy, settings)
    if ConditionalAccessPolicy.objects.count() >= MAX_POLICIES:
        limit = _("A tenant has at most %(count)d policies.")
        raise ConditionalAccessInvalid({"__all__": [limit % {"count": MAX_POLICIES}]})
    with transaction.atomic():
        policy.save()
        _relations_set(policy, checked)
    return policy


def conditional_access_policy_update(
    *, policy: ConditionalAccessPolicy, settings: PolicySettings
) -> ConditionalAccessPolicy:
    """Replace every setting of the policy with `settings`, or raise ConditionalAccessInvalid
    leaving it as it was. The next sign-in is evaluated with the new settings."""
    candidate = ConditionalAccessPolicy.objects.get(pk=policy.pk)
    checked = _policy_check(candidate, settings)
    candidate.updated_at = timezone.now()
    with transaction.atomic():
        candidate.save()
        _relations_set(candidate, checked)
    for field in (
        "name",
        "state",
        "grant",
        "all_apps",
        "client_ids",
        "excluded_client_ids",
        "risk_levels",
        "locations",
        "exclude_trusted_locations",
        "updated_at",
    ):
        setattr(policy, field, getattr(candidate, field))
    return policy


def conditional_access_policy_delete(*, policy: ConditionalAccessPolicy) -> None:
    """Remove the policy; sign-ins are no longer evaluated against it."""
    policy.delete()
