"""Which browser session a code and the tokens redeemed for it belong to.

A signed-in browser session gets a random identifier (the `sid` of OpenID Connect
Front-Channel Logout 1.0 §3) the first time it is sent back to an app with a code; the code
(Grant), and every access and refresh token issued from it or by refreshing them, carry it.
RP-initiated logout then ends what the session being ended signed in to, and nothing of the
customer's other browsers and devices.

The session also remembers the identity provider its sign-in went through (the issuer, recorded
by the journey as it signs the customer in: `sign_in_identity_provider_record`). The code
issued in that session carries it, and so do the refresh tokens issued from it; the ID tokens
say it as `idp` (Entra's claim). A sign-in here (a password, a code) records "".

It remembers, the same way, the methods its sign-in used (RFC 8176 `amr` values, apps/oidc/acr.py):
the code and refresh tokens carry them, and the ID and access tokens say them as `amr` and the
strength they add up to as `acr`. A session signed in before they were recorded has none, and
its tokens carry neither claim.
"""

import secrets
from collections.abc import Iterable

from django.http import HttpRequest

from apps.oidc.acr import amr_ordered

# In the session's data. It survives the session key's rotation (a password change, say), and
# a new session (after a sign-out) starts without one.
_SESSION_KEY = "ciam_session_id"
# Where the authorization endpoint leaves it for the validator, which sees only a copy of the
# request's environment (oauthlib); not an HTTP_ key, so no client header can forge it.
SESSION_ID_META_KEY = "ciam.session_id"
_IDENTITY_PROVIDER_KEY = "ciam_identity_provider"
IDENTITY_PROVIDER_META_KEY = "ciam.identity_provider"
_SIGN_IN_METHODS_KEY = "ciam_sign_in_methods"
SIGN_IN_METHODS_META_KEY = "ciam.sign_in_methods"


def browser_session_id(request: HttpRequest, *, create: bool) -> str:
    """The signed-in browser session's identifier; made now if `create` and it has none yet
    (then the session is saved with the response), else "" for a session without one."""
    session_id = request.session.get(_SESSION_KEY, "")
    if not isinstance(session_id, str):
        session_id = ""
    if not session_id and create:
        session_id = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = session_id
    return session_id


def sign_in_identity_provider_record(request: HttpRequest, *, issuer: str) -> None:
    """Record, on signing the customer in, the issuer of the identity provider the sign-in went
    through ("" for a sign-in here); it replaces the previous sign-in's."""
    if issuer:
        request.session[_IDENTITY_PROVIDER_KEY] = issuer
    else:
        request.session.pop(_IDENTITY_PROVIDER_KEY, None)


def sign_in_identity_provider(request: HttpRequest) -> str:
    """The issuer the session's sign-in went through, "" for a sign-in here."""
    issuer = request.session.get(_IDENTITY_PROVIDER_KEY, "")
    return issuer if isinstance(issuer, str) else ""


def sign_in_methods_record(request: HttpRequest, *, methods: Iterable[str]) -> None:
    """Record, on signing the customer in, the methods the sign-in used (RFC 8176 values;
    unknown ones dropped); it replaces the previous sign-in's."""
    request.session[_SIGN_IN_METHODS_KEY] = list(amr_ordered(methods))


def sign_in_methods(request: HttpRequest) -> tuple[str, ...]:
    """The methods the session's sign-in used, () for a session signed in before they were
    recorded."""
    methods = request.session.get(_SIGN_IN_METHODS_KEY, [])
    if not isinstance(methods, list):
        return ()
    return amr_ordered(method for method in methods if isinstance(method, str))
