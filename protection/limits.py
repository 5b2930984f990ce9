"""Request limits on a tenant's authentication endpoints (issue 12, Entra's published figures):
at most N requests a second from one client address and M for the whole tenant (the tenant's
`SignInProtection`: 20 and 200 by default), answered `429 Too Many Requests` with
`Retry-After` (tenants.errors.too_many_requests: JSON on the token endpoint, the tenant's
branded page elsewhere).

- **Which requests**: the tenant's authorization and token endpoints, and every page under
  `/account/` (sign-in, sign-up, emailed codes, password reset, the login stages' pages, the
  identity providers' sign-in and callbacks). Nothing else of the tenant (discovery, JWKS,
  userinfo, branding assets) is counted. `RequestLimitMiddleware` runs right after tenant
  routing; tenant routing's token endpoint shortcut runs through it too
  (CIAM_TOKEN_ENDPOINT_MIDDLEWARE), and the WSGI entry's client-credentials fast path asks
  `request_limit_refusal` itself.
- **Counted per tenant**: the per-address count is one tenant's (the key names its schema), so
  one tenant's limit governs only its own traffic and an attack on one tenant spends nothing
  of another's. A request refused for its address is not counted for the tenant: one
  flooding address cannot spend the whole tenant's allowance.
- **Fixed one-second windows in the shared cache**, never in a process: the key names the
  second; on Redis one script does both increments and sets their expiry atomically (one round
  trip); on another cache (the PostgreSQL table) `add` then `incr`.
- **The client address** is allauth's (behind CIAM_TRUSTED_PROXY_COUNT proxies, the entry
  they appended to X-Forwarded-For; an IPv6 client by its /64): `client_address`. Keys hold a
  keyed hash of it, never the address. A request whose address cannot be read is counted for
  the tenant only (the request guard refuses it next).
- **The tenant's limits** are read from its `SignInProtection` row once per
  CIAM_PROTECTION_CACHE_SECONDS per process (5 s): a change made in the admin center holds on
  every node within that time.
- **If Redis fails**, the request goes on (logged): the limits are a guard in front of the
  sign-in, and a cache outage must not take every tenant's sign-in down with it.
"""

import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import models
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError

from monitoring.records import client_address as whole_client_address
from monitoring.records import client_address_of_environ
from protection.models import SignInProtection
from protection.selectors import sign_in_protection_in_force
from tenants.endpoints import AUTHORIZE, TOKEN
from tenants.errors import too_many_requests
from tenants.schemas import current_schema_name

logger = logging.getLogger(__name__)

ACCOUNT_PAGES = "/account/"
# The windows' keys outlive their second a little: a slow request still finds its window.
_WINDOW_KEPT_SECONDS = 2
# Both counts in one round trip. KEYS: the address's and the tenant's windows; ARGV: the
# address's limit and the keys' lifetime. Returns both counts; the tenant's is not raised (0)
# for a request its address already spent.
_SCRIPT = """
local address = redis.call('INCR', KEYS[1])
if address == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if address > tonumber(ARGV[1]) then return {address, 0} end
local tenant = redis.call('INCR', KEYS[2])
if tenant == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return {address, tenant}
"""

# One count in one round trip. KEYS: the count; ARGV: its lifetime from its first event.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""

# The scripts, registered with Redis's client once per process.
_script: Any = None
_count_script: Any = None
_digest_key: bytes | None = None


def _now() -> float:
    """The wall clock (every node's windows are the same seconds)."""
    return time.time()


def is_authentication_path(path_info: str) -> bool:
    """Whether a tenant's path (below its segment) is one the limits count."""
    return path_info.startswith(ACCOUNT_PAGES) or path_info in (AUTHORIZE.path, TOKEN.path)


def _counted(address: str | None) -> str | None:
    """An address as the limits count it: an IPv6 client by its /64, as allauth's own limits
    count it (an IPv4 address mapped into IPv6 already reads as the IPv4 address: allauth
    would cut it to the /64 that every such client shares)."""
    if address is None:
        return None
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False).network_address)
    return address


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the limits count it (`monitoring.records.client_address`, an
    IPv6 one by its /64), or None when it cannot be read."""
    return _counted(whole_client_address(request))


def environ_client_address(environ: Mapping[str, Any]) -> str | None:
    """`client_address` for a request that has not become Django's yet (the WSGI entry)."""
    return _counted(client_address_of_environ(environ))


def _default(name: str) -> int:
    field = SignInProtection._meta.get_field(name)
    return int(field.default) if isinstance(field, models.Field) else 0


def _unsaved_limits() -> tuple[int, int]:
    """A tenant that never saved its sign-in protection has the model's defaults (Entra's),
    unless the deployment's settings say otherwise (the test settings raise them, so that tests
    not about limits are never refused)."""
    configured = settings.CIAM_REQUEST_LIMITS_UNSAVED
    if configured is not None:
        return int(configured[0]), int(configured[1])
    return (
        _default("requests_per_second_per_address"),
        _default("requests_per_second_per_tenant"),
    )


def tenant_limits() -> tuple[int, int]:
    """The current tenant's (requests a second per address, for the tenant), as its sign-in
    protection in force says (`protection.selectors.sign_in_protection_in_force`: remembered
    by this process for CIAM_PROTECTION_CACHE_SECONDS)."""
    protection = sign_in_protection_in_force()
    if protection.pk is None:
        return _unsaved_limits()
    return (
        int(protection.requests_per_second_per_address),
        int(protection.requests_per_second_per_tenant),
    )


def keyed_digest(value: str) -> str:
    """A keyed hash of an address or an account for the shared cache's keys (a process-wide
    key derived from SECRET_KEY): the cache never holds either in the clear."""
    global _digest_key
    if _digest_key is None:
        _digest_key = hashlib.sha256(f"protection.limits\n{settings.SECRET_KEY}".encode()).digest()
    return hashlib.blake2b(value.encode(), key=_digest_key, digest_size=12).hexdigest()


def _window_keys(address: str | None, second: int) -> tuple[str, str]:
    """The cache keys (before the cache's own prefix, which names the schema) of this second's
    windows: the address's and the tenant's."""
    who = keyed_digest(address) if address is not None else "-"
    return f"protection:rps:a:{who}:{second}", f"protection:rps:t:{second}"


def _count_on_redis(
    backend: RedisCache, keys: tuple[str, str], per_address: int
) -> tuple[int, int]:
    global _script
    made = [backend.make_key(key) for key in keys]
    # Django's Redis backend lends its client (and connection pool) for commands it lacks.
    client = backend._cache.get_client(made[0], write=True)  # type: ignore[attr-defined]
    if _script is None:
        _script = client.register_script(_SCRIPT)
    address, tenant = _script(keys=made, args=[per_address, _WINDOW_KEPT_SECONDS], client=client)
    return int(address), int(tenant)


def shared_count(key: str, *, seconds: int, backend: BaseCache | None = None) -> int:
    """Add one to the count under `key` in the shared cache and return it; a count that does
    not exist starts at 1 and lives `seconds` from then (a window that starts with its first
    event). Atomic: on Redis one script, one round trip (the cache API's `incr` asks whether
    the key exists first, so `add` then `incr` took three); elsewhere `add` then `incr`."""
    global _count_script
    backend = backend or caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        made = backend.make_key(key)
        client = backend._cache.get_client(made, write=True)  # type: ignore[attr-defined]
        if _count_script is None:
            _count_script = client.register_script(_COUNT_SCRIPT)
        return int(_count_script(keys=[made], args=[seconds], client=client))
    if backend.add(key, 1, timeout=seconds):
        return 1
    try:
        return int(backend.incr(key))
    except ValueError:  # it ended between the two calls: this is a new one's first
        backend.add(key, 1, timeout=seconds)
        return 1


def _count_generic(backend: BaseCache, keys: tuple[str, str], per_address: int) -> tuple[int, int]:
    address = shared_count(keys[0], seconds=_WINDOW_KEPT_SECONDS, backend=backend)
    if address > per_address:
        return address, 0
    return address, shared_count(keys[1], seconds=_WINDOW_KEPT_SECONDS, backend=backend)


def request_limit_refusal(address: str | None) -> int | None:
    """Count one request to the current tenant's authentication endpoints from `address`
    (call in the tenant's schema): None when it may go on, else the seconds after which the
    client may retry (the rest of this one-second window, rounded up: 1). The first refusal of
    a window is logged, not the others."""
    per_address, per_tenant = tenant_limits()
    keys = _window_keys(address, int(_now()))
    backend = caches[DEFAULT_CACHE_ALIAS]
    try:
        if isinstance(backend, RedisCache):
            from_address, for_tenant = _count_on_redis(backend, keys, per_address)
        else:
            from_address, for_tenant = _count_generic(backend, keys, per_address)
    except RedisError:
        logger.warning("Request limits not counted: the cache did not answer.", exc_info=True)
        return None
    if from_address > per_address:
        if from_address == per_address + 1:
            logger.warning(
                "Request limit: more than %s requests in a second from %s in schema %s.",
                per_address,
                address,
                current_schema_name(),
            )
        return 1
    if for_tenant > per_tenant:
        if for_tenant == per_tenant + 1:
            logger.warning(
                "Request limit: more than %s requests in a second for schema %s.",
                per_tenant,
                current_schema_name(),
            )
        return 1
    return None


class RequestLimitMiddleware:
    """Refuses, with a 429, a request to a tenant's authentication endpoints beyond the
    tenant's limits (see the module's docstring). Placed right after tenant routing, before
    anything reads the body, the session or the database for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "ciam_tenant", None) is not None and is_authentication_path(
            request.path_info
        ):
            retry_after = request_limit_refusal(client_address(request))
            if retry_after is not None:
                return too_many_requests(request, retry_after=retry_after)
        return self.get_response(request)
