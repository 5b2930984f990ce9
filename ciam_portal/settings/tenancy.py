"""Tenancy: one PostgreSQL schema per customer tenant (DESIGN.md decisions 1, 2 and 4)."""

from django.utils.translation import gettext_lazy as _

from ciam_portal.environment import env_int

SHARED_APPS = [
    "django_tenants",
    # The wiring floor, installed only for its management command (ciam_demo); it has no models.
    "ciam_portal",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_countries",
    # Operators live in the public schema's account table, customers in their tenant's.
    "accounts",
    # allauth's authentication backend reads its tables wherever a sign-in happens,
    # the admin center's included.
    "allauth",
    "allauth.account",
    # The management API's framework and its OpenAPI document (no tables of their own).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.postgres",
    "django.contrib.auth",
    "accounts",
    "apps",
    "userflows",
    "branding",
    "federation",
    "protection",
    "monitoring",
    "extensions",
    "journey",
    "management",
    "configuration",
    "bulk",
    "oauth2_provider",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.apple",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

# New tenants are cloned from this migrated, empty schema (about half a second, where running
# every migration takes about three); `manage.py ciam_migrate` migrates it on every deploy.
TENANT_BASE_SCHEMA = "tenant_base"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Set the search path once per switch of tenant, not before every query: the routing middleware
# switches (and so resets this) on every request.
TENANT_LIMIT_SET_CALLS = True

# First path segments that can never be a tenant's domain name.
CIAM_RESERVED_NAMES = frozenset(
    {
        "admin-center",
        "admin",
        "static",
        "media",
        "api",
        "healthz",
        "health",
        "metrics",
        "favicon.ico",
        "robots.txt",
        "well-known",
        ".well-known",
        "oauth2",
        "common",
        "organizations",
        "consumers",
        "public",
        "tenant-base",
        "www",
        "login",
        "logout",
        "account",
        "accounts",
    }
)

# The token endpoint's view, which tenant routing calls ahead of the rest of the middleware
# (tenants/routing.py): named here, so that the kernel imports nothing of the floors above it.
CIAM_TOKEN_ENDPOINT_VIEW = "apps.oidc.views.token_endpoint"
# The middleware that view still runs through, outermost first (each a dotted path, called with
# the view as Django calls a middleware with the next one): the request limits hold there too.
CIAM_TOKEN_ENDPOINT_MIDDLEWARE = [
    "monitoring.middleware.SignInLogMiddleware",
    "protection.limits.RequestLimitMiddleware",
]

# How long a change of a tenant (a suspension) may take to reach every web process: each reads
# the change feed that often (tenants/changes.py); the node that made it forgets at once.
CIAM_TENANT_CACHE_SECONDS = 5
# What each process remembers of tenants' settings (tenants/memory.py): for at most this many
# tenants (the oldest forgotten first), each entry until its tenant changes or this many seconds
# pass (the bound for a change the feed would miss: one committed over ten minutes after its
# write).
CIAM_MEMORY_TENANTS = env_int("CIAM_MEMORY_TENANTS", 20_000)
CIAM_MEMORY_MAX_SECONDS = env_int("CIAM_MEMORY_MAX_SECONDS", 3600)
# A deleted tenant is suspended at once and purged this many days later.
CIAM_TENANT_PURGE_DAYS = 30

# The country/region list (django-countries, with its common names on) names a few places as
# ISO does, or in their own language: these are the English names people use (CLDR's, as
# operating systems and browsers show them), still translated per language.
COUNTRIES_OVERRIDE = {
    "BS": _("Bahamas"),
    "CV": _("Cape Verde"),
    "FK": _("Falkland Islands"),
    "GS": _("South Georgia and the South Sandwich Islands"),
    "MF": _("Saint Martin"),
    "NR": _("Nauru"),
    "PN": _("Pitcairn Islands"),
    "SX": _("Sint Maarten"),
    "US": _("United States"),
    "VG": _("British Virgin Islands"),
    "VI": _("U.S. Virgin Islands"),
}
