"""Applying a configuration document to a tenant: every change of the plan, through the rooms'
services (so their checks hold), in one transaction. A document that a service refuses
changes nothing, and the error names the path in the document (`apps[2].platforms.web[0]: …`).

Order: what others refer to is made first (attributes, identity providers, apps and their
scopes and roles, then permissions and claims, user flows, branding, languages, protection,
extensions and their listeners); deletions run last, in the reverse order.
"""

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import CustomAttribute, User
from accounts.services.attributes import (
    CustomAttributeLimitReached,
    custom_attribute_create,
    custom_attribute_update,
)
from apps import selectors as app_selectors
from apps import services as app_services
from apps.models import (
    REDIRECT_PLATFORMS,
    ApiPermission,
    ApiScope,
    AppRegistration,
    AppRole,
    Platform,
)
from branding.exceptions import BrandingInvalid
from branding.languages import (
    LanguageOverridesInvalid,
    language_overrides_remove,
    language_overrides_upload,
)
from branding.models import LanguageOverride
from branding.services import branding_layer_delete, branding_layer_save
from configuration.document import SECTION_KEYS, ConfigurationInvalid
from configuration.export import BRANDING_IMAGES, BRANDING_VALUES, camel, configuration_export
from configuration.plan import Plan, differing_objects, with_references_of
from extensions.flow_listeners import flow_listener_set
from extensions.listeners import listener_put, token_issuance_listener_remove
from extensions.models import CustomAuthenticationExtension, ExtensionEvent, ExtensionListener
from extensions.otp_listeners import otp_listener_remove
from extensions.services import (
    ExtensionInvalid,
    extension_create,
    extension_delete,
    extension_update,
)
from federation.exceptions import IdentityProviderInvalid
from federation.metadata import Fetch, metadata_fetch
from federation.models import IdentityProvider
from federation.services import (
    identity_provider_create,
    identity_provider_delete,
    identity_provider_update,
)
from protection.conditional_access import (
    ConditionalAccessInvalid,
    NamedLocationInUse,
    PolicySettings,
    conditional_access_policy_create,
    conditional_access_policy_delete,
    conditional_access_policy_update,
    named_location_create,
    named_location_delete,
    named_location_update,
)
from protection.methods import authentication_methods_policy_update
from protection.models import ConditionalAccessPolicy, NamedLocation
from protection.selectors import excluded_customer_emails
from protection.services import sign_in_protection_update
from tenants.models import AuditAction, Tenant
from tenants.schemas import in_tenant
from tenants.services import UnknownLanguage, audit_record, tenant_default_language_set
from userflows.models import UserFlow
from userflows.services import (
    UserFlowLimitReached,
    flow_app_remove,
    flow_apps_assign,
    flow_attribute_move,
    flow_attribute_update,
    flow_attributes_choose,
    userflow_create,
    userflow_delete,
    userflow_identity_providers_set,
    userflow_update,
)

# Names the services give their arguments, where the document spells them otherwise.
_FIELD_NAMES = {
    "secret": "clientSecret",
    "client_ids": "apps",
    "excluded_client_ids": "excludedApps",
    "included_location_ids": "includedLocations",
    "excluded_location_ids": "excludedLocations",
    "api_app_id": "apiApp",
    "api_app": "apiApp",
    "value": "",
    "pem": "",
    "__all__": "",
}


def _messages(error: Exception) -> dict[str, list[str]]:
    """A service's refusal as {field: messages} (field "" for the object as a whole)."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return {
                key: [str(m) for m in ValidationError(v).messages]
                for key, v in error.error_dict.items()
            }
        return {"": [str(message) for message in error.messages]}
    if isinstance(error, IdentityProviderInvalid | BrandingInvalid | ConditionalAccessInvalid):
        return {key: [str(m) for m in found] for key, found in error.errors.items()}
    if isinstance(error, ExtensionInvalid):
        return {key or "": [str(m) for m in found] for key, found in error.errors.items()}
    if isinstance(error, LanguageOverridesInvalid):
        return {"": [str(message) for message in error.errors]}
    if isinstance(error, NamedLocationInUse):
        return {"": [f"still used by the policies {', '.join(error.policy_names)}"]}
    if isinstance(error, UserFlowLimitReached):
        return {"": ["a tenant has at most ten user flows"]}
    if isinstance(error, CustomAttributeLimitReached):
        return {"": ["a tenant has at most 100 custom attributes"]}
    if isinstance(error, UnknownLanguage):
        return {"": [f"{error} is not a language the product speaks"]}
    raise error


_REFUSALS = (
    ValidationError,
    IdentityProviderInvalid,
    BrandingInvalid,
    ConditionalAccessInvalid,
    ExtensionInvalid,
    LanguageOverridesInvalid,
    NamedLocationInUse,
    UserFlowLimitReached,
    CustomAttributeLimitReached,
    UnknownLanguage,
)


@contextmanager
def _at(path: str) -> Iterator[None]:
    """Turn a service's refusal inside the block into ConfigurationInvalid at `path`."""
    try:
        yield
    except _REFUSALS as error:
        lines: list[str] = []
        for key, found in _messages(error).items():
            name = _FIELD_NAMES.get(key, camel(key)) if key else ""
            where = f"{path}.{name}" if name else path
            lines.extend(f"{where}: {message}" for message in found)
        raise ConfigurationInvalid(lines) from None


def _fail(path: str, message: str) -> ConfigurationInvalid:
    return ConfigurationInvalid([f"{path}: {message}"])


class _Applier:
    """One application of a plan (call `run` inside the tenant's schema)."""

    def __init__(self, *, tenant: Tenant, plan: Plan, actor: User | None, fetch: Fetch) -> None:
        self.tenant = tenant
        self.plan = plan
        self.actor = actor
        self.fetch = fetch
        self.desired = plan.desired
        self.paths = plan.document.paths

    # -- helpers ---------------------------------------------------------------------------

    def _wanted(self, section: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(action, path, desired object) for the section's created and updated objects."""
        changed = self.plan.changed(section)
        keyed = SECTION_KEYS[section]
        for item in self.desired.get(section, []):
            name = keyed(item)
            action = changed.get(name)
            if action in {"create", "update"}:
                yield action, self.paths[(section, name)], item

    def _deleted(self, section: str) -> list[str]:
        return [name for name, action in self.plan.changed(section).items() if action == "delete"]

    def _app(self, name: str, path: str) -> AppRegistration:
        app: AppRegistration | None = AppRegistration.objects.filter(name=name).first()
        if app is None:
            raise _fail(path, f"no app is named {name}")
        return app

    def _flow(self, name: str, path: str) -> UserFlow:
        flow = UserFlow.objects.filter(name=name).first()
        if flow is None:
            raise _fail(path, f"no user flow is named {name}")
        return flow

    # -- sections --------------------------------------------------------------------------

    def attributes(self) -> None:
        for action, path, item in self._wanted("attributes"):
            with _at(path):
                if action == "create":
                    custom_attribute_create(
                        name=item["name"],
                        data_type=item["dataType"],
                        description=item["description"],
                        user_editable=item["userEditable"],
                    )
                else:
                    custom_attribute_update(
                        attribute=CustomAttribute.objects.get(name=item["name"]),
                        data_type=item["dataType"],
                        description=item["description"],
                        user_editable=item["userEditable"],
                    )
        for name in self._deleted("attributes"):
            # No service removes a custom attribute: customers' values are kept under it.
            raise _fail(f"attributes ({name})", "a custom attribute cannot be deleted; keep it")

    def identity_providers(self) -> None:
        for action, path, item in self._wanted("identityProviders"):
            settings = {
                "display_name": item["displayName"],
                "client_id": item["clientId"],
                "client_authentication": item["clientAuthentication"],
                "key_id": item["keyId"],
                "team_id": item["teamId"],
                "well_known_url": item["wellKnownUrl"],
                "scopes": item["scopes"],
                "claims_mapping": item["claimsMapping"],
                "trusted_for_email": item["trustedForEmail"],
            }
            secret = self.plan.secrets.get(item["slug"], "")
            with _at(path):
                if action == "create":
                    identity_provider_create(
                        kind=item["kind"],
                        slug=item["slug"],
                        secret=secret,
                        fetch=self.fetch,
                        **settings,
                    )
                    continue
                provider = IdentityProvider.objects.get(slug=item["slug"])
                if provider.kind != item["kind"]:
                    raise _fail(f"{path}.kind", "the kind of a provider never changes")
                identity_provider_update(
                    provider=provider, fetch=self.fetch, secret=secret or None, **settings
                )

    def _app_platforms(self, app: AppRegistration, path: str, item: dict[str, Any]) -> None:
        """Each platform's redirect URIs as the document lists them, through the platform
        services: first every URI that leaves its platform is taken off it (so it may join
        another), then each platform is set or added, web first, then the platforms the
        document no longer has are removed (the main platform follows, as in the admin
        center; removing web from an app that holds secrets is refused)."""
        wanted: dict[str, list[str]] = item["platforms"]
        for platform, uris in wanted.items():
            for index, uri in enumerate(uris):
                with _at(f"{path}.platforms.{platform}[{index}]"):
                    app_services.redirect_uri_check(platform=platform, uri=uri)
        if app.platform not in REDIRECT_PLATFORMS:
            return  # a daemon: the document was refused if it gave it redirect URIs
        for platform, uris in app_selectors.app_platforms(app).items():
            staying = [uri for uri in uris if uri in wanted.get(platform, [])]
            if staying != uris and platform in app_selectors.app_platforms(app):
                with _at(f"{path}.platforms.{platform}"):
                    app_services.app_platform_update(
                        app=app, platform=platform, redirect_uris=staying
                    )
        for platform in REDIRECT_PLATFORMS:
            if platform not in wanted:
                continue
            with _at(f"{path}.platforms.{platform}"):
                if platform in app_selectors.app_platforms(app):
                    app_services.app_platform_update(
                        app=app, platform=platform, redirect_uris=wanted[platform]
                    )
                else:
                    app_services.app_platform_add(
                        app=app, platform=platform, redirect_uris=wanted[platform]
                    )
        for platform in app_selectors.app_platforms(app):
            if platform not in wanted:
                with _at(f"{path}.platforms.{platform}"):
                    app_services.app_platform_remove(app=app, platform=platform)

    def _app_settings(self, app: AppRegistration, path: str, item: dict[str, Any]) -> None:
        self._app_platforms(app, path, item)
        for index, uri in enumerate(item["postLogoutRedirectUris"]):
            with _at(f"{path}.postLogoutRedirectUris[{index}]"):
                app_services.redirect_uri_check(platform=app.platform, uri=uri)
        with _at(path):
            app_services.app_authentication_update(
                app=app,
                post_logout_redirect_uris=item["postLogoutRedirectUris"],
                front_channel_logout_url=item["frontChannelLogoutUrl"],
            )
        if item["appIdUri"] and item["appIdUri"] != app.app_id_uri:
            with _at(path):
                app_services.app_id_uri_set(app=app, app_id_uri=item["appIdUri"])
        elif not item["appIdUri"] and app.app_id_uri:
            # No service clears it (the admin center never does); the default URI is derived.
            AppRegistration.objects.filter(pk=app.pk).update(app_id_uri="")
        for key, model, add, label in (
            ("scopes", ApiScope, app_services.api_scope_add, "admin_consent_display_name"),
            ("roles", AppRole, app_services.app_role_add, "display_name"),
        ):
            had = {row.value: row for row in model.objects.filter(app=app)}
            for index, entry in enumerate(item[key]):
                row = had.pop(entry["value"], None)
                with _at(f"{path}.{key}[{index}]"):
                    if row is None:
                        row = add(
                            app=app,
                            value=entry["value"],
                            display_name=entry["displayName"],
                            description=entry["description"],
                        )
                # No service edits a scope or role: the admin center only adds them. The
                # values were checked by the add above or when they were first added.
                setattr(row, label, entry["displayName"])
                description = "admin_consent_description" if key == "scopes" else "description"
                setattr(row, description, entry["description"])
                row.enabled = entry["enabled"]
                row.save()
            for row in had.values():
                row.delete()  # its permissions with it (a removed scope is granted to none)

    def apps(self) -> None:
        for action, path, item in self._wanted("apps"):
            if action == "create":
                with _at(path):
                    app = app_services.app_register(
                        name=item["name"], platform=item["platform"], redirect_uris=[]
                    )
                client_id = item.get("clientId")
                if client_id:
                    if AppRegistration.objects.filter(client_id=client_id).exists():
                        raise _fail(f"{path}.clientId", "another app has this client ID")
                    app.client_id = client_id
                    app.save(update_fields=["client_id"])
            else:
                app = self._app(item["name"], path)
                # The main platform follows the platforms (web whenever the app has one), but
                # a daemon is made a daemon and stays one: it has no platform to add.
                if (app.platform == Platform.DAEMON) != (item["platform"] == Platform.DAEMON):
                    raise _fail(f"{path}.platform", "a daemon never becomes another platform")
                if item.get("clientId") and item["clientId"] != app.client_id:
                    raise _fail(f"{path}.clientId", "the client ID of an app never changes")
            self._app_settings(app, path, item)

    def _permissions(self, app: AppRegistration, path: str, item: dict[str, Any]) -> None:
        wanted: dict[tuple[str, str, str], tuple[int, bool]] = {}
        for index, entry in enumerate(item["permissions"]):
            where = f"{path}.permissions[{index}]"
            if "api" in entry:
                if ("scope" in entry) == ("role" in entry):
                    raise _fail(where, "an API's permission names one scope or one role")
                kind = "role" if "role" in entry else "scope"
                key = (entry["api"], kind, entry[kind])
            else:
                if "scope" not in entry or "role" in entry:
                    raise _fail(where, "give an OpenID scope, or an api with a scope or role")
                key = ("", "scope", entry["scope"])
            wanted[key] = (index, entry["consented"])
        for permission in ApiPermission.objects.filter(client=app).select_related(
            "api_scope__app", "app_role__app"
        ):
            if permission.oidc_scope:
                key = ("", "scope", permission.oidc_scope)
            elif permission.api_scope is not None:
                key = (permission.api_scope.app.name, "scope", permission.api_scope.value)
            elif permission.app_role is not None:
                key = (permission.app_role.app.name, "role", permission.app_role.value)
            else:  # pragma: no cover - the check constraint: one kind each
                continue
            if key not in wanted:
                app_services.api_permission_remove(client=app, permission_id=permission.pk)
        now = timezone.now()
        for (api, kind, value), (index, consented) in wanted.items():
            where = f"{path}.permissions[{index}]"
            with _at(where):
                if not api:
                    permission = app_services.api_permission_add(client=app, oidc_scope=value)
                else:
                    resource = self._app(api, f"{where}.api")
                    role = AppRole.objects.filter(app=resource, value=value).first()
                    scope = ApiScope.objects.filter(app=resource, value=value).first()
                    if (role if kind == "role" else scope) is None:
                        raise _fail(f"{where}.{kind}", f"{api} has no {kind} {value}")
                    permission = app_services.api_permission_add(
                        client=app,
                        app_role=role if kind == "role" else None,
                        api_scope=scope if kind == "scope" else None,
                    )
            # Consent is granted for all of an app's permissions at once in the admin center;
            # a document says it per permission.
            if (permission.consented_at is not None) != consented:
                permission.consented_at = now if consented else None
                permission.save(update_fields=["consented_at"])

    def app_relations(self) -> None:
        for _action, path, item in self._wanted("apps"):
            app = self._app(item["name"], path)
            self._permissions(app, path, item)
            with _at(f"{path}.claims"):
                app_services.app_claims_set(
                    app=app,
                    entries=[
                        (
                            entry.get("builtin") or entry["custom"],
                            entry["idToken"],
                            entry["accessToken"],
                        )
                        for entry in item["claims"]
                    ],
                )
            with _at(f"{path}.customClaims"):
                app_services.app_custom_claims_set(
                    app=app,
                    entries=[
                        (e["claimId"], e["jwtClaimName"], e["idToken"], e["accessToken"])
                        for e in item["customClaims"]
                    ],
                )

    def _flow_attributes(self, flow: UserFlow, path: str, item: dict[str, Any]) -> None:
        builtin: dict[str, bool] = {}
        custom: dict[CustomAttribute, bool] = {}
        for index, entry in enumerate(item["attributes"]):
            if "custom" in entry:
                attribute = CustomAttribute.objects.filter(name=entry["custom"]).first()
                if attribute is None:
                    raise _fail(
                        f"{path}.attributes[{index}].custom",
                        f"no custom attribute is named {entry['custom']}",
                    )
                custom[attribute] = entry["required"]
            else:
                builtin[entry["builtin"]] = entry["required"]
        if "email" not in builtin:
            raise _fail(f"{path}.attributes", "a user flow always collects builtin: email")
        with _at(f"{path}.attributes"):
            flow_attributes_choose(flow=flow, builtin=builtin, custom=custom)
        rows = {
            (row.builtin or row.custom_attribute.name): row  # type: ignore[union-attr]
            for row in flow.attributes.select_related("custom_attribute", "flow")
        }
        for index, entry in enumerate(item["attributes"]):
            row = rows[entry.get("builtin") or entry["custom"]]
            with _at(f"{path}.attributes[{index}]"):
                flow_attribute_update(
                    attribute=row,
                    label=entry["label"],
                    required=entry["required"],
                    input_type=entry["inputType"],
                    options=entry["options"],
                )
                flow_attribute_move(attribute=row, to="bottom")

    def user_flows(self) -> None:
        for action, path, item in self._wanted("userFlows"):
            with _at(path):
                if action == "create":
                    flow = userflow_create(
                        name=item["name"],
                        sign_in_method=item["signInMethod"],
                        sign_up_allowed=item["signUpAllowed"],
                    )
                else:
                    flow = userflow_update(
                        flow=self._flow(item["name"], path),
                        name=item["name"],
                        sign_in_method=item["signInMethod"],
                        sign_up_allowed=item["signUpAllowed"],
                    )
            providers = []
            for index, slug in enumerate(item["identityProviders"]):
                provider = IdentityProvider.objects.filter(slug=slug).first()
                if provider is None:
                    raise _fail(f"{path}.identityProviders[{index}]", f"no provider {slug}")
                providers.append(provider.pk)
            userflow_identity_providers_set(
                flow=flow,
                provider_ids=providers,
                identities_self_service=item["identitiesSelfService"],
            )
            self._flow_attributes(flow, path, item)

    def app_flows(self) -> None:
        """Each app's user flow, once flows exist (an app names its flow)."""
        for _action, path, item in self._wanted("apps"):
            app = self._app(item["name"], path)
            name = item["userFlow"]
            if name is None:
                if app.user_flow_id is not None:
                    flow_app_remove(flow=app.user_flow, app=app)
                continue
            flow = self._flow(name, f"{path}.userFlow")
            if app.user_flow_id != flow.pk:
                with _at(f"{path}.userFlow"):
                    flow_apps_assign(flow=flow, apps=[app])

    def branding(self) -> None:
        for _action, path, item in self._wanted("branding"):
            app_id = None
            if item["app"] is not None:
                app_id = self._app(item["app"], f"{path}.app").pk
            unknown = [key for key in item["values"] if key not in BRANDING_VALUES]
            unknown += [key for key in item["images"] if key not in BRANDING_IMAGES]
            if unknown:
                raise _fail(f"{path}.{unknown[0]}", "unknown branding element")
            images = {}
            for key, image in item["images"].items():
                try:
                    content = base64.b64decode(image["data"], validate=True)
                except (binascii.Error, ValueError):
                    raise _fail(f"{path}.images.{key}.data", "not base64") from None
                if hashlib.sha256(content).hexdigest() != image["sha256"]:
                    raise _fail(f"{path}.images.{key}.sha256", "does not match the data")
                field = BRANDING_IMAGES[key]
                images[field] = SimpleUploadedFile(field, content)
            with _at(path):
                branding_layer_save(
                    app_id=app_id,
                    locale=item["locale"],
                    values={
                        field: item["values"].get(key) for key, field in BRANDING_VALUES.items()
                    },
                    images=images,
                    clear_images=[
                        field for key, field in BRANDING_IMAGES.items() if key not in item["images"]
                    ],
                )

    def languages(self) -> None:
        wanted = self.desired.get("languages")
        if wanted is None or not self.plan.changed("languages"):
            return
        for locale, strings in wanted["overrides"].items():
            stored = LanguageOverride.objects.filter(locale=locale).first()
            if stored is None or stored.strings != strings:
                with _at(f"languages.overrides.{locale}"):
                    language_overrides_upload(locale=locale, data=json.dumps(strings).encode())
        for locale in LanguageOverride.objects.exclude(
            locale__in=list(wanted["overrides"])
        ).values_list("locale", flat=True):
            language_overrides_remove(locale=locale)

    def singletons(self) -> None:
        methods = self.desired.get("authenticationMethods")
        if methods is not None and self.plan.changed("authenticationMethods"):
            authentication_methods_policy_update(
                email_otp_enabled=methods["emailOtp"],
                totp_enabled=methods["totp"],
                passkeys_enabled=methods["passkeys"],
            )
        protection = self.desired.get("signInProtection")
        if protection is not None and self.plan.changed("signInProtection"):
            with _at("signInProtection"):
                sign_in_protection_update(
                    lockout_threshold=protection["lockoutThreshold"],
                    lockout_seconds=protection["lockoutSeconds"],
                    requests_per_second_per_address=protection["requestsPerSecondPerAddress"],
                    requests_per_second_per_tenant=protection["requestsPerSecondPerTenant"],
                    breached_passwords_refused=protection["breachedPasswordsRefused"],
                )
        lifetimes = self.desired.get("tokenLifetimes")
        if lifetimes is not None and self.plan.changed("tokenLifetimes"):
            with _at("tokenLifetimes"):
                app_services.token_settings_update(
                    access_token_minutes=lifetimes["accessTokenMinutes"],
                    id_token_minutes=lifetimes["idTokenMinutes"],
                    spa_refresh_token_hours=lifetimes["spaRefreshTokenHours"],
                    refresh_token_days=lifetimes["refreshTokenDays"],
                )

    def named_locations(self) -> None:
        for action, path, item in self._wanted("namedLocations"):
            with _at(path):
                if action == "create":
                    named_location_create(
                        name=item["name"], ip_ranges=item["ipRanges"], trusted=item["trusted"]
                    )
                else:
                    named_location_update(
                        location=NamedLocation.objects.get(name=item["name"]),
                        name=item["name"],
                        ip_ranges=item["ipRanges"],
                        trusted=item["trusted"],
                    )

    def _client_ids(self, names: list[str]) -> list[str]:
        # A name of no app is taken as a client ID (the export writes unknown IDs as they are).
        by_name = dict(AppRegistration.objects.values_list("name", "client_id"))
        return [by_name.get(name, name) for name in names]

    def _location_ids(self, names: list[str], path: str) -> list[str]:
        ids = []
        for index, name in enumerate(names):
            location = NamedLocation.objects.filter(name=name).first()
            if location is None:
                raise _fail(f"{path}[{index}]", f"no named location is named {name}")
            ids.append(str(location.location_id))
        return ids

    def conditional_access_policies(self) -> None:
        for _action, path, item in self._wanted("conditionalAccessPolicies"):
            policy = ConditionalAccessPolicy.objects.filter(name=item["name"]).first()
            settings = PolicySettings(
                name=item["name"],
                state=item["state"],
                grant=item["grant"],
                # Customers are not configuration: a policy keeps the ones it excludes.
                excluded_customer_emails=excluded_customer_emails(policy) if policy else (),
                all_apps=item["allApps"],
                client_ids=self._client_ids(item["apps"]),
                excluded_client_ids=self._client_ids(item["excludedApps"]),
                risk_levels=item["riskLevels"],
                locations=item["locations"],
                included_location_ids=self._location_ids(
                    item["includedLocations"], f"{path}.includedLocations"
                ),
                exclude_trusted_locations=item["excludeTrustedLocations"],
                excluded_location_ids=self._location_ids(
                    item["excludedLocations"], f"{path}.excludedLocations"
                ),
            )
            with _at(path):
                if policy is None:
                    conditional_access_policy_create(settings=settings)
                else:
                    conditional_access_policy_update(policy=policy, settings=settings)

    def _listeners(
        self, extension: CustomAuthenticationExtension, path: str, item: dict[str, Any]
    ) -> None:
        event = ExtensionEvent(extension.event)
        places = set()
        for index, entry in enumerate(item["listeners"]):
            where = f"{path}.listeners[{index}]"
            app = self._app(entry["app"], f"{where}.app") if "app" in entry else None
            flow = (
                self._flow(entry["userFlow"], f"{where}.userFlow") if "userFlow" in entry else None
            )
            places.add((app.pk if app else None, flow.pk if flow else None))
            with _at(where):
                listener_put(
                    event=event,
                    extension=extension,
                    failure_policy=entry["failurePolicy"],
                    app=app,
                    user_flow=flow,
                )
        for listener in ExtensionListener.objects.filter(extension=extension).select_related(
            "app", "user_flow"
        ):
            if (listener.app_id, listener.user_flow_id) in places:
                continue
            if listener.app is not None:
                token_issuance_listener_remove(app=listener.app)
            elif listener.user_flow is not None:
                flow_listener_set(
                    flow=listener.user_flow, event=event, extension=None, failure_policy=""
                )
            else:
                otp_listener_remove()

    def extensions(self) -> None:
        for action, path, item in self._wanted("extensions"):
            api_app = self._app(item["apiApp"], f"{path}.apiApp")
            settings = {
                "name": item["name"],
                "description": item["description"],
                "target_url": item["targetUrl"],
                "timeout_ms": item["timeoutMs"],
                "max_retries": item["maxRetries"],
                "api_app_id": api_app.object_id,
            }
            with _at(path):
                if action == "create":
                    extension = extension_create(event=item["event"], **settings)
                else:
                    extension = CustomAuthenticationExtension.objects.get(name=item["name"])
                    if extension.event != item["event"]:
                        raise _fail(f"{path}.event", "the event of an extension never changes")
                    extension = extension_update(extension=extension, **settings)
            self._listeners(extension, path, item)

    def deletions(self) -> None:
        for name in self._deleted("extensions"):
            extension_delete(extension=CustomAuthenticationExtension.objects.get(name=name))
        for name in self._deleted("conditionalAccessPolicies"):
            conditional_access_policy_delete(policy=ConditionalAccessPolicy.objects.get(name=name))
        for name in self._deleted("namedLocations"):
            with _at(f"namedLocations ({name})"):
                named_location_delete(location=NamedLocation.objects.get(name=name))
        for item in self.plan.current.get("branding", []):
            if SECTION_KEYS["branding"](item) in self._deleted("branding"):
                app = AppRegistration.objects.filter(name=item["app"]).first()
                branding_layer_delete(app_id=app.pk if app else None, locale=item["locale"])
        for name in self._deleted("userFlows"):
            userflow_delete(flow=UserFlow.objects.get(name=name))
        for name in self._deleted("apps"):
            app_services.app_delete(app=AppRegistration.objects.get(name=name))
        for name in self._deleted("identityProviders"):
            identity_provider_delete(provider=IdentityProvider.objects.get(slug=name))

    def run(self) -> None:
        self.attributes()
        self.identity_providers()
        self.apps()
        self.app_relations()
        self.user_flows()
        self.app_flows()
        self.branding()
        self.languages()
        self.singletons()
        self.named_locations()
        self.conditional_access_policies()
        self.extensions()
        self.deletions()


def configuration_apply(
    *,
    tenant: Tenant,
    plan: Plan,
    actor: User | None,
    fetch: Fetch = metadata_fetch,
    audit: Callable[[dict[str, object]], object] | None = None,
) -> Plan:
    """Make the tenant what `plan` says (call it in the public schema), and return it.

    Guarantees: all of it or nothing (one transaction: a refusal raises ConfigurationInvalid,
    naming the document's path, and nothing is kept but image files, which are named by
    their content); every write goes through the rooms' services where one exists; one audit
    entry (`configuration.applied`, or what `audit` records, given the details) lists the
    changes. An empty plan writes nothing. The
    returned plan's `unsettled` names what the tenant now stores otherwise than the document
    says (a value a service normalised): the next plan would show those again.
    """
    if not plan.changes:
        return plan
    with transaction.atomic():
        with in_tenant(tenant):
            _Applier(tenant=tenant, plan=plan, actor=actor, fetch=fetch).run()
        languages = plan.desired.get("languages")
        if languages is not None and languages["default"] != tenant.default_language:
            # The tenant's row is in the public schema, and so is the audit log.
            with _at("languages.default"):
                tenant_default_language_set(
                    tenant=tenant, language=languages["default"], actor=actor
                )
        after = configuration_export(tenant=tenant)
        current = {section: after[section] for section in plan.desired}
        with_references_of(current, plan.desired)
        plan.unsettled = differing_objects(current, plan.desired)
        details: dict[str, object] = {
            "changes": [str(change) for change in plan.changes][:200],
            "count": len(plan.changes),
        }
        if audit is not None:
            audit(details)
        else:
            audit_record(
                actor=actor,
                tenant=tenant,
                action=AuditAction.CONFIGURATION_APPLIED,
                target=tenant.domain_name,
                details=details,
            )
    return plan
