"""A local fake of Google's, Facebook's and Apple's servers, and of an OpenID Provider on the
internet (an attacker's, say): the only mock of the federation tests, since these servers lie
outside this machine. Everything of ours runs for real (allauth, the journey, the database).

The browser's side is played by the test: it follows our 302 to the provider's authorization
URL, and `consent` / `refuse` answer what the provider would send the browser back with. Our
server's side (token, userinfo, Graph, keys) goes through `FakeTransport`, a requests transport
mounted on the session allauth gets from our adapter (`fake_social` fixture). Any other host
answers a connection error: nothing leaves this machine.

Each endpoint answers in the format its provider documents (the page is named where it is
built) and checks what the real one checks: the client and its secret, the redirect URI the
code was issued for, a code used once (RFC 6749 §4.1.2), the PKCE verifier when the
authorization request carried a challenge (RFC 7636 §4.6), Facebook's `appsecret_proof`, and
Apple's client secret, an ES256 JWT verified with the public half of the key the admin
uploaded. A test may spoil the next ID token (`id_token_defect`) or the token endpoint's
answer (`token_answer`) to see what our side does with bad input.
"""

import base64
import datetime
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from journey.adapters import CustomerSocialAccountAdapter

GOOGLE_ISSUER = "https://accounts.google.com"
APPLE_ISSUER = "https://appleid.apple.com"
# An OpenID Provider somewhere on the internet that a tenant's admin registered.
OIDC_ISSUER = "https://id.example.net"

# What each ID token can be spoiled with (`FakeProviders.id_token_defect`).
ID_TOKEN_DEFECTS = (
    "bad_signature",
    "wrong_aud",
    "expired",
    "alg_none",
    "wrong_issuer",
    "no_kid",
    "hmac_with_public_key",
)


@dataclass
class Person:
    """Someone with an account at the provider. `sub` is the provider's ID for them (Google's
    and Apple's `sub`, Facebook's app-scoped `id`)."""

    sub: str
    email: str
    given_name: str = ""
    family_name: str = ""
    email_verified: bool = True
    private_email: bool = False  # Apple's "Hide My Email" relay address

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass
class Registration:
    """An app registered at the provider: what its console shows (client ID, secret, the
    redirect URIs allowed). Apple: the team, and the public half of each key the team made
    (by key ID) to check client secrets with."""

    client_id: str
    client_secret: str = ""
    redirect_uris: set[str] = field(default_factory=set)
    team_id: str = ""
    apple_keys: dict[str, ec.EllipticCurvePublicKey] = field(default_factory=dict)


@dataclass
class IssuedCode:
    provider: str
    client_id: str
    redirect_uri: str
    person: Person
    scope: str
    code_challenge: str = ""
    code_challenge_method: str = ""
    used: bool = False


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"

    @classmethod
    def json(cls, status: int, value: object) -> "Answer":
        return cls(status, json.dumps(value).encode())


class SigningKey:
    """An RSA key a provider signs ID tokens with, published under `kid`."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, str]:
        """RFC 7517 §4 / RFC 7518 §6.3: as Apple's and any OpenID Provider's `jwks_uri` lists
        a key."""
        numbers = self.private.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": _b64(numbers.e.to_bytes(3, "big")),
        }

    def certificate_pem(self) -> str:
        """Google's v1 certs format: a self-signed X.509 certificate of the public key, PEM."""
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.google.com")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=14))
            .sign(self.private, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def apple_private_key() -> tuple[str, ec.EllipticCurvePublicKey]:
    """A key as Apple's developer console issues it for Sign in with Apple: P-256, the .p8
    file's PKCS#8 PEM (what the admin uploads), and its public half (what Apple keeps)."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


class FakeProviders:
    """Google, Facebook, Apple and the OpenID Provider at OIDC_ISSUER, with their registered
    apps (`register`), the codes they issued and the requests they were sent (`requested`)."""

    def __init__(self) -> None:
        self.keys = {
            "google": SigningKey("google-2025-1"),
            "apple": SigningKey("apple-W6WcOKB"),
            "oidc": SigningKey("oidc-1"),
        }
        self.registrations: dict[tuple[str, str], Registration] = {}
        self.codes: dict[str, IssuedCode] = {}
        self.access_tokens: dict[str, tuple[str, str, Person]] = {}
        self.requested: list[str] = []
        # Spoils the next ID tokens: one of ID_TOKEN_DEFECTS, or "missing" (none in the token
        # response).
        self.id_token_defect = ""
        # The OpenID Provider's userinfo speaks of this subject instead of the token's owner.
        self.userinfo_sub = ""
        # Replaces the token endpoint's answer (a server error, a body that is not JSON).
        self.token_answer: Answer | None = None

    # -- the providers' consoles ---------------------------------------------------------

    def register(self, provider: str, registration: Registration) -> Registration:
        self.registrations[(provider, registration.client_id)] = registration
        return registration

    # -- the browser at the provider -----------------------------------------------------

    def consent(self, location: str, person: Person) -> str:
        """The person signs in at the provider and agrees: where Google, Facebook or the
        OpenID Provider sends the browser back (a GET of our callback with code and state)."""
        provider, query = self._authorization_request(location)
        code = self._issue_code(provider, query, person)
        answer = {"code": code, "state": query.get("state", "")}
        if provider == "google":
            # Google's redirect carries the granted scope and the account chooser's index too
            # (https://developers.google.com/identity/protocols/oauth2/web-server#handlingresponse).
            answer.update({"scope": query.get("scope", ""), "authuser": "0", "prompt": "none"})
        return f"{query['redirect_uri']}?{urlencode(answer)}"

    def refuse(self, location: str) -> str:
        """The person cancels at the provider: its error redirect (RFC 6749 §4.1.2.1; Facebook
        adds its own error_reason, https://developers.facebook.com/docs/facebook-login/guides/
        advanced/manual-flow#confirm)."""
        provider, query = self._authorization_request(location)
        answer = {"error": "access_denied", "state": query.get("state", "")}
        if provider == "facebook":
            answer = {
                "error_reason": "user_denied",
                "error": "access_denied",
                "error_description": "Permissions error.",
                "state": query.get("state", ""),
            }
        return f"{query['redirect_uri']}?{urlencode(answer)}"

    def apple_consent(
        self, location: str, person: Person, *, first_time: bool = True
    ) -> tuple[str, dict[str, str]]:
        """The person signs in with Apple: Apple POSTs a form to our callback (response_mode
        form_post) with code, id_token and state, and on the first authorization only the
        `user` JSON with the name the person shared
        (https://developer.apple.com/documentation/sign_in_with_apple/
        request_an_authorization_to_the_sign_in_with_apple_server,
        https://developer.apple.com/documentation/sign_in_with_apple/sign_in_with_apple_js/
        incorporating_sign_in_with_apple_into_other_platforms). Returns the URL and form."""
        provider, query = self._authorization_request(location)
        assert provider == "apple"
        assert query.get("response_mode") == "form_post"
        assert set(query.get("response_type", "").split()) == {"code", "id_token"}
        code = self._issue_code(provider, query, person)
        form = {
            "state": query.get("state", ""),
            "code": code,
            "id_token": self.id_token("apple", query["client_id"], person),
        }
        if first_time:
            form["user"] = json.dumps(
                {
                    "name": {"firstName": person.given_name, "lastName": person.family_name},
                    "email": person.email,
                }
            )
        return query["redirect_uri"], form

    def _authorization_request(self, location: str) -> tuple[str, dict[str, str]]:
        url = urlsplit(location)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        provider = {
            ("accounts.google.com", "/o/oauth2/v2/auth"): "google",
            ("appleid.apple.com", "/auth/authorize"): "apple",
            ("id.example.net", "/authorize"): "oidc",
        }.get((url.netloc, url.path))
        if url.netloc == "www.facebook.com" and url.path.endswith("/dialog/oauth"):
            provider = "facebook"
        assert provider is not None, f"not a provider's authorization URL: {location}"
        assert url.scheme == "https"
        registration = self.registrations.get((provider, query.get("client_id", "")))
        # Each provider shows its own error page, never redirecting, for these two.
        assert registration is not None, f"{provider}: unknown client_id"
        assert query.get("redirect_uri") in registration.redirect_uris, (
            f"{provider}: redirect_uri_mismatch {query.get('redirect_uri')}"
        )
        return provider, query

    def _issue_code(self, provider: str, query: dict[str, str], person: Person) -> str:
        code = f"{provider}-code-{secrets.token_urlsafe(24)}"
        self.codes[code] = IssuedCode(
            provider=provider,
            client_id=query["client_id"],
            redirect_uri=query["redirect_uri"],
            person=person,
            scope=query.get("scope", ""),
            code_challenge=query.get("code_challenge", ""),
            code_challenge_method=query.get("code_challenge_method", ""),
        )
        return code

    # -- ID tokens -------------------------------------------------------------------------

    def id_token(self, provider: str, client_id: str, person: Person) -> str:
        """An ID token as the provider signs it: RS256 under its published `kid`, spoiled by
        `id_token_defect` if set. Claims: Google's
        (https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload),
        Apple's (https://developer.apple.com/documentation/sign_in_with_apple/
        authenticating_users_with_sign_in_with_apple#Retrieve-the-users-information-from-Apple-ID-servers:
        email_verified and is_private_email are the strings "true"/"false"), OIDC Core §2."""
        now = int(time.time())
        issuer = {"google": GOOGLE_ISSUER, "apple": APPLE_ISSUER, "oidc": OIDC_ISSUER}[provider]
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": client_id,
            "sub": person.sub,
            "iat": now,
            "exp": now + 3600,
            "email": person.email,
        }
        if provider == "google":
            claims.update(
                azp=client_id,
                email_verified=person.email_verified,
                name=person.name,
                given_name=person.given_name,
                family_name=person.family_name,
                locale="en",
            )
        elif provider == "apple":
            claims.update(
                email_verified="true" if person.email_verified else "false",
                is_private_email="true" if person.private_email else "false",
                auth_time=now,
                nonce_supported=True,
            )
        else:
            claims.update(email_verified=person.email_verified, name=person.name)
        key = self.keys[provider]
        headers = {"kid": key.kid}
        defect = self.id_token_defect
        if defect == "wrong_aud":
            claims["aud"] = "someone-elses-client-id"
        elif defect == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif defect == "wrong_issuer":
            claims["iss"] = "https://issuer.example.org"
        elif defect == "alg_none":
            # Unsigned, but naming a published key: the header asks the verifier to skip it.
            return jwt.encode(claims, None, algorithm="none", headers=headers)
        elif defect == "bad_signature":
            # Signed with a key nobody published, under the published key's ID.
            return jwt.encode(
                claims, SigningKey(key.kid).private, algorithm="RS256", headers=headers
            )
        elif defect == "no_kid":
            return jwt.encode(claims, key.private, algorithm="RS256")
        elif defect == "hmac_with_public_key":
            # The algorithm-confusion forgery: HS256 keyed with the published public key.
            public_pem = key.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return _hs256(claims, public_pem, headers)
        return jwt.encode(claims, key.private, algorithm="RS256", headers=headers)

    # -- the providers' servers, as our server calls them ----------------------------------

    def answer(self, request: requests.PreparedRequest) -> Answer:
        url = urlsplit(str(request.url))
        self.requested.append(f"{request.method} {url.netloc}{url.path}")
        route = (request.method, url.netloc, url.path)
        form = {name: values[0] for name, values in parse_qs(_body(request)).items()}
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if route == ("POST", "oauth2.googleapis.com", "/token"):
            return self._oauth_token("google", form)
        if route == ("GET", "www.googleapis.com", "/oauth2/v1/certs"):
            # Google's signing certificates by key ID
            # (https://developers.google.com/identity/gsi/web/guides/verify-google-id-token).
            return Answer.json(
                200, {self.keys["google"].kid: self.keys["google"].certificate_pem()}
            )
        if route == ("POST", "appleid.apple.com", "/auth/token"):
            return self._apple_token(form)
        if route == ("GET", "appleid.apple.com", "/auth/keys"):
            # https://developer.apple.com/documentation/sign_in_with_apple/
            # fetch_apple_s_public_key_for_verifying_token_signature
            return Answer.json(200, {"keys": [self.keys["apple"].jwk()]})
        if url.netloc == "graph.facebook.com" and request.method == "GET":
            if url.path.endswith("/oauth/access_token"):
                return self._facebook_token(query)
            if url.path.endswith("/me"):
                return self._facebook_me(query)
        if url.netloc == "id.example.net":
            if route == ("GET", "id.example.net", "/.well-known/openid-configuration"):
                return Answer.json(200, oidc_discovery_document())
            if route == ("POST", "id.example.net", "/token"):
                return self._oauth_token("oidc", form)
            if route == ("GET", "id.example.net", "/userinfo"):
                return self._oidc_userinfo(request)
            if route == ("GET", "id.example.net", "/jwks"):
                return Answer.json(200, {"keys": [self.keys["oidc"].jwk()]})
        return Answer(404, b"Not Found", "text/html")

    def _redeem(self, provider: str, client_id: str, form: dict[str, str]) -> IssuedCode | str:
        """The code's checks every token endpoint makes (RFC 6749 §4.1.3, RFC 7636 §4.6): the
        issued code (used once), for this client, with the redirect URI it was issued for, and
        the verifier of its challenge; else the error's name."""
        issued = self.codes.get(form.get("code", ""))
        if issued is None or issued.provider != provider or issued.client_id != client_id:
            return "invalid_grant"
        if issued.used:
            return "invalid_grant"
        issued.used = True  # a second presentation fails, whatever the first one's fate
        if form.get("redirect_uri") != issued.redirect_uri:
            return "redirect_uri_mismatch" if provider == "google" else "invalid_grant"
        if issued.code_challenge:
            verifier = form.get("code_verifier", "")
            challenge = _b64(hashlib.sha256(verifier.encode()).digest())
            if issued.code_challenge_method != "S256" or not hmac.compare_digest(
                challenge, issued.code_challenge
            ):
                return "invalid_grant"
        return issued

    def _grant(self, provider: str, issued: IssuedCode) -> str:
        token = f"{provider}-at-{secrets.token_urlsafe(24)}"
        self.access_tokens[token] = (provider, issued.client_id, issued.person)
        return token

    def _oauth_token(self, provider: str, form: dict[str, str]) -> Answer:
        """Google's token endpoint
        (https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code:
        client_id and client_secret in the body, a JSON answer with an id_token when `openid`
        was asked; errors as RFC 6749 §5.2 says), and the OpenID Provider's (client_secret_post,
        OIDC Core §3.1.3.3)."""
        if self.token_answer is not None:
            return self.token_answer
        if form.get("grant_type") != "authorization_code":
            return Answer.json(400, {"error": "unsupported_grant_type"})
        client_id = form.get("client_id", "")
        registration = self.registrations.get((provider, client_id))
        if registration is None or not hmac.compare_digest(
            form.get("client_secret", ""), registration.client_secret
        ):
            return Answer.json(
                401, {"error": "invalid_client", "error_description": "Unauthorized"}
            )
        issued = self._redeem(provider, client_id, form)
        if isinstance(issued, str):
            return Answer.json(400, {"error": issued, "error_description": "Bad Request"})
        answer: dict[str, Any] = {
            "access_token": self._grant(provider, issued),
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": issued.scope,
        }
        if "openid" in issued.scope.split() and self.id_token_defect != "missing":
            answer["id_token"] = self.id_token(provider, client_id, issued.person)
        return Answer.json(200, answer)

    def _oidc_userinfo(self, request: requests.PreparedRequest) -> Answer:
        """OIDC Core §5.3: the claims of the bearer token's owner."""
        bearer = str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
        owner = self.access_tokens.get(bearer)
        if owner is None or owner[0] != "oidc":
            return Answer.json(401, {"error": "invalid_token"})
        person = owner[2]
        return Answer.json(
            200,
            {
                "sub": self.userinfo_sub or person.sub,
                "email": person.email,
                "email_verified": person.email_verified,
                "name": person.name,
                "given_name": person.given_name,
                "family_name": person.family_name,
            },
        )

    def _facebook_token(self, query: dict[str, str]) -> Answer:
        """Facebook's code exchange, a GET
        (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow#exchangecode):
        {"access_token", "token_type", "expires_in"}; errors in the Graph API's error object
        (https://developers.facebook.com/docs/graph-api/guides/error-handling). A code whose
        dialog carried a PKCE challenge is exchanged only with its verifier
        (https://developers.facebook.com/docs/facebook-login/guides/advanced/oidc-token)."""
        if self.token_answer is not None:
            return self.token_answer
        client_id = query.get("client_id", "")
        registration = self.registrations.get(("facebook", client_id))
        if registration is None or not hmac.compare_digest(
            query.get("client_secret", ""), registration.client_secret
        ):
            return _graph_error("Error validating client secret.", "OAuthException", 1)
        issued = self._redeem("facebook", client_id, query)
        if isinstance(issued, str):
            return _graph_error(
                "This authorization code has been used or is invalid.", "OAuthException", 100
            )
        return Answer.json(
            200,
            {
                "access_token": self._grant("facebook", issued),
                "token_type": "bearer",
                "expires_in": 5183944,
            },
        )

    def _facebook_me(self, query: dict[str, str]) -> Answer:
        """Graph API /me with the app's "Require App Secret" on: the access token and its
        `appsecret_proof`, the HMAC-SHA256 of the token keyed with the app secret, hex
        (https://developers.facebook.com/docs/graph-api/securing-requests#appsecret_proof); only
        the fields asked for, the email only when the person has a confirmed one
        (https://developers.facebook.com/docs/graph-api/reference/user)."""
        owner = self.access_tokens.get(query.get("access_token", ""))
        if owner is None or owner[0] != "facebook":
            return _graph_error("Invalid OAuth access token data.", "OAuthException", 190)
        registration = self.registrations[("facebook", owner[1])]
        proof = hmac.new(
            registration.client_secret.encode(), query["access_token"].encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(query.get("appsecret_proof", ""), proof):
            return _graph_error(
                "Invalid appsecret_proof provided in the API argument", "GraphMethodException", 100
            )
        person = owner[2]
        profile = {
            "id": person.sub,
            "name": person.name,
            "first_name": person.given_name,
            "last_name": person.family_name,
        }
        if person.email_verified:
            profile["email"] = person.email
        fields = query.get("fields", "id,name").split(",")
        return Answer.json(200, {name: profile[name] for name in fields if name in profile})

    def _apple_token(self, form: dict[str, str]) -> Answer:
        """Apple's token endpoint
        (https://developer.apple.com/documentation/sign_in_with_apple/generate_and_validate_tokens):
        the client secret is a JWT the app signs with ES256 and the key Apple issued, `kid` its
        key ID, `iss` the team ID, `sub` the client ID, `aud` https://appleid.apple.com, at most
        6 months long; answers TokenResponse, or ErrorResponse {"error": ...} with a 400."""
        if self.token_answer is not None:
            return self.token_answer
        client_id = form.get("client_id", "")
        registration = self.registrations.get(("apple", client_id))
        if registration is None or not _apple_client_secret_valid(
            form.get("client_secret", ""), registration
        ):
            return Answer.json(400, {"error": "invalid_client"})
        if form.get("grant_type") != "authorization_code":
            return Answer.json(400, {"error": "unsupported_grant_type"})
        issued = self._redeem("apple", client_id, form)
        if isinstance(issued, str):
            return Answer.json(400, {"error": "invalid_grant"})
        return Answer.json(
            200,
            {
                "access_token": self._grant("apple", issued),
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": f"apple-rt-{secrets.token_urlsafe(16)}",
                "id_token": self.id_token("apple", client_id, issued.person),
            },
        )


def _apple_client_secret_valid(secret: str, registration: Registration) -> bool:
    try:
        header = jwt.get_unverified_header(secret)
        public_key = registration.apple_keys.get(str(header.get("kid")))
        if public_key is None or header.get("alg") != "ES256":
            return False
        claims = jwt.decode(
            secret,
            public_key,
            algorithms=["ES256"],
            audience=APPLE_ISSUER,
            issuer=registration.team_id,
            options={"require": ["iss", "sub", "aud", "iat", "exp"]},
        )
    except jwt.PyJWTError:
        return False
    return bool(
        claims["sub"] == registration.client_id and claims["exp"] - claims["iat"] <= 15777000
    )


def _hs256(claims: dict[str, Any], secret: bytes, headers: dict[str, str]) -> str:
    """A JWT signed HS256 by hand (PyJWT refuses a PEM key as an HMAC secret, as it should)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", **headers}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _graph_error(message: str, kind: str, code: int) -> Answer:
    return Answer.json(
        400,
        {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}},
    )


def _body(request: requests.PreparedRequest) -> str:
    body = request.body or ""
    return body.decode() if isinstance(body, bytes) else str(body)


def oidc_discovery_document() -> dict[str, Any]:
    """The OpenID Provider's discovery document (OIDC Discovery §3), as validated on save."""
    return {
        "issuer": OIDC_ISSUER,
        "authorization_endpoint": f"{OIDC_ISSUER}/authorize",
        "token_endpoint": f"{OIDC_ISSUER}/token",
        "userinfo_endpoint": f"{OIDC_ISSUER}/userinfo",
        "jwks_uri": f"{OIDC_ISSUER}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }


class FakeTransport(BaseAdapter):  # type: ignore[misc]
    """A requests transport answering from the fake providers; hosts it does not play are
    unreachable (no test reaches the internet)."""

    hosts = frozenset(
        {
            "oauth2.googleapis.com",
            "www.googleapis.com",
            "graph.facebook.com",
            "appleid.apple.com",
            "id.example.net",
        }
    )

    def __init__(self, providers: FakeProviders) -> None:
        super().__init__()
        self.providers = providers

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        host = urlsplit(str(request.url)).netloc
        if host not in self.hosts:
            raise requests.ConnectionError(f"no network in tests: {host}")
        answer = self.providers.answer(request)
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict({"Content-Type": answer.content_type})
        response._content = answer.body
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def fake_social(monkeypatch: pytest.MonkeyPatch) -> FakeProviders:
    """The fake providers, behind every server-side call allauth makes through our adapter's
    requests session (the discovery documents stored on save still answer their URLs)."""
    providers = FakeProviders()
    stored = CustomerSocialAccountAdapter.get_requests_session

    def session(self: CustomerSocialAccountAdapter) -> requests.Session:
        http: requests.Session = stored(self)
        transport = FakeTransport(providers)
        http.mount("https://", transport)
        http.mount("http://", transport)
        return http

    monkeypatch.setattr(CustomerSocialAccountAdapter, "get_requests_session", session)
    return providers
