"""Tenancy: one PostgreSQL schema per customer tenant (DESIGN.md decisions 1, 2 and 4)."""

SHARED_APPS = [
    "django_tenants",
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
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.postgres",
    "django.contrib.auth",
    "accounts",
    "apps",
    "userflows",
    "branding",
    "journey",
    "oauth2_provider",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
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

# How long a resolved tenant is remembered by each web process. A suspension reaches every
# node within this many seconds; the node that made it forgets at once.
CIAM_TENANT_CACHE_SECONDS = 5
# A deleted tenant is suspended at once and purged this many days later.
CIAM_TENANT_PURGE_DAYS = 30
