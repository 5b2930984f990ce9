"""A tenant's configuration as one plain dict (docs/configuration-as-code.md).

`configuration_export` reads the current tenant's schema and returns the document `ciam_config
export` writes as YAML: deterministic (every list in a stable order, keys sorted when dumped),
every object named by its name and every reference between objects by name, never by a
database ID, so a document exported from one tenant applies to another. App registrations
keep their client ID (tokens and redirects stay valid across environments).

Secrets are never written: app registrations' client secrets and certificates are left out
(credentials are not exported), and an identity provider's client secret or private key is
written as a reference to an environment variable (`clientSecret: {fromEnv: NAME}`) that
`configuration.apply` resolves. Branding images are embedded (base64) with their SHA-256, so
the round trip is exact.
"""

import base64
import hashlib
import re
from typing import Any

from accounts.models import CustomAttribute
from apps.models import ApiPermission, AppRegistration
from apps.selectors import app_list, app_platforms, token_settings
from branding.models import Branding, LanguageOverride
from branding.selectors import IMAGE_FIELDS, VALUE_FIELDS
from branding.storage import branding_storage
from configuration.document import API_VERSION, KIND, canonical_order
from extensions.models import CustomAuthenticationExtension
from federation.models import IdentityProvider
from protection.models import ConditionalAccessPolicy, NamedLocation
from protection.selectors import authentication_methods_policy, sign_in_protection
from tenants.models import Tenant
from tenants.schemas import in_tenant
from userflows.models import UserFlow


class ConfigurationNotExportable(Exception):
    """The tenant's configuration cannot be named unambiguously (two apps of one name)."""


def camel(name: str) -> str:
    """`background_color` → `backgroundColor`: the document's spelling of a field."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


BRANDING_VALUES = {camel(name): name for name in VALUE_FIELDS}
BRANDING_IMAGES = {camel(name): name for name in IMAGE_FIELDS}


def secret_env_name(slug: str) -> str:
    """The environment variable an identity provider's secret is referenced by on export."""
    return "CIAM_IDP_" + re.sub(r"[^A-Z0-9]+", "_", slug.upper()).strip("_") + "_SECRET"


def image_entry(content: bytes) -> dict[str, str]:
    """An image as the document embeds it."""
    return {
        "sha256": hashlib.sha256(content).hexdigest(),
        "data": base64.b64encode(content).decode("ascii"),
    }


def _attributes() -> list[dict[str, Any]]:
    return [
        {
            "name": attribute.name,
            "dataType": attribute.data_type,
            "description": attribute.description,
            "userEditable": attribute.user_editable,
        }
        for attribute in CustomAttribute.objects.order_by("name")
    ]


def _uris(text: str) -> list[str]:
    return text.split()


def _permission(permission: ApiPermission) -> dict[str, Any]:
    if permission.oidc_scope:
        entry: dict[str, Any] = {"scope": permission.oidc_scope}
    elif permission.api_scope is not None:
        entry = {"api": permission.api_scope.app.name, "scope": permission.api_scope.value}
    elif permission.app_role is not None:
        entry = {"api": permission.app_role.app.name, "role": permission.app_role.value}
    else:  # pragma: no cover - the check constraint: one kind each
        entry = {}
    entry["consented"] = permission.consented_at is not None
    return entry


def _app(app: AppRegistration) -> dict[str, Any]:
    permissions = [
        _permission(permission)
        for permission in app.api_permissions.select_related("api_scope__app", "app_role__app")
    ]
    return {
        "name": app.name,
        "clientId": app.client_id,
        "platform": app.platform,
        "platforms": app_platforms(app),
        "postLogoutRedirectUris": _uris(app.post_logout_redirect_uris),
        "frontChannelLogoutUrl": app.front_channel_logout_url,
        "appIdUri": app.app_id_uri,
        "userFlow": app.user_flow.name if app.user_flow else None,
        "scopes": [
            {
                "value": scope.value,
                "displayName": scope.admin_consent_display_name,
                "description": scope.admin_consent_description,
                "enabled": scope.enabled,
            }
            for scope in app.api_scopes.order_by("value")
        ],
        "roles": [
            {
                "value": role.value,
                "displayName": role.display_name,
                "description": role.description,
                "enabled": role.enabled,
            }
            for role in app.app_roles.order_by("value")
        ],
        "permissions": permissions,
        "claims": sorted(
            (
                {
                    **(
                        {"builtin": claim.builtin}
                        if claim.builtin
                        else {"custom": claim.custom_attribute.name}
                    ),
                    "idToken": claim.in_id_token,
                    "accessToken": claim.in_access_token,
                }
                for claim in app.claims.select_related("custom_attribute")
            ),
            key=lambda entry: (entry.get("builtin", ""), entry.get("custom", "")),
        ),
        "customClaims": [
            {
                "claimId": claim.claim_id,
                "jwtClaimName": claim.jwt_claim_name,
                "idToken": claim.in_id_token,
                "accessToken": claim.in_access_token,
            }
            for claim in app.custom_claims.order_by("jwt_claim_name")
        ],
    }


def _apps() -> list[dict[str, Any]]:
    # Not the platform's management API app: every tenant has it, and it is no one's to edit.
    apps = list(app_list().select_related("user_flow"))
    names = [app.name for app in apps]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConfigurationNotExportable(
            f"apps: names must be unique to be exported; used twice: {', '.join(twice)}"
        )
    return [_app(app) for app in apps]


def _user_flows() -> list[dict[str, Any]]:
    flows = []
    for flow in UserFlow.objects.prefetch_related("identity_providers").order_by("name"):
        flows.append(
            {
                "name": flow.name,
                "signInMethod": flow.sign_in_method,
                "signUpAllowed": flow.sign_up_allowed,
                "identitiesSelfService": flow.identities_self_service,
                "identityProviders": sorted(p.slug for p in flow.identity_providers.all()),
                "attributes": [
                    {
                        **(
                            {"builtin": item.builtin}
                            if item.builtin
                            else {"custom": item.custom_attribute.name}  # type: ignore[union-attr]
                        ),
                        "label": item.label,
                        "required": item.required,
                        "inputType": item.input_type,
                        "options": [dict(option) for option in item.options],
                    }
                    for item in flow.attributes.select_related("custom_attribute").order_by(
                        "position", "pk"
                    )
                ],
            }
        )
    return flows


def _image(layer: Branding, field: str) -> dict[str, str] | None:
    file = getattr(layer, field)
    if not file:
        return None
    with branding_storage().open(file.name, "rb") as handle:
        return image_entry(handle.read())


def _branding() -> list[dict[str, Any]]:
    layers = []
    for layer in Branding.objects.select_related("app"):
        values = {
            key: getattr(layer, field)
            for key, field in BRANDING_VALUES.items()
            if getattr(layer, field) is not None
        }
        images = {key: _image(layer, field) for key, field in BRANDING_IMAGES.items()}
        layers.append(
            {
                "app": layer.app.name if layer.app else None,
                "locale": layer.locale,
                "values": values,
                "images": {key: image for key, image in images.items() if image is not None},
            }
        )
    return sorted(layers, key=lambda entry: (entry["app"] or "", entry["locale"]))


def _languages(tenant: Tenant) -> dict[str, Any]:
    return {
        "default": tenant.default_language,
        "overrides": {
            row.locale: dict(sorted(row.strings.items()))
            for row in LanguageOverride.objects.order_by("locale")
        },
    }


def _identity_providers() -> list[dict[str, Any]]:
    return [
        {
            "slug": provider.slug,
            "kind": provider.kind,
            "displayName": provider.display_name,
            "clientId": provider.client_id,
            "clientSecret": {"fromEnv": secret_env_name(provider.slug)},
            "clientAuthentication": provider.client_authentication,
            "keyId": provider.key_id,
            "teamId": provider.team_id,
            "wellKnownUrl": provider.well_known_url,
            "scopes": list(provider.scopes),
            "claimsMapping": dict(sorted(provider.claims_mapping.items())),
            "trustedForEmail": provider.trusted_for_email,
        }
        for provider in IdentityProvider.objects.defer("secret_encrypted").order_by("slug")
    ]


def _app_names(client_ids: list[str], names: dict[str, str]) -> list[str]:
    # A client ID of no app of the tenant stays as it is: the policy still names it.
    return [names.get(client_id, client_id) for client_id in client_ids]


def _conditional_access_policies() -> list[dict[str, Any]]:
    names = dict(AppRegistration.objects.values_list("client_id", "name"))
    policies = []
    for policy in ConditionalAccessPolicy.objects.prefetch_related(
        "included_locations", "excluded_locations"
    ).order_by("name"):
        policies.append(
            {
                "name": policy.name,
                "state": policy.state,
                "grant": policy.grant,
                "allApps": policy.all_apps,
                "apps": sorted(_app_names(policy.client_ids, names)),
                "excludedApps": sorted(_app_names(policy.excluded_client_ids, names)),
                "riskLevels": list(policy.risk_levels),
                "locations": policy.locations,
                "includedLocations": sorted(x.name for x in policy.included_locations.all()),
                "excludeTrustedLocations": policy.exclude_trusted_locations,
                "excludedLocations": sorted(x.name for x in policy.excluded_locations.all()),
            }
        )
    return policies


def _listener_key(entry: dict[str, Any]) -> tuple[str, str]:
    return (entry.get("app", ""), entry.get("userFlow", ""))


def _extensions() -> list[dict[str, Any]]:
    extensions = []
    for extension in CustomAuthenticationExtension.objects.select_related("api_app").order_by(
        "name"
    ):
        listeners = []
        for listener in extension.listeners.select_related("app", "user_flow"):
            entry: dict[str, Any] = {"failurePolicy": listener.failure_policy}
            if listener.app is not None:
                entry["app"] = listener.app.name
            if listener.user_flow is not None:
                entry["userFlow"] = listener.user_flow.name
            listeners.append(entry)
        extensions.append(
            {
                "name": extension.name,
                "description": extension.description,
                "event": extension.event,
                "targetUrl": extension.target_url,
                "timeoutMs": extension.timeout_ms,
                "maxRetries": extension.max_retries,
                "apiApp": extension.api_app.name,
                "listeners": sorted(listeners, key=_listener_key),
            }
        )
    return extensions


def configuration_export(*, tenant: Tenant) -> dict[str, Any]:
    """The configuration of `tenant` as a plain dict (call it in the public schema).

    Guarantees: the same configuration always gives the same dict (lists sorted by name, or in
    page order where order means something: a flow's attributes, an app's redirect URIs); no
    database ID, no secret value; every section present, empty or not. Raises
    ConfigurationNotExportable when two apps share a name (a document names apps by name).
    """
    with in_tenant(tenant):
        return canonical_order(_export(tenant))


def _export(tenant: Tenant) -> dict[str, Any]:
    lifetimes = token_settings()
    methods = authentication_methods_policy()
    protection = sign_in_protection()
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "attributes": _attributes(),
        "apps": _apps(),
        "userFlows": _user_flows(),
        "branding": _branding(),
        "languages": _languages(tenant),
        "identityProviders": _identity_providers(),
        "authenticationMethods": {
            "emailOtp": methods.email_otp_enabled,
            "totp": methods.totp_enabled,
            "passkeys": methods.passkeys_enabled,
        },
        "signInProtection": {
            "lockoutThreshold": protection.lockout_threshold,
            "lockoutSeconds": protection.lockout_seconds,
            "requestsPerSecondPerAddress": protection.requests_per_second_per_address,
            "requestsPerSecondPerTenant": protection.requests_per_second_per_tenant,
            "breachedPasswordsRefused": protection.breached_passwords_refused,
        },
        "namedLocations": [
            {
                "name": location.name,
                "ipRanges": list(location.ip_ranges),
                "trusted": location.trusted,
            }
            for location in NamedLocation.objects.order_by("name")
        ],
        "conditionalAccessPolicies": _conditional_access_policies(),
        "extensions": _extensions(),
        "tokenLifetimes": {
            "accessTokenMinutes": lifetimes.access_token_minutes,
            "idTokenMinutes": lifetimes.id_token_minutes,
            "spaRefreshTokenHours": lifetimes.spa_refresh_token_hours,
            "refreshTokenDays": lifetimes.refresh_token_days,
        },
    }
