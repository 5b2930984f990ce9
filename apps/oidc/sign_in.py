"""Where the authorization endpoint hands a customer over to the sign-in journey.

The protocol does not know the hosted pages (docs/architecture.md, Floors): the journey sits
above it and plugs in here. When a validated authorization request needs a sign-in, the
endpoint describes it as a `SignInRequest` and hands it to the `SignInJourney` the setting
`CIAM_SIGN_IN_JOURNEY` names (`journey.seam.JOURNEY`), which remembers it, answers with the
sign-in page, ends it once the app has its answer, and says whether a signed-in customer still
has a step to take before any code, or must sign in again for the tenant's policies. This module
is the whole of what the two share.
"""

import functools
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import add_never_cache_headers
from django.utils.module_loading import import_string
from oauthlib.common import add_params_to_uri

from tenants.current import current_tenant
from tenants.selectors import tenant_issuer

# `prompt` values that ask for a fresh sign-in (OIDC Core §3.1.2.1).
FRESH_SIGN_IN_PROMPTS = frozenset({"login", "select_account"})


@dataclass(frozen=True)
class SignInRequest:
    """An authorization request the endpoint validated (RFC 6749 §4.1.1, OIDC Core §3.1.2.1)
    and must interrupt to ask the customer to sign in. `user_flow` is the app's user flow;
    `fresh_sign_in` says the app asked for a new sign-in (`prompt=login` or `select_account`,
    or a `max_age` the current sign-in exceeds); `mfa_asked` that it asked for two factors
    (`acr_values` or an `acr` claim, apps/oidc/acr.py), `mfa_essential` as an essential claim,
    which the sign-in must meet or answer `unmet_authentication_requirements`."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str
    code_challenge: str
    code_challenge_method: str
    prompt: tuple[str, ...]
    max_age: int | None
    login_hint: str
    ui_locales: tuple[str, ...]
    user_flow: uuid.UUID | None
    fresh_sign_in: bool
    mfa_asked: bool = False
    mfa_essential: bool = False


class SignInJourney(Protocol):
    def begin(self, request: HttpRequest, sign_in: SignInRequest) -> None:
        """Remember the request for the pages of the sign-in (replacing any earlier one)."""

    def sign_in_page(self, request: HttpRequest, next_url: str) -> HttpResponse:
        """The sign-in page, as this very answer; `next_url` is the authorization request to
        answer once the customer is signed in."""

    def finish(self, request: HttpRequest) -> None:
        """The app has its answer (a code or an error): the sign-in is over."""

    def step_pending(self, user: Any) -> bool:
        """Whether the signed-in customer still has a step to take before any code."""

    def session_meets_policies(self, request: HttpRequest, client_id: str) -> bool:
        """Whether the signed-in session may have a code for the app (a validated client ID)
        without signing in again: the tenant's conditional access policies, asked about this
        app, neither block it nor require more than the session's sign-in proved."""


@functools.cache
def sign_in_journey() -> SignInJourney:
    """The journey `CIAM_SIGN_IN_JOURNEY` names, loaded once per process."""
    journey: SignInJourney = import_string(settings.CIAM_SIGN_IN_JOURNEY)
    return journey


def authorization_error(
    *, redirect_uri: str, state: str, error: str, description: str
) -> HttpResponse:
    """The authorization endpoint's error answer to the app, for a request the journey cannot
    complete (RFC 6749 §4.1.2.1, with `iss`, RFC 9207 §2): a redirect to the request's
    validated redirect URI. The journey ends its transaction itself."""
    params = [("error", error), ("error_description", description)]
    if state:
        params.append(("state", state))
    params.append(("iss", tenant_issuer(current_tenant())))
    response = HttpResponseRedirect(add_params_to_uri(redirect_uri, params))
    add_never_cache_headers(response)
    return response
