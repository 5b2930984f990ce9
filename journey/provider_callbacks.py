"""Where Google, Facebook, Apple and the tenant's OpenID Providers send the customer back:
allauth's own callback view, run with adapters that check what the provider answered before
allauth believes it (ciam_portal/urls_tenant.py routes these in place of allauth's, under the
same paths and names).

allauth's adapters alone would:

- skip an ID token's signature when the token came from the token endpoint (OIDC Core
  §3.1.3.7 step 6 allows it, counting on TLS to authenticate the issuer). An OpenID
  Provider's endpoints are whatever its discovery document named, and a token nobody signed
  (`alg: none`) or signed with a key the provider does not publish was believed. Here every
  ID token is verified: an asymmetric signature with a key of the provider's key set, `iss`,
  `aud`, `exp` (`verified_id_token`);
- answer a 500 when the provider's answer is not shaped as documented: a token response that
  is not a JSON object or whose `expires_in` is no number (RFC 6749 §5.1), a key set without
  `keys` or `kid` (RFC 7517 §5), an ID token without a `kid`. Here that is the provider's
  failure like any other: our error page (400), nothing stored.

And for an OpenID Provider: the token response must carry an ID token (OIDC Core §3.1.3.3),
and the userinfo must be about its subject (OIDC Core §5.3.2).
"""

from typing import Any

import jwt
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp, SocialLogin, SocialToken
from allauth.socialaccount.providers.apple.views import AppleOAuth2Adapter
from allauth.socialaccount.providers.facebook.views import FacebookOAuth2Adapter
from allauth.socialaccount.providers.google.views import CERTS_URL, GoogleOAuth2Adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse

from journey.client_assertions import ClientAssertionAuthentication

# Signatures an ID token may carry: public-key ones (RFC 7518 §3.1), which a key the provider
# publishes verifies. `none` is never accepted, nor HMAC: the provider's key set holds no
# shared secret, and a public key is no HMAC key.
ID_TOKEN_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
# What allauth, or the libraries under it, raise on an answer not shaped as documented.
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError)


def verified_id_token(
    *, credential: object, keys_url: str, issuer: str, audience: str, lookup_kid: Any
) -> dict[str, Any]:
    """The claims of an ID token whose signature verifies with the key its `kid` names in the
    provider's key set at `keys_url`, issued by `issuer` to `audience` and not expired (OIDC
    Core §3.1.3.7 steps 2, 3, 6, 9); OAuth2Error otherwise, whatever is wrong with the token or
    the key set. `lookup_kid` reads the key set (allauth's jwtkit: Google's certificates, or a
    JWK Set)."""
    if not isinstance(credential, str):
        raise OAuth2Error("No ID token")
    try:
        header = jwt.get_unverified_header(credential)
    except jwt.PyJWTError as error:
        raise OAuth2Error("Invalid ID token") from error
    if header.get("alg") not in ID_TOKEN_ALGORITHMS or not isinstance(header.get("kid"), str):
        raise OAuth2Error("ID token not signed with a published key")
    try:
        claims: dict[str, Any] = jwtkit.verify_and_decode(
            credential=credential,
            keys_url=keys_url,
            issuer=issuer,
            audience=audience,
            lookup_kid=lookup_kid,
            verify_signature=True,
        )
    except _MALFORMED as error:
        raise OAuth2Error("The provider's key set is not a key set") from error
    if not all(claim in claims for claim in ("sub", "iat", "exp")):
        raise OAuth2Error("ID token without sub, iat or exp (OIDC Core §2)")
    return claims


class CheckedAnswers:
    """An OAuth2Adapter mixin: a token response not shaped as RFC 6749 §5.1 says is the
    provider's failure (OAuth2Error), as an error status already is."""

    def get_access_token_data(
        self,
        request: HttpRequest,
        app: SocialApp,
        client: OAuth2Client,
        pkce_code_verifier: str | None = None,
    ) -> dict[str, Any]:
        try:
            data = super().get_access_token_data(  # type: ignore[misc]
                request, app, client, pkce_code_verifier=pkce_code_verifier
            )
        except _MALFORMED as error:
            raise OAuth2Error("The token response is not OAuth 2.0's") from error
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise OAuth2Error("The token response is not OAuth 2.0's")
        return data

    def parse_token(self, data: dict[str, Any]) -> SocialToken:
        try:
            return super().parse_token(data)  # type: ignore[misc]
        except _MALFORMED as error:
            raise OAuth2Error("The token response is not OAuth 2.0's") from error

    def complete_login(
        self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any
    ) -> SocialLogin:
        """allauth reads the provider's claims (userinfo, Graph's /me) as documented: claims
        shaped otherwise are the provider's failure too."""
        try:
            return super().complete_login(  # type: ignore[misc]
                request, app, token, **kwargs
            )
        except _MALFORMED as error:
            raise OAuth2Error("The provider's claims are not shaped as documented") from error


class GoogleAdapter(CheckedAnswers, GoogleOAuth2Adapter):  # type: ignore[misc]
    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        return verified_id_token(
            credential=id_token,
            keys_url=CERTS_URL,
            issuer=self.id_token_issuer,
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_pem_x509_certificate,
        )


class FacebookAdapter(CheckedAnswers, FacebookOAuth2Adapter):  # type: ignore[misc]
    pass


class AppleAdapter(CheckedAnswers, AppleOAuth2Adapter):  # type: ignore[misc]
    """Apple's ID token is verified by allauth itself (signature always; `kid` missing or an
    algorithm the key cannot serve is caught by `CheckedAnswers.parse_token`)."""


class OpenIDConnectAdapter(
    CheckedAnswers,
    ClientAssertionAuthentication,
    OpenIDConnectOAuth2Adapter,  # type: ignore[misc]
):
    """Also authenticates by `private_key_jwt` where the provider wants it
    (journey/client_assertions.py)."""

    def complete_login(
        self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any
    ) -> SocialLogin:
        if not kwargs["response"].get("id_token"):
            raise OAuth2Error("No ID token in the token response (OIDC Core §3.1.3.3)")
        login: SocialLogin = super().complete_login(request, app, token, **kwargs)
        claims = login.account.extra_data
        userinfo = claims.get("userinfo")
        if userinfo is not None and userinfo.get("sub") != claims["id_token"]["sub"]:
            raise OAuth2Error("The userinfo is about someone else (OIDC Core §5.3.2)")
        return login

    def _fetch_user_info(self, access_token: str) -> dict[str, Any]:
        userinfo = super()._fetch_user_info(access_token)
        if not isinstance(userinfo, dict) or not isinstance(userinfo.get("sub"), str):
            raise OAuth2Error("The userinfo is not OpenID Connect's (OIDC Core §5.3.2)")
        return userinfo

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        try:
            keys_url, issuer = self.openid_config["jwks_uri"], self.openid_config["issuer"]
        except _MALFORMED as error:
            raise OAuth2Error("The discovery document names no keys or issuer") from error
        return verified_id_token(
            credential=id_token,
            keys_url=keys_url,
            issuer=issuer,
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
        )


google_callback = OAuth2CallbackView.adapter_view(GoogleAdapter)
facebook_callback = OAuth2CallbackView.adapter_view(FacebookAdapter)
# Apple's form_post lands on allauth's `apple_post_callback`, which sends the browser here.
apple_finish_callback = OAuth2CallbackView.adapter_view(AppleAdapter)


def openid_connect_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """A provider the flow does not enable is a 404, as at allauth's."""
    try:
        view = OAuth2CallbackView.adapter_view(OpenIDConnectAdapter(request, provider_id))
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist as error:
        raise Http404 from error
    return response
