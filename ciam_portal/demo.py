"""The demo tenant's apps (DESIGN.md contract): a confidential web app, a single-page app, an
API the web app may call by client credentials, and the email + password user flow (with email
verification) both apps use."""

import io
import json
from typing import TypedDict

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from apps import services
from apps.models import ApiScope, AppRegistration, AppRole, ClientSecret, Platform
from apps.oidc.views import discovery_document
from branding.selectors import branding_layers
from branding.services import branding_layer_save
from ciam_portal.environment import DATA_DIR
from federation.models import IdentityProvider, ProviderKind
from federation.services import identity_provider_create, identity_provider_update
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_base_url, tenant_issuer
from userflows.models import UserFlow
from userflows.services import flow_apps_assign, userflow_create

FLOW_NAME = "Sign up and sign in"
WEB_NAME = "Demo web app"
SPA_NAME = "Demo single-page app"
API_NAME = "Demo API"
WEB_REDIRECT_URI = "http://localhost:5000/auth/callback"
WEB_POST_LOGOUT_URI = "http://localhost:5000/"
SPA_REDIRECT_URI = "http://localhost:3000/"


class DemoApps(TypedDict):
    web: dict[str, str]
    spa: dict[str, str]
    client_credentials_scope: str


def _get_or_register(name: str, platform: str, redirect_uris: list[str]) -> AppRegistration:
    app = AppRegistration.objects.filter(name=name).first()
    return app or services.app_register(name=name, platform=platform, redirect_uris=redirect_uris)


def _demo_secret(app: AppRegistration, tenant_name: str) -> str:
    """The demo web app's secret, kept in the data folder so that every run prints it."""
    path = DATA_DIR / f"demo_{tenant_name}_web_secret"
    if path.exists():
        value = path.read_text().strip()
        if ClientSecret.objects.filter(app=app, digest=ClientSecret.digest_of(value)).exists():
            return value
    _secret, value = services.client_secret_add(
        app=app, description="Demo secret", lifetime_days=730
    )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(value)
    path.chmod(0o600)
    return value


def demo_apps_ensure(*, tenant_name: str) -> DemoApps:
    """Create (idempotently) the demo apps in the current tenant and return the contract part."""
    api = _get_or_register(API_NAME, Platform.WEB, [])
    if not api.app_id_uri:
        services.app_id_uri_set(app=api, app_id_uri=f"api://{tenant_name}-demo-api")
    scope = ApiScope.objects.filter(app=api, value="Files.Read").first() or services.api_scope_add(
        app=api, value="Files.Read", display_name="Read files", description="Read your files"
    )
    role = AppRole.objects.filter(app=api, value="Files.Read.All").first() or services.app_role_add(
        app=api, value="Files.Read.All", display_name="Read all files"
    )
    web = _get_or_register(WEB_NAME, Platform.WEB, [WEB_REDIRECT_URI])
    if not web.post_logout_redirect_uris:
        services.app_authentication_update(
            app=web,
            redirect_uris=[WEB_REDIRECT_URI],
            post_logout_redirect_uris=[WEB_POST_LOGOUT_URI],
            front_channel_logout_url="",
        )
    services.api_permission_add(client=web, api_scope=scope)
    services.api_permission_add(client=web, app_role=role)
    services.admin_consent_grant(client=web)
    spa = _get_or_register(SPA_NAME, Platform.SPA, [SPA_REDIRECT_URI])
    flow = UserFlow.objects.filter(name=FLOW_NAME).first() or userflow_create(
        name=FLOW_NAME, builtin_attributes=["display_name", "given_name", "surname"]
    )
    flow_apps_assign(flow=flow, apps=[web, spa])
    return {
        "web": {
            "client_id": web.client_id,
            "client_secret": _demo_secret(web, tenant_name),
            "redirect_uri": WEB_REDIRECT_URI,
            "post_logout_redirect_uri": WEB_POST_LOGOUT_URI,
        },
        "spa": {"client_id": spa.client_id, "redirect_uri": SPA_REDIRECT_URI},
        "client_credentials_scope": f"{api.effective_app_id_uri}/.default",
    }


DEMO_ACCENT = "#0b6e4f"
DEMO_BACKGROUND = "#dcebe5"


def demo_banner_logo(name: str) -> bytes:
    """A small banner logo (Entra's 245 by 36 pixels, well under its 50 KB): a mark and the name."""
    image = Image.new("RGBA", (245, 36), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((2, 4, 30, 32), radius=7, fill=DEMO_ACCENT)
    draw.polygon([(9, 25), (16, 10), (23, 25)], fill="#ffffff")
    draw.text((40, 18), name, fill="#1b1f24", anchor="lm", font=ImageFont.load_default(size=20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def demo_branding_ensure(*, company_name: str) -> None:
    """Give the current tenant a small branding, once: only while it has none, so what an admin
    changed is never overwritten (a tenant made otherwise starts with the neutral default)."""
    if branding_layers():
        return
    branding_layer_save(
        app_id=None,
        locale="",
        values={
            "accent_color": DEMO_ACCENT,
            "background_color": DEMO_BACKGROUND,
            "layout_template": "full_screen",
            "show_privacy_link": True,
            "privacy_link_url": "https://example.com/privacy",
            "show_terms_link": True,
            "terms_link_url": "https://example.com/terms",
            "username_hint": "you@example.com",
            "sign_in_text": (
                "New here? Create an account in a minute. **Need help?** "
                "[Visit our help centre](https://example.com/help)."
            ),
        },
        images={
            "banner_logo": SimpleUploadedFile(
                "banner.png", demo_banner_logo(company_name), content_type="image/png"
            )
        },
    )


class DemoFederation(TypedDict):
    provider: str
    issuer: str
    redirect_uri: str


def demo_federation_ensure(*, tenant: Tenant, provider_tenant: Tenant) -> DemoFederation:
    """Make `provider_tenant` an OpenID Provider of `tenant` (idempotently): in the provider
    tenant a confidential web app whose redirect URI is the tenant's callback; in the tenant an
    OpenID Connect identity provider (slug: the provider tenant's name) enabled in the demo user
    flow, trusted for email (both are this product, which verifies every email).

    The provider's discovery document is the product's own (`discovery_document`), built here
    in-process: the server that would serve it need not be running while the demo is set up.
    """
    slug = provider_tenant.domain_name
    redirect_uri = f"{tenant_base_url(tenant)}/account/oidc/{slug}/login/callback/"
    with in_tenant(provider_tenant):
        app = _get_or_register(
            f"{tenant.display_name} (sign-in with {provider_tenant.domain_name})",
            Platform.WEB,
            [redirect_uri],
        )
        secret = _demo_secret(app, f"{provider_tenant.domain_name}_for_{tenant.domain_name}")
        document = json.dumps(discovery_document()).encode()

    def fetch(url: str) -> bytes:
        return document

    with in_tenant(tenant):
        provider = IdentityProvider.objects.filter(slug=slug).first()
        settings: dict[str, object] = {
            "client_id": app.client_id,
            "secret": secret,
            "well_known_url": f"{tenant_issuer(provider_tenant)}/.well-known/openid-configuration",
            "scopes": ["openid", "profile", "email"],
            "trusted_for_email": True,
        }
        if provider is None:
            provider = identity_provider_create(
                kind=ProviderKind.OPENID_CONNECT,
                display_name=provider_tenant.domain_name.capitalize(),
                slug=slug,
                fetch=fetch,
                **settings,  # type: ignore[arg-type]
            )
        else:
            provider = identity_provider_update(provider=provider, fetch=fetch, **settings)
        flow = UserFlow.objects.get(name=FLOW_NAME)
        flow.identity_providers.add(provider)
    return {"provider": slug, "issuer": provider.issuer, "redirect_uri": redirect_uri}
