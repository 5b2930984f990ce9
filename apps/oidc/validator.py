"""The tenant-aware request validator: django-oauth-toolkit's, with our rules on top.

One instance serves every request of its view class, so it never keeps tenant state: the
tenant is the connection's, set by the routing middleware for this request.
"""

import hashlib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt as pyjwt
from django.db.models import F, Min
from django.utils import timezone
from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException
from oauth2_provider.models import redirect_to_uri_allowed
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from apps import lookups, selectors, services
from apps.models import (
    PUBLIC_PLATFORMS,
    AccessToken,
    AppRegistration,
    Grant,
    Platform,
    RefreshToken,
)
from apps.oidc.claims import (
    CLAIMS_SUPPORTED,
    configured_claims,
    custom_provider_claims,
    pairwise_subject,
    profile_claims,
    sign_in_strength_claims,
    token_directory_claims,
)
from apps.oidc.client_auth import (
    client_assertion_spend,
    client_secret_matches,
    secret_credentials,
    several_authentication_methods,
)
from apps.oidc.redemptions import TokenRedemption, redemption_of
from apps.oidc.sessions import (
    IDENTITY_PROVIDER_META_KEY,
    SESSION_ID_META_KEY,
    SIGN_IN_METHODS_META_KEY,
)
from apps.signing import active_signing_key, verification_jwk
from monitoring.reasons import Reason
from tenants.current import current_tenant
from tenants.selectors import tenant_issuer

# Set by AuthorizeView for a signed-in customer; not an HTTP_ key, so no client can forge it.
SIGNED_IN_META_KEY = "ciam.signed_in"
JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# How far ahead a client assertion's `exp` may lie: ten minutes, what MSAL and the Azure
# Identity libraries send (clients of an Entra-like service), plus the clock skew jwcrypto
# allows when it checks `exp`.
CLIENT_ASSERTION_MAX_LIFETIME = timedelta(minutes=10)
ASSERTION_LEEWAY = timedelta(seconds=60)
MAX_JTI_LENGTH = 255
_LATEST_EXP_SECONDS = (CLIENT_ASSERTION_MAX_LIFETIME + ASSERTION_LEEWAY).total_seconds()


class CiamValidator(OAuth2Validator):  # type: ignore[misc]
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "tid": "openid",
        "oid": "openid",
        "ver": "openid",
        "name": "profile",
        "email": "email",
        "email_verified": "email",
    }

    # --- client authentication (RFC 6749 §2.3, RFC 7523 §2.2) -------------------------------

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        """Authenticate a confidential client by secret (Basic or body) or `private_key_jwt`.

        Any of the app's unexpired secrets is accepted (several exist during rotation); each is
        compared by digest in constant time. Conflicting credentials fail; two ways of
        authenticating at once are `invalid_request` (RFC 6749 §2.3, §5.2).
        """
        if several_authentication_methods(
            authorization=request.headers.get("HTTP_AUTHORIZATION"),
            client_secret=request._params.get("client_secret"),
            client_assertion=request._params.get("client_assertion"),
        ):
            raise errors.InvalidRequestError(
                description="Authenticate the client one way only.", request=request
            )
        if request.grant_type == "authorization_code" and self._public_redemption(request):
            # A code issued for a single-page or mobile redirect URI is a public client's
            # (RFC 6749 §2.1): credentials presented with it are refused, as Entra does. (A
            # refresh token such a code began: validate_refresh_token.)
            return False
        assertion_type = request._params.get("client_assertion_type")
        if assertion_type is not None:
            return assertion_type == JWT_BEARER_ASSERTION and self._authenticate_assertion(request)
        credentials = self._client_credentials(request)
        if credentials is None:
            return False
        client_id, secret = credentials
        client = self._load_application(client_id, request)
        if client is None or client.is_public:
            return False
        return client_secret_matches(app=client, secret=secret)

    def _load_application(self, client_id: str, request: Request) -> AppRegistration | None:
        """The client, from the per-process memory of hot lookups (apps/lookups.py)."""
        if request.client is None or getattr(request.client, "client_id", None) != client_id:
            request.client = lookups.client(client_id) if isinstance(client_id, str) else None
        redemption = redemption_of(request.headers)
        if redemption is not None and isinstance(client_id, str):
            redemption.client_id, redemption.client = client_id, request.client
        return request.client

    def _client_credentials(self, request: Request) -> tuple[str, str] | None:
        credentials = secret_credentials(
            request.headers.get("HTTP_AUTHORIZATION"),
            request._params.get("client_id"),
            request._params.get("client_secret"),
        )
        if credentials is not None:
            request.client_id = credentials[0]
        return credentials

    def _named_client_id(self, request: Request) -> str | None:
        """The client ID a request names before it is authenticated: its Basic credentials',
        else the body's `client_id` (a public client's, or with a secret); None for a client
        that authenticates by assertion (RFC 7523), which names itself inside it."""
        credentials = secret_credentials(
            request.headers.get("HTTP_AUTHORIZATION"),
            request._params.get("client_id"),
            request._params.get("client_secret"),
        )
        if credentials is not None:
            return credentials[0]
        if request._params.get("client_assertion") is not None:
            return None
        client_id = request._params.get("client_id")
        return client_id if isinstance(client_id, str) else None

    def _authenticate_assertion(self, request: Request) -> bool:
        """RFC 7523 §3: iss = sub = client_id, aud = this token endpoint, unexpired, unreplayed."""
        assertion = request._params.get("client_assertion") or ""
        try:
            unverified = jws.JWS()
            unverified.deserialize(assertion)
            payload = json.loads(unverified.objects["payload"])
            header = unverified.jose_header
        except (JWException, ValueError, KeyError, TypeError):
            return False
        client_id = payload.get("sub") if isinstance(payload, dict) else None
        if not isinstance(client_id, str) or payload.get("iss") != client_id:
            return False
        if request._params.get("client_id") not in (None, client_id):
            return False
        if header.get("alg") not in {"RS256", "PS256", "ES256"}:
            return False
        client = self._load_application(client_id, request)
        if client is None or client.is_public:
            return False
        audience = selectors.token_endpoint_url(current_tenant())
        for public_jwk in selectors.client_assertion_keys(app=client):
            try:
                token = jwt.JWT(
                    jwt=assertion,
                    key=jwk.JWK(**public_jwk),
                    algs=["RS256", "PS256", "ES256"],
                    check_claims={"iss": client_id, "sub": client_id, "exp": None},
                )
            except (JWException, ValueError, TypeError):
                continue
            claims = json.loads(token.claims)
            aud = claims.get("aud")
            audiences = aud if isinstance(aud, list) else [aud]
            if audience not in audiences and tenant_issuer(current_tenant()) not in audiences:
                return False
            jti = claims.get("jti")
            if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH or "\x00" in jti:
                return False  # (PostgreSQL text holds no NUL)
            # RFC 7523 §3 item 4 lets the server bound the lifetime it accepts: the replay
            # memory below then holds each jti only minutes, and an assertion that leaked is
            # of use only that long.
            if claims["exp"] > time.time() + _LATEST_EXP_SECONDS:  # a number, jwcrypto checked
                return False
            expires = datetime.fromtimestamp(claims["exp"], tz=UTC)
            # Single use (RFC 7523 §3 item 7), remembered past `exp` by the leeway jwcrypto
            # allows, in the one store every worker shares.
            if not client_assertion_spend(
                client_id=client_id, jti=jti, expires_at=expires + ASSERTION_LEEWAY
            ):
                return False
            request.client_id = client_id
            return True
        return False

    def authenticate_client_id(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """A client without credentials proceeds only as a public client (RFC 6749 §3.2.1):
        a public app, or a confidential one redeeming what was issued for one of its
        single-page or mobile redirect URIs (`_public_redemption`)."""
        client = self._load_application(client_id, request)
        return client is not None and (client.is_public or self._public_redemption(request))

    def client_authentication_required(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        """Whether the token request must authenticate its client (RFC 6749 §3.2.1): always
        when it presents credentials; never for a public app; for a confidential app, unless it
        redeems a code issued for one of its single-page or mobile redirect URIs, or a refresh
        token such a code began (RFC 6749 §2.1 decided per redirect URI, as Entra decides it;
        the code is then bound by PKCE, RFC 7636, instead of a secret)."""
        if presents_credentials(request):
            return True
        client = self._load_application(request.client_id, request)
        if client is None:
            return True
        return not (client.is_public or self._public_redemption(request))

    def _redemption_platform(self, request: Request) -> str:
        """The platform of the redirect URI that the code or refresh token this token request
        redeems was issued for; "" when it redeems neither, names none we know, or was issued
        before platforms were per URI (the app's platform then decides). The refresh token's is
        read once, on this path only (a confidential app refreshing without credentials)."""
        if request.grant_type == "authorization_code" and isinstance(request.code, str):
            grant = self._grant(request.code, request)
            return grant.platform if grant is not None else ""
        if request.grant_type != "refresh_token" or not isinstance(request.refresh_token, str):
            return ""
        cached = getattr(request, "ciam_refresh_platform", None)
        if cached is None:
            checksum = hashlib.sha256(request.refresh_token.encode()).hexdigest()
            rows = RefreshToken.objects.filter(token_checksum=checksum, revoked__isnull=True)
            named = self._named_client_id(request)
            if named is not None:
                rows = rows.filter(application__client_id=named)
            cached = rows.values_list("platform", flat=True).first() or ""
            request.ciam_refresh_platform = cached
        return str(cached)

    def _public_redemption(self, request: Request) -> bool:
        """True when the request redeems what was issued for a single-page or mobile redirect
        URI: a public client's (RFC 6749 §2.1; OAuth 2.0 for Browser-Based Apps §6.1)."""
        return self._redemption_platform(request) in PUBLIC_PLATFORMS

    # --- scopes and permissions ---------------------------------------------------------------

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: AppRegistration,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """Only consented permissions, and for one API at a time (a token has one audience)."""
        if request.grant_type == "client_credentials":
            resource = selectors.resource_for_default_scope(scopes)
            if resource is None:
                return False
            request.ciam_resource = resource
            request.ciam_roles = selectors.granted_roles(client=client, resource=resource)
            return True
        grant = lookups.delegated_grant(client, scopes)
        if grant is None:
            return False
        request.ciam_resource = grant.resource
        return True

    def validate_silent_login(self, request: Request) -> bool:
        """`prompt=none` (OIDC Core §3.1.2.1): only with a session, else `login_required`."""
        return request.headers.get(SIGNED_IN_META_KEY) == "1"

    def validate_silent_authorization(self, request: Request) -> bool:
        # Permissions are consented by admins (as in Entra), never by the customer.
        return True

    def get_default_scopes(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> list[str]:
        return []

    # --- authorization codes (RFC 6749 §4.1.2, §10.5) -----------------------------------------

    def _grant(self, code: str, request: Request) -> Grant | None:
        """The authorization code's grant, read once per token request (oauthlib asks for it
        through six validator methods)."""
        cached = getattr(request, "ciam_grant", None)
        if cached is not None and cached.code == code:
            return cached
        grants = Grant.objects.select_related("user").filter(code=code)
        client = request.client
        if client is None:
            # oauthlib asks for the code's scopes (is it an OpenID request?) before the client
            # is authenticated. A code is good only for the client it was issued to: when the
            # request names a client by its ID (Basic credentials or the body) and no app has
            # it (remembered, apps/lookups.py), no code is read for it.
            named = self._named_client_id(request)
            if named is not None:
                client = lookups.client(named)
                if client is None:
                    return None
        if client is not None:
            grants = grants.filter(application=client)
        grant = grants.first()
        request.ciam_grant = grant
        return grant

    def validate_code(
        self,
        client_id: str,
        code: str,
        client: AppRegistration,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """A code is good once, for the client it was issued to, with the redirect URI and the
        PKCE of its authorization request; anything else is `invalid_grant` (RFC 6749 §5.2).

        A replay fails and revokes the tokens the code issued (§10.5). A redirect URI other than
        the authorization request's fails here (§4.1.3), where a missing one is left to
        confirm_redirect_uri (a missing parameter: `invalid_request`). A `code_verifier` for a
        code issued without a challenge fails, so PKCE cannot be downgraded (RFC 9700 §2.1.1).
        """
        grant = self._grant(code, request)
        if grant is None or grant.application_id != client.pk:
            return False
        redemption = redemption_of(request.headers)
        if redemption is not None:  # for the sign-in log (apps/oidc/redemptions.py)
            redemption.customer = grant.user
            redemption.identity_provider = grant.identity_provider
            redemption.methods = grant.sign_in_methods
        if grant.used_at is not None:
            services.grant_replayed(grant=grant)
            return False
        if grant.is_expired():
            return False
        if request.redirect_uri is not None and not grant.redirect_uri_allowed(
            request.redirect_uri
        ):
            return False
        if request.code_verifier is not None and not grant.code_challenge:
            if redemption is not None:
                redemption.refused = Reason.PKCE_FAILED
            return False
        if not grant.user.is_active:
            # Blocking revokes the customer's codes; one issued in that very moment stops here.
            if redemption is not None:
                redemption.refused = Reason.BLOCKED_ACCOUNT
            return False
        if redemption is not None:
            redemption.code_accepted = True
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        request.ciam_session_id = grant.session_id
        request.ciam_identity_provider = grant.identity_provider
        request.ciam_sign_in_methods = grant.sign_in_methods
        request.ciam_platform = grant.platform
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: AppRegistration,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        request = kwargs.get("request") or (args[0] if args else None)
        grant = self._grant(code, request) if request is not None else None
        redemption = redemption_of(request.headers) if request is not None else None
        if redemption is not None:  # oauthlib checks the redirect URI after the PKCE verifier
            redemption.pkce_passed = True
        return grant is not None and grant.redirect_uri_allowed(redirect_uri)

    def get_code_challenge(self, code: str, request: Request) -> str | None:
        grant = self._grant(code, request)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code: str, request: Request) -> str | None:
        grant = self._grant(code, request)
        return (grant.code_challenge_method or None) if grant else None

    def get_authorization_code_scopes(
        self, client_id: str, code: str, redirect_uri: str, request: Request
    ) -> list[str]:
        grant = self._grant(code, request)
        return grant.scope.split() if grant and grant.scope else []

    def get_authorization_code_nonce(
        self, client_id: str, code: str, redirect_uri: str, request: Request
    ) -> str | None:
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant else None

    def _create_authorization_code(
        self, request: Request, code: dict[str, str], expires: Any = None
    ) -> Grant:
        """DOT's row for a new code, written with the browser session the code is issued in
        (apps/oidc/sessions.py) in the same INSERT: no second statement on the sign-in path.
        A `plain` PKCE challenge never gets here (AuthorizeView refuses it before anyone signs
        in, RFC 9700 §2.1.1); it is refused here too, as DOT does."""
        if request.code_challenge_method == "plain":
            raise errors.InvalidRequestError(
                description='Unsupported "plain" code_challenge_method; use "S256".',
                request=request,
            )
        session_id = request.headers.get(SESSION_ID_META_KEY)
        identity_provider = request.headers.get(IDENTITY_PROVIDER_META_KEY)
        sign_in_methods = request.headers.get(SIGN_IN_METHODS_META_KEY)
        expires = expires or timezone.now() + timedelta(
            seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS
        )
        return Grant.objects.create(
            application=request.client,
            user=request.user,
            code=code["code"],
            expires=expires,
            redirect_uri=request.redirect_uri,
            platform=redirect_uri_platform(request.client, request.redirect_uri),
            scope=" ".join(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method or "",
            nonce=request.nonce or "",
            claims=json.dumps(request.claims or {}),
            resource=getattr(request, "resource", []),
            session_id=session_id if isinstance(session_id, str) else "",
            identity_provider=identity_provider if isinstance(identity_provider, str) else "",
            sign_in_methods=sign_in_methods if isinstance(sign_in_methods, str) else "",
        )

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        if getattr(request, "ciam_code_spent", False):
            return  # spent in the same transaction that stored its tokens (_save_bearer_token)
        updated = Grant.objects.filter(
            code=code, application=request.client, used_at__isnull=True
        ).update(used_at=timezone.now())
        if not updated:
            raise errors.InvalidGrantError(request=request)

    def _save_bearer_token(
        self, token: dict[str, Any], request: Request, *args: Any, **kwargs: Any
    ) -> None:
        """DOT's, and for a code: the code is spent in the same transaction that stores its
        tokens, so of two requests racing with one code, the loser stores nothing."""
        super()._save_bearer_token(token, request, *args, **kwargs)
        access_token = getattr(request, "ciam_access_token", None)
        if request.grant_type == "authorization_code" and access_token is not None:
            spent = Grant.objects.filter(
                code=request.code, application=request.client, used_at__isnull=True
            ).update(used_at=timezone.now(), issued_access_token=access_token)
            if not spent:
                raise errors.InvalidGrantError(request=request)
            request.ciam_code_spent = True

    def _check_and_set_request_resource(self, request: Request) -> None:
        """DOT's RFC 8707 handling; for a code, the grant read once (self._grant) is used
        rather than read again."""
        if request.grant_type != "authorization_code":
            super()._check_and_set_request_resource(request)
            return
        resource = getattr(request, "resource", None)
        if isinstance(resource, str):  # oauthlib keeps the last of repeated body parameters
            repeated = [value for key, value in (request.decoded_body or []) if key == "resource"]
            resource = repeated if len(repeated) > 1 else [resource] if resource.strip() else []
        request.resource = resource if isinstance(resource, list) else []
        self._validate_resource_uris(request, request.resource)
        grant = self._grant(request.code, request)
        grant_resource = (grant.resource or []) if grant else []
        if request.resource and grant_resource:
            for resource in request.resource:
                if resource not in grant_resource:
                    raise errors.CustomOAuth2Error(
                        error="invalid_target",
                        description=(
                            f"The requested resource '{resource}' is not allowed. Token request "
                            "cannot escalate resource permissions beyond the original "
                            "authorization grant"
                        ),
                        request=request,
                    )
        elif grant_resource:
            self._validate_resource_uris(request, grant_resource)
            request.resource = grant_resource

    def _create_access_token(
        self,
        expires: Any,
        request: Request,
        token: dict[str, Any],
        source_refresh_token: Any = None,
    ) -> Any:
        """DOT's, linking the ID token this request just stored (finalize_id_token) instead of
        verifying the new JWT and reading the row back."""
        id_token = getattr(request, "ciam_id_token", None) if token.get("id_token") else None
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=id_token,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),  # RFC 8707
            session_id=getattr(request, "ciam_session_id", ""),
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        request.ciam_access_token = access_token
        return access_token

    def _create_refresh_token(
        self,
        request: Request,
        refresh_token_code: str,
        access_token: AccessToken,
        previous_refresh_token: RefreshToken | None,
    ) -> RefreshToken:
        """DOT's, with the browser session of the code (or of the token it replaces)."""
        refresh_token = RefreshToken(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=(
                previous_refresh_token.token_family if previous_refresh_token else uuid.uuid4()
            ),
            resource=getattr(request, "resource", []),  # RFC 8707
            session_id=getattr(request, "ciam_session_id", ""),
            identity_provider=getattr(request, "ciam_identity_provider", ""),
            sign_in_methods=getattr(request, "ciam_sign_in_methods", ""),
            # A family keeps the platform of the code that began it (its lifetime, and who may
            # refresh it without a secret).
            platform=(
                previous_refresh_token.platform
                if previous_refresh_token
                else getattr(request, "ciam_platform", "")
            ),
        )
        self._set_token_value(refresh_token, refresh_token_code)
        refresh_token.save()
        return refresh_token

    # --- refresh tokens (RFC 6749 §6, RFC 9700 §4.14) -----------------------------------------

    def validate_refresh_token(
        self,
        refresh_token: str,
        client: AppRegistration,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        redemption = redemption_of(request.headers)
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            if redemption is not None:
                self._refused_refresh_token(refresh_token, redemption)
            return False
        if not request.user.is_active:
            # Blocking revokes the customer's refresh tokens; one refreshed in that very
            # moment stops here.
            if redemption is not None:
                redemption.customer, redemption.refused = request.user, Reason.BLOCKED_ACCOUNT
            return False
        instance: RefreshToken = request.refresh_token_instance
        if instance.platform in PUBLIC_PLATFORMS and presents_credentials(request):
            return False  # a public client's refresh token (RFC 6749 §2.1), as for its code
        if redemption is not None:  # for the sign-in log (apps/oidc/redemptions.py)
            redemption.customer = request.user
            redemption.identity_provider = instance.identity_provider
            redemption.methods = instance.sign_in_methods
        request.ciam_session_id = instance.session_id
        request.ciam_identity_provider = instance.identity_provider
        request.ciam_sign_in_methods = instance.sign_in_methods
        family_started = instance.created
        if instance.token_family:
            family_started = (
                RefreshToken.objects.filter(token_family=instance.token_family).aggregate(
                    started=Min("created")
                )["started"]
                or instance.created
            )
        # A family begun at a single-page redirect URI lives `spa_refresh_token_hours` (a
        # browser keeps it where scripts can reach it: OAuth 2.0 for Browser-Based Apps §6.1.3.2,
        # Entra's 24 hours), whatever else the app is.
        settings = lookups.token_settings()
        lifetime = (
            timedelta(hours=settings.spa_refresh_token_hours)
            if (instance.platform or client.platform) == Platform.SPA
            else timedelta(days=settings.refresh_token_days)
        )
        return bool(family_started + lifetime > timezone.now())

    @staticmethod
    def _refused_refresh_token(refresh_token: str, redemption: TokenRedemption) -> None:
        """Whose refresh token was refused, for the sign-in log: a blocked or deleted
        customer's (their tokens were revoked when it happened) is refused as such. One read,
        on this failed path only, of the row DOT's check preferred (RFC 6749 §6)."""
        checksum = hashlib.sha256(refresh_token.encode()).hexdigest()
        row = (
            RefreshToken.objects.filter(token_checksum=checksum)
            .select_related("user")
            .order_by(F("revoked").desc(nulls_first=True))
            .first()
        )
        if row is None:
            return
        redemption.customer = row.user
        redemption.identity_provider = row.identity_provider
        redemption.methods = row.sign_in_methods
        if not row.user.is_active:
            redemption.refused = Reason.BLOCKED_ACCOUNT

    # --- OpenID Connect -----------------------------------------------------------------------

    def get_oidc_issuer_endpoint(self, request: Request) -> str:
        return tenant_issuer(current_tenant())

    def get_additional_claims(self, request: Request) -> dict[str, object]:
        tenant = current_tenant()
        user = request.user
        claims: dict[str, object] = {
            "sub": pairwise_subject(tenant=tenant, client=request.client, user=user),
            "tid": str(tenant.tenant_id),
            "oid": str(user.object_id),
            "ver": "2.0",
        }
        # The identity provider the customer signed in through (Entra's `idp`), if any.
        identity_provider = getattr(request, "ciam_identity_provider", "")
        if identity_provider:
            claims["idp"] = identity_provider
        # How the customer signed in (`amr`) and what that adds up to (`acr`), OIDC Core §2.
        claims.update(sign_in_strength_claims(getattr(request, "ciam_sign_in_methods", "")))
        claims.update(profile_claims(user, set(request.scopes)))
        configured = configured_claims(user=user, client=request.client, token="id")
        claims.update(configured)
        # The app's custom claims provider (apps/oidc/token_issuance.py): mapped claims only,
        # never one the platform set above.
        provided = getattr(request, "ciam_custom_claims", None) or {}
        custom = custom_provider_claims(client=request.client, provided=provided, token="id")
        custom = {name: value for name, value in custom.items() if name not in claims}
        claims.update(custom)
        configured = {**configured, **custom}
        # DOT releases only claims mapped to a granted scope; configured ones ride on openid.
        request.ciam_configured_claims = set(configured)
        return claims

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Request) -> dict[str, Any]:
        claims = self.get_claim_dict(request)
        granted = set(request.scopes)
        configured: set[str] = getattr(request, "ciam_configured_claims", set())
        return {
            name: value
            for name, value in claims.items()
            if name in configured or self.oidc_claim_scope.get(name, "openid") in granted
        }

    def get_claim_dict(self, request: Request) -> dict[str, object]:
        return self.get_additional_claims(request)

    def get_discovery_claims(self, request: Any) -> list[str]:
        return list(CLAIMS_SUPPORTED)

    def get_id_token_dictionary(
        self, token: dict[str, Any], token_handler: Any, request: Request
    ) -> tuple[dict[str, object], Any]:
        claims, _ = super().get_id_token_dictionary(token, token_handler, request)
        # The app's roles the customer holds and their groups: the ID token's, not userinfo's
        # (as Entra), so they are added here rather than in get_additional_claims.
        claims.update(token_directory_claims(request, token="id"))
        now = timezone.now()
        expires = now + timedelta(minutes=lookups.token_settings().id_token_minutes)
        claims["exp"] = int(expires.timestamp())
        claims["iat"] = int(now.timestamp())
        claims["nbf"] = int(now.timestamp())
        return claims, expires

    def finalize_id_token(
        self, id_token: dict[str, Any], token: dict[str, Any], token_handler: Any, request: Request
    ) -> str:
        """DOT's, signing with PyJWT and the tenant's remembered active key (apps/signing.py),
        the same RS256 JWS for a fraction of jwcrypto's work."""
        claims, expires = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:  # oauthlib issue 746, as DOT does
            id_token["nonce"] = request.nonce
        kid, private_key = active_signing_key()
        signed = pyjwt.encode(
            json.loads(json.dumps(id_token, default=str)),
            private_key,
            algorithm="RS256",
            headers={"typ": "JWT", "kid": kid},
        )
        stored = self._save_id_token(id_token["jti"], request, expires)
        request.access_token = stored
        request.id_token = stored
        request.ciam_id_token = stored
        return signed

    def validate_jwt_bearer_token(self, token: str, scopes: list[str], request: Request) -> bool:
        """A JWT presented as a bearer token is one of our access tokens (RFC 9068), never an
        ID token: oauthlib would otherwise route JWTs to ID-token validation."""
        return bool(self.validate_bearer_token(token, scopes, request))

    def _get_key_for_token(self, token: str) -> jwk.JWK | None:
        """The published key named by the token's `kid`, so hints signed by a key that is now
        retiring still verify (RP-Initiated Logout 1.0 §2, `id_token_hint`)."""
        try:
            unverified = jws.JWS()
            unverified.deserialize(token)
            header = unverified.jose_header
        except (JWException, ValueError, TypeError):
            return None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            return None
        return verification_jwk(header["kid"])

    def is_pkce_required(self, client_id: str, request: Request) -> bool:
        """PKCE per redirect URI (RFC 7636 §4.4.1, RFC 9700 §2.1.1): required of a public app,
        and of a confidential one for its single-page and mobile redirect URIs, which a public
        client uses (at the authorization endpoint, the request's redirect URI decides; at the
        token endpoint, the one the code was issued for). Confidential clients may use it."""
        app = lookups.client(client_id) if isinstance(client_id, str) else None
        if app is None or app.is_public:
            return True
        if request.grant_type is not None:
            return self._public_redemption(request)
        redirect_uri = request.redirect_uri
        return (
            isinstance(redirect_uri, str)
            and redirect_uri_platform(app, redirect_uri) in PUBLIC_PLATFORMS
        )

    def is_origin_allowed(
        self, client_id: str, origin: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """CORS at the token endpoint for the app's single-page redirect URIs' origins only."""
        client = request.client or self._load_application(client_id, request)
        return client is not None and origin in lookups.spa_origins(client)


def presents_credentials(request: Request) -> bool:
    """True when a token request carries client credentials: Basic, a secret or an assertion."""
    return bool(
        request.headers.get("HTTP_AUTHORIZATION")
        or request._params.get("client_assertion")
        or request._params.get("client_secret")
    )


def redirect_uri_platform(app: AppRegistration, uri: str | None) -> str:
    """The platform of the app's registered redirect URI that `uri` matches as DOT matches it
    (RFC 6749 §3.1.2.3: exactly; RFC 8252 §7.3: a loopback IP with any port); the app's main
    platform when none does (the request fails DOT's own check then)."""
    if not isinstance(uri, str):
        return str(app.platform)
    platforms = lookups.redirect_uri_platforms(app)
    platform = platforms.get(uri)
    if platform is not None:
        return platform
    for registered, registered_platform in platforms.items():
        if redirect_to_uri_allowed(uri, [registered]):
            return registered_platform
    return str(app.platform)
