"""The tenant's identity providers as the journey hands them to allauth (federation/models.py).

allauth never reads `IdentityProvider` rows: `CustomerSocialAccountAdapter.list_apps` builds an
UNSAVED `SocialApp` from each provider the user flow of the auth transaction enables, its
secret decrypted in memory for this request only. A provider the flow does not enable is not
there at all (allauth answers 404), so a customer cannot start a sign-in the flow does not
offer by typing its URL.
"""

import json
from typing import Any

import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount import app_settings as socialaccount_settings
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import Provider, ProviderException
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.core.exceptions import ValidationError
from django.db.models import Q
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from accounts.attributes import ATTRIBUTE_TYPES, BUILTIN_ATTRIBUTES, storable_text
from accounts.models import CustomAttribute, User
from apps.lookups import remembered
from federation.claims import SIGN_IN_ATTRIBUTES
from federation.models import ClientAuthentication, IdentityProvider, ProviderKind
from federation.selectors import (
    claims_mapping_of,
    identity_provider_secret,
    identity_providers_of_flow,
)
from journey.client_assertions import KEY_ID_SETTING, KEY_SETTING
from tenants.current import current_tenant_or_none
from userflows.models import UserFlow
from userflows.selectors import flow_attributes

# Whose `email_verified` is believed without the admin saying so (Entra trusts these two).
ALWAYS_TRUSTED_FOR_EMAIL = frozenset({ProviderKind.GOOGLE, ProviderKind.APPLE})
# The `idp` claim of a sign-in through a social provider (Entra's values); an OpenID Provider
# is named by its issuer.
SOCIAL_ISSUERS = {
    ProviderKind.GOOGLE: "google.com",
    ProviderKind.FACEBOOK: "facebook.com",
    ProviderKind.APPLE: "appleid.apple.com",
}


def providers_of_flow(flow: UserFlow) -> list[IdentityProvider]:
    """The providers the flow enables, by name: remembered per process as the sign-in path's
    other lookups are (apps/lookups.py), since every hosted page shows their buttons."""
    return remembered(
        "flow-providers", str(flow.flow_id), lambda: identity_providers_of_flow(flow.flow_id)
    )


def social_app(provider: IdentityProvider) -> SocialApp:
    """The unsaved `SocialApp` allauth signs in with (never stored: no secret in allauth's
    tables). OpenID Connect: the authorization code flow with PKCE (RFC 7636), the claims read
    from the userinfo endpoint too, and the claims that name the customer, their email and its
    verification as the provider's mapping says (`claims`, read by
    `MappedOpenIDConnectProvider`); the client authenticates with its secret in the body
    (`client_secret_post`), or with a client assertion signed with its key (`private_key_jwt`,
    journey/client_assertions.py: the key in the app's settings, no secret)."""
    secret = identity_provider_secret(provider) if provider.secret_encrypted else ""
    app = SocialApp(
        provider=provider.kind, name=provider.display_name, client_id=provider.client_id
    )
    if provider.kind == ProviderKind.OPENID_CONNECT:
        app.provider_id = provider.slug
        app.settings = {
            "server_url": provider.well_known_url or provider.issuer,
            "fetch_userinfo": True,
            "oauth_pkce_enabled": True,
            "token_auth_method": ClientAuthentication(provider.client_authentication).value,
            # `openid` first: without it the provider answers plain OAuth, no ID token.
            "scope": list(dict.fromkeys(["openid", *(provider.scopes or ["profile", "email"])])),
            "claims": {
                attribute: claim
                for attribute, claim in claims_mapping_of(provider).items()
                if attribute in SIGN_IN_ATTRIBUTES
            },
        }
        if provider.client_authentication == ClientAuthentication.PRIVATE_KEY_JWT:
            app.settings[KEY_SETTING] = secret
            app.settings[KEY_ID_SETTING] = provider.key_id
        else:
            app.secret = secret
    elif provider.kind == ProviderKind.APPLE:
        # allauth's Apple app: the key's ID as `secret`, the team as `key`, the PEM in settings.
        app.secret = provider.key_id
        app.key = provider.team_id
        app.settings = {"certificate_key": secret}
    elif provider.kind == ProviderKind.GOOGLE:
        app.secret = secret
        app.settings = {
            "oauth_pkce_enabled": True,
            # Google's OpenID Connect: `openid` first, so the token response carries the ID
            # token allauth signs the customer in with
            # (https://developers.google.com/identity/openid-connect/openid-connect#scope-param).
            "scope": ["openid", "email", "profile"],
        }
    else:
        # Facebook: no PKCE. allauth exchanges Facebook's code with a GET, which carries no
        # code_verifier, and Facebook refuses a code whose dialog had a challenge without it
        # (https://developers.facebook.com/docs/facebook-login/guides/advanced/oidc-token).
        # The exchange is authenticated by the app secret, and `state` binds it to the browser.
        app.secret = secret
    return app


def provider_of_login(sociallogin: SocialLogin) -> IdentityProvider | None:
    """The registration a social sign-in under way came through (allauth names it in the
    account: an OpenID Provider by its slug, Google, Facebook and Apple by their kind)."""
    return provider_named(sociallogin.account.provider)


def provider_named(name: str) -> IdentityProvider | None:
    """The registration allauth names `name` (an OpenID Provider by its slug, Google,
    Facebook and Apple by their kind)."""
    if not name:
        return None
    return (
        IdentityProvider.objects.filter(
            Q(kind=ProviderKind.OPENID_CONNECT, slug=name)
            | (~Q(kind=ProviderKind.OPENID_CONNECT) & Q(kind=name))
        )
        .order_by("pk")
        .first()
    )


def provider_issuer(provider: IdentityProvider) -> str:
    """What the `idp` claim says of a sign-in through the provider."""
    return SOCIAL_ISSUERS.get(ProviderKind(provider.kind), provider.issuer)


def trusted_for_email(provider: IdentityProvider) -> bool:
    return provider.kind in ALWAYS_TRUSTED_FOR_EMAIL or provider.trusted_for_email


def email_verified_by_provider(provider: IdentityProvider | None, address: EmailAddress) -> bool:
    """Whether the provider says it verified the address (allauth's reading of its
    `email_verified`), or for Facebook whether it gave one at all: the Graph API returns only
    an email the person confirmed, with no flag (allauth marks it unverified)."""
    if provider is not None and provider.kind == ProviderKind.FACEBOOK:
        return bool(address.email)
    return bool(address.verified)


def claims_of(data: object) -> dict[str, Any]:
    """The provider's claims about the customer in what allauth received or stored (an OpenID
    Provider's `{"userinfo": …, "id_token": …}`, a social provider's own): userinfo, else the
    ID token's, as allauth's OpenID Connect provider reads them."""
    if not isinstance(data, dict):
        return {}
    for source in ("userinfo", "id_token"):
        if isinstance(data.get(source), dict):
            claims: dict[str, Any] = data[source]
            return claims
    return data


def provider_claims(sociallogin: SocialLogin) -> dict[str, Any]:
    """The provider's claims about the customer: userinfo, else the ID token's; Apple's with
    the name it shared (allauth keeps it as `name`: firstName, lastName)."""
    claims = claims_of(sociallogin.account.extra_data or {})
    if isinstance(claims.get("name"), dict):
        return {**claims, **claims["name"]}
    return claims


class MappedOpenIDConnectProvider(OpenIDConnectProvider):  # type: ignore[misc]
    """allauth's OpenID Connect provider, reading who the customer is (`sub`), their email and
    whether it is verified from the claims the provider's mapping names (the app's `claims`
    setting, `social_app`) instead of always `sub`, `email` and `email_verified`. A provider
    that sends no usable identifier in the mapped claim fails the sign-in: allauth's callback
    turns the ProviderException into an authentication error, which the adapter answers with
    our page (400), never a 500."""

    def _claim(self, attribute: str) -> str:
        claims = self.app.settings.get("claims") or {}
        return str(claims.get(attribute) or attribute)

    def extract_uid(self, data: dict[str, Any]) -> str:
        value = claims_of(data).get(self._claim("sub"))
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip() or not storable_text(value):
            raise ProviderException(f"no identifier in the claim {self._claim('sub')!r}")
        if len(value) > socialaccount_settings.UID_MAX_LENGTH:
            raise ProviderException(f"the claim {self._claim('sub')!r} is too long")
        return value

    def _email(self, data: dict[str, Any]) -> str | None:
        value = claims_of(data).get(self._claim("email"))
        return value if isinstance(value, str) and value and storable_text(value) else None

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = super().extract_common_fields(data)
        fields["email"] = self._email(data)
        return fields

    def extract_email_addresses(self, data: dict[str, Any]) -> list[EmailAddress]:
        email = self._email(data)
        if email is None:
            return []
        # OIDC Core §5.1 says a boolean; some providers send the string "true".
        said = claims_of(data).get(self._claim("email_verified"))
        verified = said is True or (isinstance(said, str) and said.lower() == "true")
        return [EmailAddress(email=email, verified=verified, primary=True)]


def mapped_provider(provider: Provider) -> Provider:
    """The provider allauth signs in with: an OpenID Provider's reads the claims its mapping
    names (`MappedOpenIDConnectProvider`); the others as allauth made them."""
    if type(provider) is OpenIDConnectProvider:
        return MappedOpenIDConnectProvider(provider.request, app=provider.app)
    return provider


def apply_claims(user: User, provider: IdentityProvider, claims: dict[str, Any]) -> None:
    """Fill the new customer's attributes from the provider's claims through the provider's
    mapping (our attribute → its claim; `claims_mapping_of`, which the admin center's claims
    mapping table shows). Only values that fit are taken: text for built-in attributes (cut
    to the attribute's length), and for a custom attribute what its data type's cleaner
    accepts (the one every value passes, `accounts.attributes.ATTRIBUTE_TYPES`). sub,
    email and email_verified are not attributes to fill: allauth reads them (through
    `MappedOpenIDConnectProvider` for an OpenID Provider) and the adapter decides whether the
    email counts as verified."""
    types = dict(CustomAttribute.objects.values_list("name", "data_type"))
    custom = dict(user.custom_attributes or {})
    for attribute, claim in claims_mapping_of(provider).items():
        value = claims.get(claim)
        if value is None or attribute in SIGN_IN_ATTRIBUTES:
            continue
        spec = BUILTIN_ATTRIBUTES.get(attribute)
        if spec is not None:
            if isinstance(value, str) and value.strip() and storable_text(value):
                setattr(user, attribute, value.strip()[: spec.max_length])
        elif attribute in types and (attribute_type := ATTRIBUTE_TYPES.get(types[attribute])):
            try:
                cleaned = attribute_type.clean(value)
            except ValidationError:
                continue
            if cleaned != "":
                custom[attribute] = cleaned
    user.custom_attributes = custom


def missing_required_attributes(flow: UserFlow | None, user: User) -> bool:
    """Whether the flow requires an attribute the customer does not have yet (the email aside:
    a customer always has one)."""
    if flow is None:
        return False
    for item in flow_attributes(flow):
        if not item.required or item.builtin == "email":
            continue
        if item.builtin:
            value: object = getattr(user, item.builtin, "")
        elif item.custom_attribute is not None:
            value = (user.custom_attributes or {}).get(item.custom_attribute.name)
        else:
            continue
        if value in (None, "", []):
            return True
    return False


class StoredDiscovery(BaseAdapter):
    """A requests transport that answers a GET of an OpenID Provider's well-known URL with the
    discovery document validated when the admin saved the provider (`metadata`), instead of
    fetching it again at every sign-in: the sign-in uses the endpoints the admin's save
    checked, costs one round trip less, and a provider whose discovery URL is down for a moment
    still signs customers in. (Token, userinfo and keys are still fetched from the provider.)"""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__()
        self.body = json.dumps(document).encode()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = 200 if request.method == "GET" else 405
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response._content = self.body if request.method == "GET" else b""
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


def stored_discovery_documents() -> dict[str, dict[str, Any]]:
    """The validated discovery document of each of the current tenant's OpenID Providers, by
    well-known URL (none outside a tenant)."""
    if current_tenant_or_none() is None:
        return {}
    rows = IdentityProvider.objects.filter(kind=ProviderKind.OPENID_CONNECT).exclude(
        well_known_url=""
    )
    return {
        url: metadata
        for url, metadata in rows.values_list("well_known_url", "metadata")
        if isinstance(metadata, dict) and metadata
    }
