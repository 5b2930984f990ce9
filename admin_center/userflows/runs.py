"""Entra's "Run user flow": an authorization request that opens the flow's hosted pages for one
of its apps, so the admin sees what customers see.

The request goes to the app's first redirect URI. When that URI is a single-page or mobile one
(a public client's, whatever the app's main platform) the request must carry a PKCE challenge
(RFC 7636), as the protocol decides per redirect URI. Each such run gets a fresh
code verifier (§4.1: 256 random bits, base64url), kept server-side in the admin's session and
shown only on the admin's own user-flow page, never in the link: the challenge in the link
(S256, §4.2) does not let anyone who sees it redeem the code (§4.4, §7.1).
"""

import base64
import hashlib
import secrets
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from django.contrib.sessions.backends.base import SessionBase

from apps.models import PUBLIC_PLATFORMS, AppRegistration
from apps.selectors import redirect_uri_platforms
from tenants.endpoints import AUTHORIZE
from tenants.models import Tenant
from tenants.selectors import tenant_endpoint_url

# The admin's session keeps the last few runs' verifiers, so a code from any of the tabs the
# admin opened can still be redeemed by hand; older ones are forgotten.
SESSION_KEY = "admin_center.userflow_runs"
KEPT_RUNS = 10


@dataclass(frozen=True)
class UserFlowRun:
    """One run: the request's `state` and `client_id`, and the PKCE verifier for its code
    ("" for a confidential app, which proves itself with its secret instead)."""

    state: str
    client_id: str
    code_verifier: str


def code_challenge_s256(code_verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(code_verifier))) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def userflow_run_redirect_uri(app: AppRegistration) -> str:
    """The redirect URI a run goes to: the app's first (the app must have one)."""
    uris: str = app.redirect_uris
    return uris.split()[0]


def userflow_run_needs_pkce(app: AppRegistration) -> bool:
    """Whether a run's code is for a public platform's redirect URI (a single-page URI of a web
    app too: its code is redeemed without a secret, so only PKCE binds it). Call it in the
    tenant's schema."""
    return redirect_uri_platforms(app)[userflow_run_redirect_uri(app)] in PUBLIC_PLATFORMS


def userflow_run_begin(*, session: SessionBase, app: AppRegistration, pkce: bool) -> UserFlowRun:
    """A new run for the app, remembered in the admin's session (the last KEPT_RUNS), with a
    PKCE verifier when `pkce` (userflow_run_needs_pkce)."""
    run = UserFlowRun(
        state=secrets.token_urlsafe(16),
        client_id=app.client_id,
        # 32 random bytes give a 43-character verifier, the length §4.1 recommends.
        code_verifier=secrets.token_urlsafe(32) if pkce else "",
    )
    session[SESSION_KEY] = [*session.get(SESSION_KEY, []), asdict(run)][-KEPT_RUNS:]
    return run


def userflow_runs(*, session: SessionBase) -> list[UserFlowRun]:
    """The runs remembered in the admin's session, newest first."""
    runs: list[UserFlowRun] = []
    for stored in session.get(SESSION_KEY, []):
        if isinstance(stored, dict) and set(stored) == {"state", "client_id", "code_verifier"}:
            runs.append(UserFlowRun(**stored))
    return runs[::-1]


def userflow_run_url(*, tenant: Tenant, app: AppRegistration, run: UserFlowRun) -> str:
    """The authorization request of the run, to the app's first redirect URI (the app must have
    one), with the run's PKCE challenge when it has a verifier."""
    query = {
        "client_id": app.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": userflow_run_redirect_uri(app),
        "state": run.state,
        "nonce": secrets.token_urlsafe(16),
        "prompt": "login",
    }
    if run.code_verifier:
        query["code_challenge"] = code_challenge_s256(run.code_verifier)
        query["code_challenge_method"] = "S256"
    return f"{tenant_endpoint_url(tenant, AUTHORIZE)}?{urlencode(query)}"
