"""The tenant's protocol endpoints: DOT's views with tenant-aware discovery, JWKS and logout."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import View
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import InvalidOIDCClientError, OAuthToolkitError
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.signals import app_authorized
from oauthlib.common import Request as OauthlibRequest
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2.rfc6749.errors import (
    CustomOAuth2Error,
    InvalidRequestError,
    LoginRequired,
    OAuth2Error,
)

from apps import lookups
from apps.models import AccessToken, AppRegistration, RefreshToken
from apps.oidc.acr import (
    ACR_VALUES_SUPPORTED,
    MULTIPLE_FACTORS,
    UNMET_AUTHENTICATION_REQUIREMENTS,
    AcrRequest,
    acr_request,
)
from apps.oidc.claims import CLAIMS_SUPPORTED
from apps.oidc.client_credentials import (
    client_challenge,
    client_credentials_token,
    is_lean_client_credentials,
)
from apps.oidc.introspection import introspection_of
from apps.oidc.redemptions import redemption_begin, redemption_record
from apps.oidc.sessions import (
    IDENTITY_PROVIDER_META_KEY,
    SESSION_ID_META_KEY,
    SIGN_IN_METHODS_META_KEY,
    browser_session_id,
    sign_in_identity_provider,
    sign_in_methods,
)
from apps.oidc.sign_in import FRESH_SIGN_IN_PROMPTS, SignInRequest, sign_in_journey
from apps.oidc.validator import SIGNED_IN_META_KEY, CiamValidator
from apps.revocation import session_tokens_revoke
from apps.selectors import tenant_spa_origins
from apps.signing import published_jwks
from monitoring.metrics import token_issued
from tenants import request_guard
from tenants.current import current_tenant
from tenants.endpoints import ENDPOINTS
from tenants.errors import with_error_body
from tenants.selectors import tenant_endpoint_url, tenant_issuer
from tenants.whole_numbers import whole_number

# The token endpoint's grants (RFC 6749 §4.1, §6, §4.4): discovery lists them, and the token
# endpoint refuses any other as unsupported.
GRANT_TYPES_SUPPORTED = ("authorization_code", "refresh_token", "client_credentials")


def discovery_document() -> dict[str, object]:
    """OpenID Connect Discovery 1.0 §3 and RFC 8414 §2, for the current tenant."""
    tenant = current_tenant()
    return {
        "issuer": tenant_issuer(tenant),
        **{
            endpoint.metadata_key: tenant_endpoint_url(tenant, endpoint)
            for endpoint in ENDPOINTS
            if endpoint.metadata_key
        },
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES_SUPPORTED),
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256"],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        # The languages the hosted pages speak; the journey picks among them by `ui_locales`.
        "ui_locales_supported": [code for code, _name in settings.LANGUAGES],
        # One factor or two (apps/oidc/acr.py): asked with `acr_values`, or as an essential
        # `acr` claim through the `claims` parameter, whose other members ask nothing more
        # than the scopes and the app's configured claims release (OIDC Core §5.5: a claim
        # not returned is no error).
        "acr_values_supported": list(ACR_VALUES_SUPPORTED),
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }


@method_decorator(csrf_exempt, name="dispatch")
class DiscoveryView(View):
    def get(self, request: HttpRequest) -> JsonResponse:
        response = JsonResponse(discovery_document())
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=3600"
        return response


@method_decorator(csrf_exempt, name="dispatch")
class JwksView(View):
    """The tenant's JWKS (RFC 7517 §5): next, active and retiring keys, cacheable for an hour."""

    def get(self, request: HttpRequest) -> JsonResponse:
        response = JsonResponse(published_jwks())
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = f"public, max-age={settings.CIAM_JWKS_MAX_AGE_SECONDS}"
        return response


class LogoutView(dot_views.RPInitiatedLogoutView):  # type: ignore[misc]
    """RP-Initiated Logout 1.0, ending the browser session it is asked in and only what that
    session signed in to (its tokens and codes, apps/oidc/sessions.py), with OpenID Connect
    Front-Channel Logout 1.0 to the apps it signed in to that registered a URL.

    Without a session there is nothing to end: the customer is asked (RP-Initiated Logout 1.0
    §2: an `id_token_hint` that belongs to no session of this browser must be confirmed), and
    confirming ends nothing but the way back to the app. An `id_token_hint` alone, which a link
    on any site can carry, never revokes anything.
    """

    def get_request_application(self, id_token: Any, client_id: str | None) -> Any:
        """An unknown `client_id` is the RP's error, shown on the page (never a crash)."""
        if client_id:
            app = AppRegistration.objects.filter(client_id=client_id[:100]).first()
            if app is None or len(client_id) > 100:
                raise InvalidOIDCClientError()
            return app
        return super().get_request_application(id_token, client_id)

    def must_prompt(self, token_user: Any) -> bool:
        if not self.request.user.is_authenticated:
            return True  # DOT would sign out at once, with no session to end
        prompt: bool = super().must_prompt(token_user)
        return prompt

    def do_logout(
        self,
        application: AppRegistration | None = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: Any = None,
    ) -> HttpResponse:
        """End this browser's session and what it signed in to, then DOT's sign-out and
        redirect (OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS is off: DOT would revoke every token
        of the hinted customer)."""
        front_channel: list[str] = []
        if self.request.user.is_authenticated:
            session_id = browser_session_id(self.request, create=False)
            front_channel = self._front_channel_urls(session_id)
            session_tokens_revoke(session_id=session_id)
        response = super().do_logout(application, post_logout_redirect_uri, state, token_user)
        if not post_logout_redirect_uri:
            response = HttpResponse(status=302)
            response["Location"] = reverse("account_login")
        if not front_channel:
            return response
        page = render(
            self.request,
            "hosted/signed_out.html",
            {"front_channel": front_channel, "next_url": response["Location"]},
        )
        # The page frames the apps' front-channel logout URLs: their origins, and only those.
        origins = sorted({"{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in front_channel})
        page._csp_update = {"frame-src": origins}  # type: ignore[attr-defined]
        return page

    @staticmethod
    def _front_channel_urls(session_id: str) -> list[str]:
        """The front-channel logout URLs of the apps the session signed in to."""
        if not session_id:
            return []
        issuer = tenant_issuer(current_tenant())
        apps = AppRegistration.objects.filter(
            Q(pk__in=AccessToken.objects.filter(session_id=session_id).values("application"))
            | Q(pk__in=RefreshToken.objects.filter(session_id=session_id).values("application"))
        ).exclude(front_channel_logout_url="")
        return [
            f"{app.front_channel_logout_url}"
            f"{'&' if '?' in app.front_channel_logout_url else '?'}iss={issuer}"
            for app in apps
        ]


class AuthorizeView(dot_views.AuthorizationView):  # type: ignore[misc]
    """The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2).

    On top of DOT: the sign-in page is this endpoint's own answer, after the request was
    validated, handed to the sign-in journey above (apps/oidc/sign_in.py); `prompt=login` and
    `select_account` and an exceeded `max_age` ask a signed-in customer to sign in again
    (OIDC Core §3.1.2.1) without signing them out, since any site can send a browser here: the
    session is replaced only when that sign-in succeeds (the journey's business). Every response
    sent back to the app carries `iss` (RFC 9207 §2) and ends the sign-in.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.META[SIGNED_IN_META_KEY] = "1" if request.user.is_authenticated else "0"
        if request.user.is_authenticated:  # the code, if any, belongs to this session
            request.META[SESSION_ID_META_KEY] = browser_session_id(request, create=True)
            request.META[IDENTITY_PROVIDER_META_KEY] = sign_in_identity_provider(request)
            request.META[SIGN_IN_METHODS_META_KEY] = " ".join(sign_in_methods(request))
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    def validate_authorization_request(
        self, request: HttpRequest
    ) -> tuple[list[str], dict[str, Any]]:
        """DOT's validation (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.2), and a `plain`
        PKCE challenge refused with it, before anyone is asked to sign in (RFC 7636 §4.4.1:
        `invalid_request`, sent back to the app per RFC 6749 §4.1.2.1). oauthlib reads a
        challenge without a method as `plain` (§4.3); DOT would refuse it only once the code is
        made, after the sign-in."""
        scopes, credentials = super().validate_authorization_request(request)
        if credentials.get("code_challenge_method") == "plain":
            raise OAuthToolkitError(
                error=InvalidRequestError(
                    description='Unsupported "plain" code_challenge_method; use "S256".',
                    request=credentials["request"],
                ),
                redirect_uri=credentials["redirect_uri"],
            )
        if _acr_request(request, credentials).unmet:
            # An essential `acr` naming no value this server knows can never be met (OIDC
            # Core §5.5.1.1; Unmet Authentication Requirements 1.0 §4): said before anyone
            # is asked to sign in.
            raise OAuthToolkitError(
                error=CustomOAuth2Error(
                    error=UNMET_AUTHENTICATION_REQUIREMENTS,
                    description="None of the essential acr values is supported here.",
                    request=credentials["request"],
                ),
                redirect_uri=credentials["redirect_uri"],
            )
        return scopes, credentials

    def handle_no_permission(self) -> HttpResponse:
        """Validate the request before asking anyone to sign in: a bad client or redirect URI
        is shown on a page at once, and other errors go back to the app (RFC 6749 §4.1.2.1)."""
        prompt = self.request.GET.get("prompt", "").split()
        if "none" in prompt:
            response: HttpResponse = super().handle_no_permission()
            return response
        try:
            scopes, credentials = self.validate_authorization_request(self.request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        if "create" in prompt:
            self._begin_journey(self.request, scopes, credentials, fresh_sign_in=False)
            response = super().handle_no_permission()
            return response
        return self._sign_in_page(self.request, scopes, credentials, fresh_sign_in=False)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """A signed-in customer (LoginRequiredMixin sent anyone else to `handle_no_permission`):
        the code at once, unless the session's sign-in is not enough for this request. Then
        the customer signs in again, without being signed out: the app asked for a fresh
        sign-in, or two factors of a one-factor session; or the tenant's policies, asked about
        this app (the journey's `session_meets_policies`), block it or require two factors of
        this session, and the new sign-in's own steps then end on the blocked page or ask for
        the second factor. Policies are asked only when no new sign-in was due anyway: that
        sign-in asks them itself."""
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        step_up = self._needs_step_up(request, credentials)
        fresh = step_up or self._needs_fresh_sign_in(request)
        if not fresh:
            step_up = not sign_in_journey().session_meets_policies(
                request, credentials["client_id"]
            )
        if fresh or step_up:
            if "none" in request.GET.get("prompt", "").split():
                # A new sign-in or more of the session's is due, and no page may be shown
                # (OIDC Core §3.1.2.1: `max_age` exceeded with `prompt=none` is login_required).
                return self.error_response(
                    OAuthToolkitError(
                        error=LoginRequired(request=credentials["request"]),
                        redirect_uri=credentials["redirect_uri"],
                    ),
                    application=None,
                )
            return self._sign_in_page(request, scopes, credentials, fresh_sign_in=True)
        answered = self._answer_signed_in(request, scopes, credentials)
        if answered is not None:
            return answered
        response: HttpResponse = super().get(request, *args, **kwargs)
        return response

    @staticmethod
    def _begin_journey(
        request: HttpRequest,
        scopes: list[str],
        credentials: dict[str, Any],
        *,
        fresh_sign_in: bool,
    ) -> None:
        """Hand the journey the request its pages interrupt (its app, so its user flow, its
        `login_hint` and `ui_locales`); the sign-in form's CSRF secret goes into the same new
        session row, so showing the form writes nothing more."""
        app = lookups.client(credentials["client_id"])
        asked = _acr_request(request, credentials)
        sign_in = SignInRequest(
            client_id=credentials["client_id"],
            redirect_uri=credentials["redirect_uri"],
            scopes=tuple(scopes),
            state=_credential(credentials, "state"),
            nonce=_credential(credentials, "nonce"),
            code_challenge=_credential(credentials, "code_challenge"),
            code_challenge_method=_credential(credentials, "code_challenge_method"),
            prompt=tuple(request.GET.get("prompt", "").split()),
            max_age=whole_number(request.GET.get("max_age", "")),
            login_hint=request.GET.get("login_hint", ""),
            ui_locales=tuple(request.GET.get("ui_locales", "").split()),
            user_flow=app.user_flow.flow_id if app and app.user_flow else None,
            fresh_sign_in=fresh_sign_in,
            mfa_asked=asked.mfa,
            mfa_essential=asked.essential,
        )
        sign_in_journey().begin(request, sign_in)
        get_token(request)

    def _sign_in_page(
        self,
        request: HttpRequest,
        scopes: list[str],
        credentials: dict[str, Any],
        *,
        fresh_sign_in: bool,
    ) -> HttpResponse:
        """Ask the customer to sign in, in this very answer: the hosted sign-in page (as
        Entra's and Keycloak's authorization endpoints answer, one round trip fewer than a
        redirect to it), whose `next` is this authorization request.

        The sign-in about to happen satisfies `prompt=login`/`select_account` and any
        `max_age`, so `next` no longer asks for them (else a customer just signed in would be
        asked again, forever); it takes `acr_values` into account (the journey asks the
        second factor when one can be had), so `next` does not ask that again either.
        """
        self._begin_journey(request, scopes, credentials, fresh_sign_in=fresh_sign_in)
        query = request.GET.copy()
        query.pop("max_age", None)
        query.pop("acr_values", None)
        prompt = query.pop("prompt", [""])[-1].split()
        rest = [value for value in prompt if value not in FRESH_SIGN_IN_PROMPTS]
        if rest:
            query["prompt"] = " ".join(rest)
        next_url = f"{request.path}?{query.urlencode()}"
        return sign_in_journey().sign_in_page(request, next_url)

    def _answer_signed_in(
        self, request: HttpRequest, scopes: list[str], credentials: dict[str, Any]
    ) -> HttpResponse | None:
        """DOT's get() for the common case: a signed-in customer and an app whose permissions
        an admin consented (`skip_authorization`, every app here), without `prompt=create` or
        RFC 8707 `resource`. The same response for the request validated, without the consent
        form DOT builds and the app it reads again; anything else is DOT's (None)."""
        if "resource" in request.GET or "create" in request.GET.get("prompt", "").split():
            return None
        application = lookups.client(credentials["client_id"])
        if application is None or not application.skip_authorization:
            return None
        if isinstance(credentials.get("ui_locales"), list):
            credentials["ui_locales"] = " ".join(credentials["ui_locales"])
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        response: HttpResponse = self.redirect(uri, application)
        return response

    @staticmethod
    def _needs_step_up(request: HttpRequest, credentials: dict[str, Any]) -> bool:
        """The app asks for two factors (apps/oidc/acr.py) and the session's sign-in used one:
        the customer signs in again, with the second factor this time."""
        return _acr_request(request, credentials).mfa and MULTIPLE_FACTORS not in sign_in_methods(
            request
        )

    @staticmethod
    def _needs_fresh_sign_in(request: HttpRequest) -> bool:
        """The app asks for a new sign-in (OIDC Core §3.1.2.1), or the session was signed in
        before the journey's login stages existed and its account still has a step to take (a
        sign-in now runs the stages)."""
        if sign_in_journey().step_pending(request.user):
            return True
        prompt = set(request.GET.get("prompt", "").split())
        if prompt & FRESH_SIGN_IN_PROMPTS:
            return True
        max_age = whole_number(request.GET.get("max_age", ""))
        if max_age is not None:
            last_login = request.user.last_login  # type: ignore[union-attr]
            return last_login is None or (timezone.now() - last_login).total_seconds() > max_age
        return False

    def redirect(self, redirect_to: str, application: AppRegistration | None) -> HttpResponse:
        """Every answer sent back to the app (a code or an error) ends the auth transaction."""
        sign_in_journey().finish(self.request)
        issuer = tenant_issuer(current_tenant())
        redirect_to = add_params_to_uri(redirect_to, [("iss", issuer)])
        return super().redirect(redirect_to, application)


def _acr_request(request: HttpRequest, credentials: dict[str, Any] | None) -> AcrRequest:
    """What the authorization request asks of the sign-in's strength: its `acr_values`, and
    its `claims` as oauthlib read them (a malformed one is refused there), else as sent."""
    claims = credentials.get("claims") if credentials else request.GET.get("claims", "")
    return acr_request(acr_values=request.GET.get("acr_values", ""), claims=claims)


def _credential(credentials: dict[str, Any], name: str) -> str:
    """A text parameter of a validated authorization request, "" when it has none."""
    value = credentials.get(name)
    return value if isinstance(value, str) else ""


def grant_type_refusal(grant_types: list[str]) -> HttpResponse | None:
    """The answer to a token request without exactly one grant type this server supports:
    a missing or repeated `grant_type` is `invalid_request`, any other than those discovery
    lists (the password grant and the implicit flow included) `unsupported_grant_type`
    (RFC 6749 §5.2). oauthlib would answer a missing one as unsupported, and the password
    grant as `invalid_grant`. None for a request to go on with."""
    if len(grant_types) != 1 or not grant_types[0]:
        error = ("invalid_request", "Send one grant_type.")
    elif grant_types[0] not in GRANT_TYPES_SUPPORTED:
        error = ("unsupported_grant_type", "This grant type is not supported.")
    else:
        return None
    return JsonResponse({"error": error[0], "error_description": error[1]}, status=400)


def finish_token_response(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """What every token-endpoint response carries: no caching (RFC 6749 §5.1), a Basic challenge
    for a client that failed to authenticate (§5.2, client_challenge), CORS for single-page
    apps only."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    if response.status_code == 401:
        response["WWW-Authenticate"] = client_challenge(tenant_issuer(current_tenant()))
    origin = request.META.get("HTTP_ORIGIN")
    if origin:
        client_id = request.POST.get("client_id", "")
        app = lookups.client(client_id)
        if app is not None and origin in lookups.spa_origins(app):
            response["Access-Control-Allow-Origin"] = origin
        else:
            response.headers.pop("Access-Control-Allow-Origin", None)
        patch_vary_headers(response, ["Origin"])
    return response


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(dot_views.TokenView):  # type: ignore[misc]
    """The token endpoint (RFC 6749 §3.2): responses are never cached (§5.1)."""

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        """DOT's, reading the new access token back only for `app_authorized` listeners."""
        if app_authorized.has_listeners():
            response: HttpResponse = super().authorization_flow_token_response(request)
            return response
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """A code or a refresh token redeemed, or refused, is the sign-in log's row
        (apps/oidc/redemptions.py); a request refused for its grant type is none."""
        # Plain client credentials never get here: `token_endpoint` answers them first.
        grant_types = request.POST.getlist("grant_type")
        response: HttpResponse | None = grant_type_refusal(grant_types)
        if response is None:
            redemption = redemption_begin(request, grant_types[0])
            response = super().post(request, *args, **kwargs)
            if redemption is not None:
                redemption_record(request, redemption, response)
        return finish_token_response(request, response)

    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """CORS preflight: allowed for the origins of this tenant's single-page redirect URIs
        only (OAuth 2.0 for Browser-Based Apps §6.2)."""
        origin = request.META.get("HTTP_ORIGIN", "")
        response = HttpResponse(status=204)
        if origin and origin in tenant_spa_origins():
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = "POST"
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Max-Age"] = "3600"
        patch_vary_headers(response, ["Origin"])
        return response


_token_view = TokenView.as_view()


def token_endpoint(request: HttpRequest) -> HttpResponse:
    """The token endpoint as tenant routing calls it (CIAM_TOKEN_ENDPOINT_VIEW), ahead of the
    session, CSRF, locale and message middleware, none of which it uses: a malformed request is
    refused as the request guard refuses it, plain client credentials take their lean path
    (apps/oidc/client_credentials.py), and everything else is TokenView's."""
    # It skips CommonMiddleware, which refuses other pages' foreign hosts: it asks here.
    refused = request_guard.disallowed_host_refusal(
        request
    ) or request_guard.malformed_request_refusal(request)
    if refused is not None:
        refused["Cache-Control"] = "no-store"  # RFC 6749 §5.1
        return refused
    if request.method == "POST" and is_lean_client_credentials(request):
        return finish_token_response(request, client_credentials_token(request))
    response: HttpResponse = _token_view(request)
    if response.status_code == 200:
        token_issued(request.POST.get("grant_type", ""))
    elif response.status_code == 405:  # GET, say: the JSON error, not an empty body
        response = finish_token_response(request, with_error_body(request, response))
    return response


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectView(View):
    """Token introspection (RFC 7662) for confidential clients.

    A client learns about a token only if the token was issued to it or is meant for its API
    (`aud`); any other token reads as inactive (§2.2), so the endpoint reveals nothing about
    other clients' tokens. The client authenticates as at the token endpoint.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> JsonResponse:
        uri, method, body, headers = get_oauthlib_core()._extract_params(request)
        oauthlib_request = OauthlibRequest(uri, method, body, headers)
        validator = CiamValidator()
        try:
            authenticated = validator.authenticate_client(oauthlib_request)
        except OAuth2Error as error:  # two ways of authenticating at once (RFC 6749 §2.3)
            return JsonResponse(dict(error.twotuples), status=error.status_code)
        if not authenticated:
            response = JsonResponse({"error": "invalid_client"}, status=401)
            response["WWW-Authenticate"] = f'Basic realm="{tenant_issuer(current_tenant())}"'
            return response
        client: AppRegistration = oauthlib_request.client
        token = request.POST.get("token")
        if not token:
            return JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "The token parameter is missing.",
                },
                status=400,
            )
        response = JsonResponse(introspection_of(token, client))
        response["Cache-Control"] = "no-store"
        return response
