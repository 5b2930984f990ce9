"""App registrations and their tokens: django-oauth-toolkit's models, swapped in migration 0001.

Each lives in a tenant's schema, so an app, its grants and its tokens are invisible to every
other tenant by construction.
"""

from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractDeviceGrant,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
)


class AppRegistration(AbstractApplication):
    """Swapped in for django-oauth-toolkit's model of the same role."""


class Grant(AbstractGrant):
    """Swapped in for django-oauth-toolkit's model of the same role."""


class AccessToken(AbstractAccessToken):
    """Swapped in for django-oauth-toolkit's model of the same role."""


class RefreshToken(AbstractRefreshToken):
    """Swapped in for django-oauth-toolkit's model of the same role."""


class IDToken(AbstractIDToken):
    """Swapped in for django-oauth-toolkit's model of the same role."""


class DeviceGrant(AbstractDeviceGrant):
    """Swapped in for django-oauth-toolkit's model of the same role."""
