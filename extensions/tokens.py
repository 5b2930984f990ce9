"""The bearer token each extension call carries (issue 14): issued by the tenant itself, as
Entra issues one, so the extension validates it with any JWT library against the tenant's JWKS
(`<issuer>/discovery/v2.0/keys`, found through the tenant's discovery document):

- `iss`: the tenant's issuer; `aud`: the application ID (client ID) of the app registration that
  identifies the extension's API; `azp` and `appid`: `CALLER_APP_ID`, the platform's own,
  documented caller (Entra's is 99045fe1-7639-4a75-9d4a-577b6ca3810f; ours differs, so an
  extension checks for the caller it really has);
- signed RS256 with the tenant's active key (`kid` in the header), valid for 5 minutes; each
  process keeps one per (tenant, API) until a minute before it expires.
"""

import time
import uuid

import jwt

from apps.models import AppRegistration
from apps.signing import active_signing_key
from tenants.current import current_tenant
from tenants.memory import BoundedDict
from tenants.schemas import current_schema_name
from tenants.selectors import tenant_issuer

# The caller ID every extension call's token names in `azp` and `appid` (docs/extensions.md).
CALLER_APP_ID = "6c1e4c5a-0b1f-4a8e-9d36-2f6f2f1c7e11"
LIFETIME_SECONDS = 300
_RENEW_BEFORE_SECONDS = 60

_issued: dict[tuple[str, str, str], tuple[float, str]] = BoundedDict(2000)


def extension_bearer_token(api_app: AppRegistration) -> str:
    """A token for calling the extension whose API `api_app` identifies (tenant schema)."""
    kid, private_key = active_signing_key()
    key = (current_schema_name(), api_app.client_id, kid)
    now = time.time()
    found = _issued.get(key)
    if found is not None and found[0] - _RENEW_BEFORE_SECONDS > now:
        return found[1]
    issued_at = int(now)
    claims = {
        "iss": tenant_issuer(current_tenant()),
        "aud": api_app.client_id,
        "azp": CALLER_APP_ID,
        "appid": CALLER_APP_ID,
        "sub": CALLER_APP_ID,
        "tid": str(current_tenant().tenant_id),
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + LIFETIME_SECONDS,
        "jti": uuid.uuid4().hex,
        "ver": "2.0",
    }
    token = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})
    _issued[key] = (issued_at + LIFETIME_SECONDS, token)
    return token
