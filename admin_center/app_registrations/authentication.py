"""An app's Authentication page: its platforms (web, single-page, mobile and desktop) with their
redirect URIs, adding and removing a platform, and its sign-out settings (Application
Administrator or Global Administrator). Every change is audited as the app's authentication
settings, with the platforms before and after."""

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods, require_POST

from admin_center.access import tenant_admin_view
from admin_center.app_registrations import forms
from admin_center.app_registrations.app_pages import app_get, app_page, app_tab_saved, app_target
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from apps import selectors, services
from apps.models import REDIRECT_PLATFORMS, AppRegistration, Platform
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

# What each platform's redirect URIs may be, said under its list.
_PLATFORM_RULES: dict[str, str] = {
    Platform.WEB: "A confidential client: the code is redeemed with a client secret or "
    "certificate. https, or http for localhost only.",
    Platform.SPA: "A public client in the browser: PKCE instead of a secret, the token "
    "endpoint open to these URIs' origins (CORS), refresh tokens for 24 hours at most.",
    Platform.MOBILE: "A public client on a device: PKCE instead of a secret. Private schemes "
    "such as com.example.app:/callback, or loopback http (any port).",
}


def _authentication_settings(app: AppRegistration) -> dict[str, object]:
    return {
        "redirect_uris": app.redirect_uris.split(),
        "post_logout_redirect_uris": app.post_logout_redirect_uris.split(),
        "front_channel_logout_url": app.front_channel_logout_url,
    }


def _page(
    request: HttpRequest,
    tenant: Tenant,
    app: AppRegistration,
    *,
    logout_form: forms.LogoutForm | None = None,
    failed: tuple[str, forms.PlatformUrisForm] | None = None,
    add_form: forms.PlatformAddForm | None = None,
) -> HttpResponse:
    """The page, with the form that failed (if any) showing what was sent and its errors."""
    with in_tenant(tenant):
        platforms = selectors.app_platforms(app)
    rows = []
    for platform, uris in platforms.items():
        form = (
            failed[1]
            if failed and failed[0] == platform
            else forms.PlatformUrisForm(
                platform=platform, initial={"redirect_uris": "\n".join(uris)}
            )
        )
        rows.append(
            {
                "platform": platform,
                "label": Platform(platform).label,
                "rules": _PLATFORM_RULES[platform],
                "uris": uris,
                "form": form,
                "removable": len(platforms) > 1,
            }
        )
    choices = [(p, str(Platform(p).label)) for p in REDIRECT_PLATFORMS if p not in platforms]
    return app_page(
        request,
        tenant,
        app,
        "authentication",
        {
            "platforms": rows,
            "add_form": add_form or forms.PlatformAddForm(choices=choices),
            "logout_form": logout_form
            or forms.LogoutForm(
                initial={
                    "post_logout_redirect_uris": "\n".join(app.post_logout_redirect_uris.split()),
                    "front_channel_logout_url": app.front_channel_logout_url,
                }
            ),
        },
        status=200 if not (logout_form or failed or add_form) else 400,
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def app_authentication(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    """The page, and saving its sign-out settings. A POST that names `redirect_uris` (as the
    page did before platforms) also sets the main platform's redirect URIs."""
    with in_tenant(tenant):
        app = app_get(app_id)
    if request.method != "POST":
        return _page(request, tenant, app)
    before = _authentication_settings(app)
    form = forms.LogoutForm(request.POST)
    if not form.is_valid():
        return _page(request, tenant, app, logout_form=form)
    main_uris = request.POST.get("redirect_uris")
    try:
        with in_tenant(tenant):
            services.app_authentication_update(
                app=app,
                redirect_uris=None if main_uris is None else forms.uri_lines(main_uris),
                post_logout_redirect_uris=forms.uri_lines(
                    form.cleaned_data["post_logout_redirect_uris"]
                ),
                front_channel_logout_url=form.cleaned_data["front_channel_logout_url"],
            )
            app.refresh_from_db()
    except ValidationError as error:
        form_errors_from(form, error)
        return _page(request, tenant, app, logout_form=form)
    audit(
        request,
        tenant,
        AuditAction.APP_AUTHENTICATION_UPDATED,
        target=app_target(app),
        before=before,
        after=_authentication_settings(app),
    )
    return app_tab_saved(request, tenant, app, "authentication", "Authentication settings saved.")


def _by_platform(platforms: dict[str, list[str]]) -> dict[str, object]:
    """The platforms as the audit log records them: each one's redirect URIs, None without it
    (only the platforms that changed are recorded)."""
    return {f"{platform}_redirect_uris": platforms.get(platform) for platform in REDIRECT_PLATFORMS}


def _platforms_changed(
    request: HttpRequest,
    tenant: Tenant,
    app: AppRegistration,
    before: dict[str, list[str]],
    message: str,
) -> HttpResponse:
    with in_tenant(tenant):
        after = selectors.app_platforms(app)
    audit(
        request,
        tenant,
        AuditAction.APP_AUTHENTICATION_UPDATED,
        target=app_target(app),
        before=_by_platform(before),
        after=_by_platform(after),
    )
    return app_tab_saved(request, tenant, app, "authentication", message)


@tenant_admin_view(Capability.MANAGE_APPS)
@require_POST
def app_platform_add(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    """Add a platform with its first redirect URIs (Entra's "Add a platform")."""
    with in_tenant(tenant):
        app = app_get(app_id)
        before = selectors.app_platforms(app)
    choices = [(p, str(Platform(p).label)) for p in REDIRECT_PLATFORMS if p not in before]
    form = forms.PlatformAddForm(request.POST, choices=choices)
    if not form.is_valid():
        return _page(request, tenant, app, add_form=form)
    platform = form.cleaned_data["platform"]
    try:
        with in_tenant(tenant):
            services.app_platform_add(
                app=app,
                platform=platform,
                redirect_uris=forms.uri_lines(form.cleaned_data["redirect_uris"]),
            )
    except ValidationError as error:
        form_errors_from(form, error)
        return _page(request, tenant, app, add_form=form)
    label = Platform(platform).label
    return _platforms_changed(request, tenant, app, before, f"{label} platform added.")


def _platform_of(platform: str) -> str:
    if platform not in REDIRECT_PLATFORMS:
        raise Http404
    return platform


@tenant_admin_view(Capability.MANAGE_APPS)
@require_POST
def app_platform_update(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID, platform: str
) -> HttpResponse:
    """Save one platform's redirect URIs."""
    platform = _platform_of(platform)
    with in_tenant(tenant):
        app = app_get(app_id)
        before = selectors.app_platforms(app)
    form = forms.PlatformUrisForm(request.POST, platform=platform)
    if not form.is_valid():
        return _page(request, tenant, app, failed=(platform, form))
    try:
        with in_tenant(tenant):
            services.app_platform_update(
                app=app,
                platform=platform,
                redirect_uris=forms.uri_lines(form.cleaned_data["redirect_uris"]),
            )
    except ValidationError as error:
        form_errors_from(form, error)
        return _page(request, tenant, app, failed=(platform, form))
    label = Platform(platform).label
    return _platforms_changed(request, tenant, app, before, f"{label} redirect URIs saved.")


@tenant_admin_view(Capability.MANAGE_APPS)
@require_POST
def app_platform_remove(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID, platform: str
) -> HttpResponse:
    """Remove a platform and its redirect URIs."""
    platform = _platform_of(platform)
    with in_tenant(tenant):
        app = app_get(app_id)
        before = selectors.app_platforms(app)
    try:
        with in_tenant(tenant):
            services.app_platform_remove(app=app, platform=platform)
    except ValidationError as error:
        form = forms.PlatformUrisForm(
            {"redirect_uris": "\n".join(before.get(platform, []))}, platform=platform
        )
        form.is_valid()
        form_errors_from(form, error)
        return _page(request, tenant, app, failed=(platform, form))
    label = Platform(platform).label
    return _platforms_changed(request, tenant, app, before, f"{label} platform removed.")
