"""Reads for the tenant pages that look into the feature apps' tables.

The kernel (`tenants`) imports no app above it, so a count that spans apps, user flows and
customers is read here, on the floor that may see them all.
"""

from dataclasses import dataclass

from accounts.models import User
from apps.selectors import app_list
from tenants.models import Tenant
from tenants.schemas import in_tenant
from userflows.models import UserFlow


@dataclass(frozen=True)
class TenantCounts:
    apps: int
    user_flows: int
    customers: int


def tenant_counts(*, tenant: Tenant) -> TenantCounts:
    """Counts of the tenant's apps, user flows and customers, read in the tenant's schema (the
    tenant must be usable: a suspended one may have lost its schema)."""
    with in_tenant(tenant):
        return TenantCounts(
            apps=app_list().count(),
            user_flows=UserFlow.objects.count(),
            customers=User.objects.count(),
        )
