"""Accounts, passwords, allauth and django-oauth-toolkit."""

from ciam_portal.environment import env_bool, env_int, env_list, persistent_fernet_key

AUTH_USER_MODEL = "accounts.User"
# Email is unique case-insensitively (a functional unique index on LOWER(email)), which this
# check cannot see; the manager looks accounts up with iexact.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# The hashes a bulk import brings from other systems (accounts/hashers.py, docs/bulk-import.md):
# each verifies its customer's first sign-in, after which Django re-hashes the password with the
# first hasher below and saves it.
PASSWORD_IMPORT_HASHERS = [
    "accounts.hashers.ImportedBcryptPasswordHasher",
    "accounts.hashers.KeycloakPbkdf2Sha256PasswordHasher",
    "accounts.hashers.KeycloakPbkdf2Sha512PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# argon2id at OWASP's parameters (19 MiB, 2 iterations, 1 lane); older hashes still verify.
PASSWORD_HASHERS = [
    "accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    *PASSWORD_IMPORT_HASHERS,
]
PRODUCTION_PASSWORD_HASHERS = PASSWORD_HASHERS
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    # Django's list of common passwords, leaked in breaches, where the tenant refuses them.
    {"NAME": "protection.passwords.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Customers (allauth, in each tenant's schema). URL names, never literal paths: every reverse()
# is prefixed with the tenant's segment.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "customer-home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
# Sign-up asks the email first; after its code is verified, the last step asks the password and
# the flow's attributes (a login stage: journey/stages.py), as Entra's sign-up does.
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_ADAPTER = "journey.adapters.CustomerAccountAdapter"
SOCIALACCOUNT_ADAPTER = "journey.adapters.CustomerSocialAccountAdapter"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
# Emailed codes as Entra sends them and as a phone's number pad types them: 8 digits, no dash.
# (A code typed or pasted with spaces or a dash still matches: allauth strips both before its
# constant-time comparison.) One format for sign-in, email verification and password reset.
ALLAUTH_USER_CODE_FORMAT = {"length": 8, "numeric": True, "dashed": False}
ACCOUNT_PREVENT_ENUMERATION = True
# Failed password sign-ins: allauth's per-address limit stays (10 a minute from one address,
# whatever the account: answered "too many attempts", which says nothing of any account); its
# per-account limit (5 in 5 minutes from anywhere) is dropped, because anyone could spend it
# and lock the customer out of their own home. Smart lockout (protection/lockout.py) counts
# per account instead, apart for familiar and unfamiliar places, and answers a locked
# account as a wrong password.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_FORMS = {"login": "journey.forms.CustomerLoginForm"}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
# Behind load balancers, the customer's address (per-IP limits on sign-in and codes) is the one
# the Nth proxy from the right appended to X-Forwarded-For; 0 (the default) trusts no header and
# uses the connection's address, the only safe choice without a proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("CIAM_TRUSTED_PROXY_COUNT", 0)
# How long each web process remembers a tenant's request limits (protection/limits.py): a change
# holds on every node within this many seconds.
CIAM_PROTECTION_CACHE_SECONDS = env_int("CIAM_PROTECTION_CACHE_SECONDS", 5)
# The request limits (per address, per tenant, a second) of a tenant that never saved its own;
# None: the model's defaults, Entra's published 20 and 200.
CIAM_REQUEST_LIMITS_UNSAVED: tuple[int, int] | None = None
# Password spraying (protection/risk.py): a source (an address, an IPv6 one by its /64; an IPv4
# address's /24 too) whose failed passwords touch CIAM_SPRAY_THROTTLE_ACCOUNTS accounts within
# the window is throttled for a window: its password sign-ins are limited to
# CIAM_SPRAY_THROTTLE_PER_SECOND a second (the rest refused with a 429), its risk is medium.
# One whose failures touch CIAM_SPRAY_ACCOUNTS_PER_ADDRESS (per network) accounts is marked as
# spraying for CIAM_SPRAY_MARK_SECONDS: its risk is high, its password sign-ins are refused
# with a 429.
CIAM_SPRAY_WINDOW_SECONDS = env_int("CIAM_SPRAY_WINDOW_SECONDS", 900)
CIAM_SPRAY_THROTTLE_ACCOUNTS = env_int("CIAM_SPRAY_THROTTLE_ACCOUNTS", 10)
CIAM_SPRAY_THROTTLE_PER_SECOND = env_int("CIAM_SPRAY_THROTTLE_PER_SECOND", 1)
CIAM_SPRAY_ACCOUNTS_PER_ADDRESS = env_int("CIAM_SPRAY_ACCOUNTS_PER_ADDRESS", 20)
CIAM_SPRAY_ACCOUNTS_PER_NETWORK = env_int("CIAM_SPRAY_ACCOUNTS_PER_NETWORK", 50)
CIAM_SPRAY_MARK_SECONDS = env_int("CIAM_SPRAY_MARK_SECONDS", 3600)
# The sign-in log (monitoring/records.py): on unless switched off (bench/sign_in_log.py measures
# what it costs a sign-in by running with it off too).
CIAM_SIGN_IN_LOG = env_bool("CIAM_SIGN_IN_LOG", True)
# Custom authentication extensions (extensions/client.py): how many calls of one tenant a web
# process lets wait on extensions at once; past that a call fails at once ("busy", under its
# listener's policy), so a tenant whose extension hangs never holds every thread of a worker.
CIAM_EXTENSION_CALLS_PER_TENANT = env_int("CIAM_EXTENSION_CALLS_PER_TENANT", 2)
# Usage insights (monitoring/usage.py): the rollup reads the log in batches of this many events,
# and only events recorded at least this long ago (longer than any request: a request's records
# are written as it ends, and an event with a lower ID must not commit behind the rollup).
CIAM_INSIGHTS_ROLLUP_BATCH = env_int("CIAM_INSIGHTS_ROLLUP_BATCH", 5000)
CIAM_INSIGHTS_SETTLE_SECONDS = env_int("CIAM_INSIGHTS_SETTLE_SECONDS", 120)
# How long a customer may take between an app's authorization request and the sign-in it leads
# to (hosted pages, codes by email, the steps before going back to the app); an older auth
# transaction reads as none, and the hosted pages no longer serve that app's user flow.
CIAM_AUTH_TRANSACTION_SECONDS = env_int("CIAM_AUTH_TRANSACTION_SECONDS", 3600)
# A sign-in waits at its login stages (the last sign-up step, a temporary password's change,
# later MFA) as long as its transaction lives: allauth's default, 15 minutes, cut short a
# customer filling in a long sign-up form.
ACCOUNT_LOGIN_TIMEOUT = CIAM_AUTH_TRANSACTION_SECONDS

# Second factors (allauth.mfa, run by the journey's own stage: journey/mfa/). Which of them a
# tenant offers is its Authentication methods policy (protection), not a setting; these say
# what allauth may do at all. Secrets are encrypted at rest by the adapter.
MFA_ADAPTER = "journey.mfa.adapter.CustomerMFAAdapter"
MFA_SUPPORTED_TYPES = ["recovery_codes", "totp", "webauthn"]
# Shown on the sign-in that enrols the first factor, then only by making new ones.
MFA_RECOVERY_CODES_SHOW_ONCE = True
# A passkey is a second factor here, never a way to sign in by itself.
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_PASSKEY_SIGNUP_ENABLED = False


# django-oauth-toolkit: its models are swapped in `apps` migration 0001 (DESIGN.md decision 6).
OAUTH2_PROVIDER_APPLICATION_MODEL = "apps.AppRegistration"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "apps.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "apps.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "apps.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "apps.Grant"
OAUTH2_PROVIDER_DEVICE_GRANT_MODEL = "apps.DeviceGrant"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "apps.oidc.validator.CiamValidator",
    # oauthlib's OpenID Connect server plus the custom claims step (apps/oidc/token_issuance.py).
    "OAUTH2_SERVER_CLASS": "apps.oidc.token_issuance.CiamServer",
    "OIDC_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    # Off: DOT would revoke every token of the hinted customer, on every device; our
    # LogoutView ends what the browser session being ended signed in to (apps/oidc/views.py).
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,
    # Which clients must use PKCE is decided per client by CiamValidator.is_pkce_required
    # (public ones must); True is also what DOT's RFC 9700 deploy check asks of this setting.
    "PKCE_REQUIRED": True,
    "ALLOW_URI_WILDCARDS": False,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "ACCESS_TOKEN_GENERATOR": "apps.oidc.tokens.access_token_generator",
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 90 * 24 * 3600,
    "SCOPES": {
        "openid": "Sign you in",
        "profile": "Read your basic profile",
        "email": "Read your email address",
        "offline_access": "Keep access while you are away",
    },
    "DEFAULT_SCOPES": [],
    "SCOPES_BACKEND_CLASS": "apps.oidc.scopes.TenantScopes",
    # RFC 9700 (OAuth 2.0 Security BCP): enforce every recommendation DOT can enforce. The
    # authorization response's `iss` (RFC 9207) is added by our AuthorizeView, per tenant.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
}

# Key-encryption keys for the tenants' private signing keys (Fernet keys, comma-separated; the
# first encrypts, all decrypt, so a new key can be rolled in before the old one is dropped).
CIAM_KEY_ENCRYPTION_KEYS = env_list("CIAM_KEY_ENCRYPTION_KEYS", []) or [
    persistent_fernet_key("key_encryption_key")
]
# A tenant's active signing key is rotated after this many days (Celery beat); a retiring key
# stays published this long after it stopped signing, so the tokens it signed still verify.
CIAM_SIGNING_KEY_ROTATION_DAYS = env_int("CIAM_SIGNING_KEY_ROTATION_DAYS", 90)
CIAM_SIGNING_KEY_RETIRE_AFTER_HOURS = 48
CIAM_JWKS_MAX_AGE_SECONDS = 3600

# How long each web process remembers the token endpoint's lookups (client, secrets, granted
# roles, token lifetimes); see apps/lookups.py.
CIAM_LOOKUP_SECONDS = 5

# The sign-in journey the authorization endpoint hands customers to (apps/oidc/sign_in.py): named
# here, so that the protocol imports nothing of the hosted pages above it.
CIAM_SIGN_IN_JOURNEY = "journey.seam.JOURNEY"
# Asked once per token response that issues a customer's tokens for the claims of the app's
# custom claims provider (OnTokenIssuanceStart, apps/oidc/token_issuance.py); "" asks nobody.
CIAM_TOKEN_ISSUANCE_CLAIMS = "extensions.token_issuance.claims_for_token"
