"""What the tenant's policies decide about a sign-in, after the first factor (issue 12).

The journey asks `access_evaluate` once the customer has proved the first factor and before
anything else of the sign-in happens: it blocks the sign-in, or asks for a second factor
(journey's MFA stage), or lets it through. Policies in report-only state are evaluated and
named in the decision (for the sign-in log) but never enforced.

Without a policy that matches, nothing is required; an app may still ask for a second factor
itself with `acr_values` (the journey reads that from the auth transaction).

What the journey did with each decision is told by `sign_in_evaluation_report`, for the sign-in
log: a line on the `ciam.sign_in` logger and the signal `protection.signals.sign_in_evaluated`.
"""

import ipaddress
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Q
from django.db.models.functions import Lower
from django.http import HttpRequest

from protection.models import (
    ConditionalAccessPolicy,
    GrantControl,
    LocationScope,
    NamedLocation,
    PolicyState,
)
from protection.signals import sign_in_evaluated
from tenants.current import current_tenant

sign_in_logger = logging.getLogger("ciam.sign_in")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RiskLevel(StrEnum):
    """A sign-in's risk, as Entra's ID Protection grades it (protection/risk.py computes it)."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class SignInContext:
    """What a policy may look at: who (the customer's primary key), through which app (its
    client ID; None without an app), from where (the client's address) and how risky."""

    customer_id: int
    client_id: str | None
    address: str
    risk: RiskLevel = RiskLevel.NONE


@dataclass(frozen=True)
class AccessDecision:
    """The outcome: `block` wins over `require_mfa`. `applied` names the enforced policies
    that matched; `report_only` the report-only ones that matched, with what they would have
    done ("block" or "mfa"), for the sign-in log.

    For the sign-in log too, and no part of what is decided (two decisions that enforce the
    same are equal whatever these say): `applied_grants`, the grant of each applied policy in
    the order of `applied`; `locations`, the names of the named locations the address is in,
    as far as the evaluation read them (only a policy with a location condition has them
    read), by name."""

    block: bool = False
    require_mfa: bool = False
    applied: tuple[str, ...] = ()
    report_only: tuple[tuple[str, str], ...] = ()
    applied_grants: tuple[str, ...] = field(default=(), compare=False)
    locations: tuple[str, ...] = field(default=(), compare=False)


def address_parse(address: str) -> IPAddress | None:
    """The client's address, or None when it is none (empty, malformed). An IPv4 address that
    reaches us mapped into IPv6 (`::ffff:192.0.2.1`, from a dual-stack socket) is the IPv4
    address: the named location's IPv4 ranges must match it."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


@lru_cache(maxsize=4096)
def _network(cidr: str) -> IPNetwork:
    # Ranges were validated and normalised when stored; parsing each once per process is enough.
    return ipaddress.ip_network(cidr)


def _contains(location: NamedLocation, address: IPAddress) -> bool:
    """Whether the address falls in one of the location's IP ranges (an IPv4 address is in no
    IPv6 range, nor the reverse)."""
    return any(address in _network(cidr) for cidr in location.ip_ranges)


def _in_any(
    ids: Iterable[int], locations: Mapping[int, NamedLocation], address: IPAddress | None
) -> bool:
    if address is None:
        return False
    return any(pk in locations and _contains(locations[pk], address) for pk in ids)


def _in_trusted(locations: Mapping[int, NamedLocation], address: IPAddress | None) -> bool:
    trusted = [pk for pk, location in locations.items() if location.trusted]
    return _in_any(trusted, locations, address)


@dataclass(frozen=True)
class _Policy:
    """What evaluation reads of a policy row (the customer's exclusion was decided in SQL)."""

    name: str
    state: str
    grant: str
    all_apps: bool
    client_ids: frozenset[str]
    excluded_client_ids: frozenset[str]
    risk_levels: frozenset[str]
    locations: str
    included_locations: tuple[int, ...]
    exclude_trusted_locations: bool
    excluded_locations: tuple[int, ...]

    @property
    def needs_locations(self) -> bool:
        return bool(
            self.locations != LocationScope.ANY
            or self.exclude_trusted_locations
            or self.excluded_locations
        )

    def in_scope(self, context: SignInContext) -> bool:
        """The app and risk conditions hold for this sign-in."""
        client_id = context.client_id
        if not self.all_apps and (client_id is None or client_id not in self.client_ids):
            return False
        if client_id is not None and client_id in self.excluded_client_ids:
            return False
        return not self.risk_levels or context.risk.value in self.risk_levels

    def location_holds(
        self, address: IPAddress | None, locations: Mapping[int, NamedLocation]
    ) -> bool:
        """The address is in the included locations and in none of the excluded."""
        if self.locations == LocationScope.TRUSTED and not _in_trusted(locations, address):
            return False
        if self.locations == LocationScope.SELECTED and not _in_any(
            self.included_locations, locations, address
        ):
            return False
        if self.exclude_trusted_locations and _in_trusted(locations, address):
            return False
        return not _in_any(self.excluded_locations, locations, address)


def _location_ids(field: str) -> ArraySubquery:
    through = getattr(ConditionalAccessPolicy, field).through
    return ArraySubquery(
        through.objects.filter(conditionalaccesspolicy_id=OuterRef("pk")).values("namedlocation_id")
    )


def _policies_for(customer_id: int) -> list[_Policy]:
    """The policies in state on or report-only that do not exclude the customer, by name: one
    query, the IDs of their included and excluded locations read with them."""
    rows = (
        ConditionalAccessPolicy.objects.filter(state__in=[PolicyState.ON, PolicyState.REPORT_ONLY])
        .exclude(excluded_customers=customer_id)
        .annotate(
            included_ids=_location_ids("included_locations"),
            excluded_ids=_location_ids("excluded_locations"),
        )
        .order_by(Lower("name"), "name")
        .values(
            "name",
            "state",
            "grant",
            "all_apps",
            "client_ids",
            "excluded_client_ids",
            "risk_levels",
            "locations",
            "included_ids",
            "exclude_trusted_locations",
            "excluded_ids",
        )
    )
    return [
        _Policy(
            name=row["name"],
            state=row["state"],
            grant=row["grant"],
            all_apps=row["all_apps"],
            client_ids=frozenset(row["client_ids"]),
            excluded_client_ids=frozenset(row["excluded_client_ids"]),
            risk_levels=frozenset(row["risk_levels"]),
            locations=row["locations"],
            included_locations=tuple(row["included_ids"]),
            exclude_trusted_locations=row["exclude_trusted_locations"],
            excluded_locations=tuple(row["excluded_ids"]),
        )
        for row in rows
    ]


def access_evaluate(context: SignInContext) -> AccessDecision:
    """The decision of the tenant's policies for this sign-in (call in the tenant's schema).

    A policy in state on or report-only applies when the customer is not excluded, the app is
    in its scope (all apps, or one of the selected client IDs; a sign-in without an app is in
    the scope of all-apps policies only) and not excluded, the sign-in's risk is one of the
    policy's levels (no levels: any risk), and the address is in the included locations (any,
    all trusted, or the selected ones) and in none of the excluded. An address that cannot be
    read is in no named location. Policies that are off are not read.

    The enforced policies that apply are named in `applied`; `block` if any of them blocks,
    else `require_mfa` if any requires MFA. Report-only policies only add (name, "block" |
    "mfa") to `report_only`. Both in name order, ignoring case.

    One query reads the policies (the customer's exclusion decided in it, the locations'
    IDs with them); a second reads the named locations, only when a policy whose app and risk
    conditions hold has a location condition.
    """
    policies = [policy for policy in _policies_for(context.customer_id) if policy.in_scope(context)]
    locations: dict[int, NamedLocation] = {}
    wanted = [policy for policy in policies if policy.needs_locations]
    if wanted:
        ids = {pk for p in wanted for pk in (*p.included_locations, *p.excluded_locations)}
        locations = {
            location.pk: location
            for location in NamedLocation.objects.filter(Q(trusted=True) | Q(pk__in=ids))
        }
    address = address_parse(context.address)
    block = require_mfa = False
    applied: list[str] = []
    grants: list[str] = []
    report_only: list[tuple[str, str]] = []
    for policy in policies:
        if not policy.location_holds(address, locations):
            continue
        if policy.state == PolicyState.ON:
            applied.append(policy.name)
            grants.append(str(policy.grant))
            block = block or policy.grant == GrantControl.BLOCK
            require_mfa = require_mfa or policy.grant == GrantControl.MFA
        else:
            report_only.append((policy.name, str(policy.grant)))
    return AccessDecision(
        block=block,
        require_mfa=require_mfa and not block,
        applied=tuple(applied),
        report_only=tuple(report_only),
        applied_grants=tuple(grants),
        locations=tuple(
            sorted(
                location.name
                for location in locations.values()
                if address is not None and _contains(location, address)
            )
        ),
    )


@dataclass(frozen=True)
class SignInEvaluation:
    """One decision of the policies and what came of it, for the sign-in log.

    `customer_object_id` and `client_id` (None without an app) say whose sign-in to which app;
    `single_sign_on`, that a signed-in session was going on to the app (no credential was
    asked) rather than a sign-in after its first factor; `decision`, what the policies decided;
    `result`, what the journey did next, in its own words (journey/mfa/stages.py: `none` when
    the sign-in goes on without more, `block`, `challenge` or `enrol` for a second factor asked,
    `unmet_by_policy` and `unmet_for_app` when none could be had, `sign_in_again` when a
    session must sign in again for the app)."""

    customer_object_id: str
    client_id: str | None
    single_sign_on: bool
    decision: AccessDecision
    result: str

    def fields(self, *, tenant_id: str) -> dict[str, Any]:
        """The record as the log line carries it: no password, code, address or email."""
        return {
            "tenant": tenant_id,
            "customer": self.customer_object_id,
            "client_id": self.client_id,
            "single_sign_on": self.single_sign_on,
            "applied": list(self.decision.applied),
            "report_only": [
                {"policy": name, "grant": grant} for name, grant in self.decision.report_only
            ],
            "result": self.result,
        }


def sign_in_evaluation_report(*, request: HttpRequest, evaluation: SignInEvaluation) -> None:
    """Tell what the policies decided about a sign-in (call in the tenant's schema): one INFO
    line on the `ciam.sign_in` logger, `sign-in evaluated {…}` with the fields as JSON (and as
    the record's `sign_in` attribute, for a structured handler), then `sign_in_evaluated`."""
    fields = evaluation.fields(tenant_id=str(current_tenant().tenant_id))
    sign_in_logger.info(
        "sign-in evaluated %s",
        json.dumps(fields, ensure_ascii=False, sort_keys=True),
        extra={"sign_in": fields},
    )
    sign_in_evaluated.send(sender=SignInEvaluation, request=request, evaluation=evaluation)
