"""Which browser session a code and the tokens redeemed for it belong to.

A signed-in browser session gets a random identifier (the `sid` of OpenID Connect
Front-Channel Logout 1.0 §3) the first time it is sent back to an app with a code; the code
(Grant), and every access and refresh token issued from it or by refreshing them, carry it.
RP-initiated logout then ends what the session being ended signed in to, and nothing of the
customer's other browsers and devices.
"""

import secrets

from django.http import HttpRequest

# In the session's data. It survives the session key's rotation (a password change, say), and
# a new session (after a sign-out) starts without one.
_SESSION_KEY = "ciam_session_id"
# Where the authorization endpoint leaves it for the validator, which sees only a copy of the
# request's environment (oauthlib); not an HTTP_ key, so no client header can forge it.
SESSION_ID_META_KEY = "ciam.session_id"


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
