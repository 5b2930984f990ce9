"""`private_key_jwt` toward an OpenID Provider (OIDC Core §9, RFC 7523 §2.2).

allauth's OpenID Connect client authenticates at the token endpoint with a client secret only,
and its callback view builds allauth's own adapter. So an OpenID Provider's callback
(journey/provider_callbacks.py) runs an adapter with `ClientAssertionAuthentication`: for a
provider that wants `private_key_jwt` (journey/providers.py puts the key in its unsaved app's
settings) its client sends a client assertion signed with our key in place of a secret. The
state, PKCE, the token request itself and every error page stay allauth's; the ID token's
checks are provider_callbacks.py's.
"""

import time
import uuid
from typing import Any

from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from django.http import HttpRequest
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException

from federation.keys import ClientKeyUnusable, client_key_load
from federation.models import ClientAuthentication

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# How long an assertion is valid: it is sent at once; five minutes leave room for the two
# clocks' difference, and are within what providers accept (ours: ten, apps/oidc/validator.py).
ASSERTION_LIFETIME_SECONDS = 300
# Where journey/providers.py puts the key (its PEM text, federation/keys.py) and its ID in the
# settings of a `private_key_jwt` provider's unsaved app.
KEY_SETTING = "client_assertion_key"
KEY_ID_SETTING = "client_assertion_key_id"


def client_assertion(*, client_id: str, audience: str, key_text: str, key_id: str) -> str:
    """A client assertion (RFC 7523 §3, OIDC Core §9): iss = sub = our client ID, aud = the
    provider's token endpoint, a unique `jti`, issued now and expiring in
    ASSERTION_LIFETIME_SECONDS; signed with the key's algorithm, its header naming the key
    (`kid`, the key ID or else its thumbprint) and its certificate (`x5t`, `x5t#S256`).

    Raises ClientKeyUnusable when the stored key cannot be read."""
    key = client_key_load(key_text)
    now = int(time.time())
    token = jwt.JWT(
        header={
            "alg": key.algorithm,
            "typ": "JWT",
            "kid": key_id or key.thumbprint,
            **key.certificate_thumbprints(),
        },
        claims={
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECONDS,
        },
    )
    token.make_signed_token(jwk.JWK.from_pyca(key.private_key))
    serialized: str = token.serialize()
    return serialized


class ClientAssertionClient(OAuth2Client):  # type: ignore[misc]
    """allauth's OAuth 2.0 client, authenticating at the token endpoint with a client assertion
    instead of a secret: `client_assertion_type` and `client_assertion` go in the body beside
    `client_id` (RFC 7523 §2.2), and no `client_secret` (its value is empty, and allauth leaves
    empty parameters out)."""

    def __init__(self, *args: Any, key_text: str, key_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consumer_secret = ""
        self.basic_auth = False
        self.key_text = key_text
        self.key_id = key_id

    def get_access_token(
        self,
        code: str,
        pkce_code_verifier: str | None = None,
        extra_data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """allauth's code exchange (RFC 6749 §4.1.3), signed for; a key that cannot sign is a
        failed sign-in (allauth's error page), not a crash."""
        try:
            assertion = client_assertion(
                client_id=self.consumer_key,
                audience=self.access_token_url,
                key_text=self.key_text,
                key_id=self.key_id,
            )
        except (ClientKeyUnusable, JWException, ValueError) as error:
            raise OAuth2Error("The client assertion could not be signed.") from error
        parameters = {
            **(extra_data or {}),
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        }
        token: dict[str, Any] = super().get_access_token(
            code, pkce_code_verifier=pkce_code_verifier, extra_data=parameters
        )
        return token


class ClientAssertionAuthentication:
    """An OpenID Connect adapter mixin (journey/provider_callbacks.py): for a provider that
    wants `private_key_jwt`, the client signs a client assertion; for any other, the client is
    allauth's own."""

    def get_client(self, request: HttpRequest, app: SocialApp) -> OAuth2Client:
        if app.settings.get("token_auth_method") != ClientAuthentication.PRIVATE_KEY_JWT:
            client: OAuth2Client = super().get_client(request, app)  # type: ignore[misc]
            return client
        adapter: Any = self
        return ClientAssertionClient(
            adapter.request,
            app.client_id,
            "",
            adapter.access_token_method,
            adapter.access_token_url,
            adapter.get_callback_url(request, app),
            scope_delimiter=adapter.scope_delimiter,
            headers=adapter.headers,
            key_text=app.settings.get(KEY_SETTING, ""),
            key_id=app.settings.get(KEY_ID_SETTING, ""),
        )
