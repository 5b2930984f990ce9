"""The one table of a tenant's protocol endpoints (DESIGN.md decision 3), by URL name.

Each path is what reverse() gives for the endpoint's name in the tenant URLconf, worked out once
per process, so nothing types `/oauth2/v2.0/...` by hand and the busiest path pays no reverse().
Discovery, the admin center's endpoint lists and quick starts, the error pages and tenant
routing's token-endpoint shortcut read it; `tenants.selectors.tenant_endpoint_url` makes an
absolute URL of an entry for a tenant. The kernel names the URLs only: the views behind them
belong to the floors above (apps/oidc/urls.py), and reverse() finds them through TENANT_URLCONF.
"""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, reverse


@dataclass(frozen=True)
class Endpoint:
    # The name in the tenant URLconf (DOT's namespace, so that DOT's own reverse() calls resolve).
    url_name: str
    # Entra's name for it, as the admin center lists it for apps to configure.
    label: str
    # Its key in the discovery document (OIDC Discovery 1.0 §3, RFC 8414 §2), if it has one.
    metadata_key: str | None = None

    @property
    def path(self) -> str:
        """The endpoint's path below the tenant's segment, such as `/oauth2/v2.0/token`."""
        return _path_of(self.url_name)


def tenant_path(url_name: str) -> str:
    """The path below a tenant's segment of any URL name of the tenant URLconf (a hosted
    page's, such as `account_login`), worked out once per process as the endpoints' are."""
    return _path_of(url_name)


@functools.cache
def _path_of(url_name: str) -> str:
    # reverse() puts the script prefix of the moment in front (a tenant's, inside a request, and
    # a deployment's own SCRIPT_NAME): what follows it is the same for every tenant.
    prefix = get_script_prefix()
    return "/" + reverse(url_name, urlconf=settings.TENANT_URLCONF).removeprefix(prefix)


METADATA = Endpoint(
    "oauth2_provider:oidc-connect-discovery-info", "OpenID Connect metadata document"
)
AUTHORIZE = Endpoint(
    "oauth2_provider:authorize", "OAuth 2.0 authorization endpoint (v2)", "authorization_endpoint"
)
TOKEN = Endpoint("oauth2_provider:token", "OAuth 2.0 token endpoint (v2)", "token_endpoint")
USERINFO = Endpoint("oauth2_provider:user-info", "UserInfo endpoint", "userinfo_endpoint")
LOGOUT = Endpoint("oauth2_provider:rp-initiated-logout", "Logout endpoint", "end_session_endpoint")
REVOKE = Endpoint(
    "oauth2_provider:revoke-token", "Token revocation endpoint", "revocation_endpoint"
)
INTROSPECT = Endpoint(
    "oauth2_provider:introspect", "Token introspection endpoint", "introspection_endpoint"
)
JWKS = Endpoint("oauth2_provider:jwks-info", "Signing keys (JWKS)", "jwks_uri")

# In the order the admin center lists them.
ENDPOINTS = (METADATA, AUTHORIZE, TOKEN, USERINFO, LOGOUT, REVOKE, INTROSPECT, JWKS)
