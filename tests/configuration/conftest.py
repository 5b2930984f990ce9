"""A rich tenant configuration ("contoso", built in tenant A through the rooms' services) and
a fresh tenant to apply it to."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services.attributes import custom_attribute_create
from apps import services as app_services
from apps.models import Platform
from apps.oidc.views import discovery_document
from branding.languages import language_overrides_upload
from branding.services import branding_layer_save
from ciam_portal.demo import demo_banner_logo
from extensions.flow_listeners import flow_listener_set
from extensions.listeners import token_issuance_listener_set
from extensions.models import ExtensionEvent
from extensions.otp_listeners import otp_listener_set
from extensions.services import extension_create
from federation.models import ProviderKind
from federation.services import identity_provider_create
from protection.conditional_access import (
    PolicySettings,
    conditional_access_policy_create,
    named_location_create,
)
from protection.methods import authentication_methods_policy_update
from protection.services import sign_in_protection_update
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_issuer
from tenants.services import tenant_create, tenant_default_language_set
from userflows.services import (
    flow_apps_assign,
    flow_attribute_update,
    userflow_create,
    userflow_identity_providers_set,
)

GOOGLE_SECRET = "google-secret-4b1d9e"
PARTNER_SECRET = "partner-secret-77aa0c"
SECRETS = {"CIAM_IDP_GOOGLE_SECRET": GOOGLE_SECRET, "CIAM_IDP_PARTNER_SECRET": PARTNER_SECRET}


@dataclass
class Contoso:
    tenant: Tenant
    fetch: Callable[[str], bytes]
    app_secret: str


@pytest.fixture
def contoso(tenant_a: Tenant, tenant_b: Tenant) -> Contoso:
    with in_tenant(tenant_b):
        document = json.dumps(discovery_document()).encode()
        well_known = f"{tenant_issuer(tenant_b)}/.well-known/openid-configuration"

    def fetch(url: str) -> bytes:
        return document

    with in_tenant(tenant_a):
        loyalty = custom_attribute_create(name="loyaltyId", data_type="string")
        custom_attribute_create(name="newsletter", data_type="boolean", user_editable=False)
        google = identity_provider_create(
            kind=ProviderKind.GOOGLE,
            display_name="Google",
            client_id="google-client.apps.example",
            secret=GOOGLE_SECRET,
        )
        partner = identity_provider_create(
            kind=ProviderKind.OPENID_CONNECT,
            display_name="Partner",
            slug="partner",
            client_id="partner-client",
            secret=PARTNER_SECRET,
            well_known_url=well_known,
            fetch=fetch,
        )
        api = app_services.app_register(name="Contoso API", platform=Platform.WEB)
        app_services.app_id_uri_set(app=api, app_id_uri="api://contoso-api")
        scope = app_services.api_scope_add(
            app=api, value="Files.Read", display_name="Read files", description="Your files"
        )
        role = app_services.app_role_add(app=api, value="Files.Read.All", display_name="All")
        web = app_services.app_register(
            name="Contoso web", platform=Platform.WEB, redirect_uris=["https://web.example/cb"]
        )
        app_services.app_authentication_update(
            app=web,
            redirect_uris=["https://web.example/cb", "http://localhost:5000/cb"],
            post_logout_redirect_uris=["https://web.example/"],
            front_channel_logout_url="https://web.example/logout",
        )
        app_services.api_permission_add(client=web, api_scope=scope)
        app_services.api_permission_add(client=web, app_role=role)
        app_services.admin_consent_grant(client=web)
        app_services.app_claims_set(
            app=web, entries=[("display_name", True, False), ("loyaltyId", True, True)]
        )
        app_services.app_custom_claims_set(app=web, entries=[("tier", "contoso_tier", True, True)])
        _secret, app_secret = app_services.client_secret_add(
            app=web, description="ci", lifetime_days=90
        )
        spa = app_services.app_register(
            name="Contoso SPA", platform=Platform.SPA, redirect_uris=["https://spa.example/"]
        )
        app_services.app_register(name="Contoso daemon", platform=Platform.DAEMON)
        # One app on three platforms (Entra's web, spa and publicClient): a code for each URI
        # is redeemed as its platform says, so the round trip keeps every URI on its own.
        everywhere = app_services.app_register(
            name="Contoso web and mobile",
            platform=Platform.WEB,
            redirect_uris=["https://portal.example/signin-oidc"],
        )
        app_services.app_platform_add(
            app=everywhere,
            platform=Platform.SPA,
            redirect_uris=["https://portal.example/spa", "http://localhost:3000/"],
        )
        app_services.app_platform_add(
            app=everywhere, platform=Platform.MOBILE, redirect_uris=["com.contoso.portal:/auth"]
        )
        flow = userflow_create(
            name="Sign up and sign in",
            builtin_attributes=["display_name", "given_name"],
            custom_attributes=[loyalty],
        )
        loyalty_row = flow.attributes.get(custom_attribute=loyalty)
        flow_attribute_update(
            attribute=loyalty_row,
            label="Loyalty number",
            required=True,
            input_type="TextBox",
            options=[],
        )
        userflow_identity_providers_set(
            flow=flow, provider_ids=[google.pk, partner.pk], identities_self_service=True
        )
        flow_apps_assign(flow=flow, apps=[web, spa])
        userflow_create(name="Email codes", sign_in_method="email_otp", sign_up_allowed=False)
        branding_layer_save(
            app_id=None,
            locale="",
            values={
                "accent_color": "#0b6e4f",
                "background_color": "#dcebe5",
                "layout_template": "full_screen",
                "show_privacy_link": True,
                "privacy_link_url": "https://example.com/privacy",
                "sign_in_text": "Welcome to **Contoso**.",
                "custom_css": ".ext-title { font-weight: 700; }",
            },
            images={
                "banner_logo": SimpleUploadedFile(
                    "banner.png", demo_banner_logo("Contoso"), content_type="image/png"
                )
            },
        )
        branding_layer_save(
            app_id=None, locale="fr", values={"sign_in_text": "Bienvenue."}, images={}
        )
        branding_layer_save(
            app_id=web.pk, locale="", values={"username_hint": "you@contoso.example"}, images={}
        )
        language_overrides_upload(
            locale="fr", data=json.dumps({"SignIn_Title": "Connexion Contoso"}).encode()
        )
        authentication_methods_policy_update(
            email_otp_enabled=True, totp_enabled=True, passkeys_enabled=False
        )
        sign_in_protection_update(
            lockout_threshold=5,
            lockout_seconds=120,
            requests_per_second_per_address=15,
            requests_per_second_per_tenant=150,
            breached_passwords_refused=True,
        )
        office = named_location_create(name="Office", ip_ranges=["10.1.0.0/16"], trusted=True)
        conditional_access_policy_create(
            settings=PolicySettings(
                name="MFA outside the office",
                state="on",
                grant="mfa",
                all_apps=False,
                client_ids=[web.client_id],
                risk_levels=["medium", "high"],
                excluded_location_ids=[office.location_id],
            )
        )
        app_services.token_settings_update(
            access_token_minutes=45,
            id_token_minutes=30,
            spa_refresh_token_hours=12,
            refresh_token_days=30,
        )
        claims = extension_create(
            name="Loyalty claims",
            event=ExtensionEvent.TOKEN_ISSUANCE_START,
            target_url="https://ext.contoso.example/claims",
            timeout_ms=1500,
            max_retries=1,
            api_app_id=api.object_id,
        )
        token_issuance_listener_set(app=web, extension=claims, failure_policy="fail")
        check = extension_create(
            name="Check sign-up",
            event=ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT,
            target_url="https://ext.contoso.example/submit",
            timeout_ms=2000,
            max_retries=0,
            api_app_id=api.object_id,
        )
        flow_listener_set(
            flow=flow,
            event=ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT,
            extension=check,
            failure_policy="fail",
        )
        otp = extension_create(
            name="SMS-like codes",
            event=ExtensionEvent.OTP_SEND,
            target_url="https://ext.contoso.example/otp",
            timeout_ms=2000,
            max_retries=1,
            api_app_id=api.object_id,
        )
        otp_listener_set(extension=otp)
    tenant_default_language_set(tenant=tenant_a, language="fr", actor=None)
    tenant_a.refresh_from_db()
    return Contoso(tenant=tenant_a, fetch=fetch, app_secret=app_secret)


@pytest.fixture
def fresh_tenant(db: None) -> Tenant:
    return tenant_create(
        display_name="Fresh",
        domain_name=f"fresh-{uuid.uuid4().hex[:8]}",
        country="NL",
        creator=None,
    )
