"""Accounts, passwords, allauth and django-oauth-toolkit."""

AUTH_USER_MODEL = "accounts.User"
# Email is unique case-insensitively (a functional unique index on LOWER(email)), which this
# check cannot see; the manager looks accounts up with iexact.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# argon2id at OWASP's parameters (19 MiB, 2 iterations, 1 lane); older hashes still verify.
PASSWORD_HASHERS = [
    "accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Customers (allauth, in each tenant's schema). URL names, never literal paths: every reverse()
# is prefixed with the tenant's segment.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "customer-home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False

# django-oauth-toolkit: its models are swapped in `apps` migration 0001 (DESIGN.md decision 6).
OAUTH2_PROVIDER_APPLICATION_MODEL = "apps.AppRegistration"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "apps.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "apps.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "apps.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "apps.Grant"
OAUTH2_PROVIDER_DEVICE_GRANT_MODEL = "apps.DeviceGrant"
OAUTH2_PROVIDER = {
    "PKCE_REQUIRED": True,
    "ALLOW_URI_WILDCARDS": False,
}
