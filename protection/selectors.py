"""Reading a tenant's sign-in protection (call in the tenant's schema). A tenant that never
saved a row has the defaults: an unsaved instance is returned, nothing is written."""

import uuid

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Lower

from protection.models import (
    AuthenticationMethodsPolicy,
    ConditionalAccessPolicy,
    NamedLocation,
    SignInProtection,
)
from tenants.memory import TenantMemory
from tenants.schemas import current_schema_name

# Per process and schema: the row read last, until the change feed names the tenant.
_in_force = TenantMemory(lambda: settings.CIAM_PROTECTION_CACHE_SECONDS)


def authentication_methods_policy() -> AuthenticationMethodsPolicy:
    return AuthenticationMethodsPolicy.objects.first() or AuthenticationMethodsPolicy()


def sign_in_protection() -> SignInProtection:
    """The row as stored now (what the admin center shows and edits)."""
    return SignInProtection.objects.first() or SignInProtection()


def sign_in_protection_in_force() -> SignInProtection:
    """The row as sign-ins apply it (request limits, smart lockout, breached passwords):
    remembered by each process for each schema until the change feed names the tenant, so a
    sign-in does not read it again at every check, and a change holds on every node within
    CIAM_PROTECTION_CACHE_SECONDS. Read only: never change or save what this returns."""
    return _in_force.remembered(current_schema_name(), "in-force", sign_in_protection)


def sign_in_protection_forget() -> None:
    """Forget what this process remembers (after a change made in it; tests)."""
    _in_force.clear()


def conditional_access_policy_list() -> QuerySet[ConditionalAccessPolicy]:
    """The tenant's conditional access policies, by name (ignoring case)."""
    return ConditionalAccessPolicy.objects.order_by(Lower("name"), "name")


def conditional_access_policy_get(*, policy_id: uuid.UUID) -> ConditionalAccessPolicy | None:
    return conditional_access_policy_list().filter(policy_id=policy_id).first()


def excluded_customer_emails(policy: ConditionalAccessPolicy) -> list[str]:
    """The email addresses of the customers the policy excludes, in order."""
    return sorted(policy.excluded_customers.values_list("email", flat=True))


def named_location_list() -> QuerySet[NamedLocation]:
    """The tenant's named locations, by name (ignoring case)."""
    return NamedLocation.objects.order_by(Lower("name"), "name")


def named_location_get(*, location_id: uuid.UUID) -> NamedLocation | None:
    return named_location_list().filter(location_id=location_id).first()


def named_location_policies(location: NamedLocation) -> list[str]:
    """The names of the policies that include or exclude the location, in order."""
    including = ConditionalAccessPolicy.objects.filter(included_locations=location)
    excluding = ConditionalAccessPolicy.objects.filter(excluded_locations=location)
    return sorted(
        {*including.values_list("name", flat=True), *excluding.values_list("name", flat=True)}
    )


def policy_audit_target(policy: ConditionalAccessPolicy) -> str:
    """How the audit log names a conditional access policy: its name and ID."""
    return f"{policy.name} ({policy.policy_id})"


def policy_audit_fields(policy: ConditionalAccessPolicy) -> dict[str, object]:
    """What the audit log records of a policy, from the admin center or the management API:
    its settings (excluded customers by email, the locations by name). Call in the tenant's
    schema."""
    return {
        "state": policy.state,
        "grant": policy.grant,
        "excluded_customers": excluded_customer_emails(policy),
        "all_apps": policy.all_apps,
        "client_ids": policy.client_ids,
        "excluded_client_ids": policy.excluded_client_ids,
        "risk_levels": policy.risk_levels,
        "locations": policy.locations,
        "included_locations": sorted(location.name for location in policy.included_locations.all()),
        "exclude_trusted_locations": policy.exclude_trusted_locations,
        "excluded_locations": sorted(location.name for location in policy.excluded_locations.all()),
    }
