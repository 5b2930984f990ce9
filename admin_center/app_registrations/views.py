"""Admin-center pages for App registrations, token lifetimes and signing keys.

Every view reads and writes in the tenant's schema inside `in_tenant`, then renders in the
public schema with evaluated data; changes are recorded in the audit log.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import CustomAttribute, User
from admin_center.access import tenant_admin_view
from admin_center.app_registrations import forms
from admin_center.pages import tenant_page
from apps import selectors, services
from apps.models import ApiPermission, ApiScope, AppRegistration, AppRole, KeyStatus, SigningKey
from apps.signing import signing_key_rotate
from ciam_portal.whole_numbers import whole_number
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from tenants.selectors import tenant_base_url, tenant_endpoints, tenant_issuer
from tenants.services import audit_record

APP_TABS = [
    ("overview", "admin_center:app-overview", "Overview"),
    ("authentication", "admin_center:app-authentication", "Authentication"),
    ("credentials", "admin_center:app-credentials", "Certificates & secrets"),
    ("expose-api", "admin_center:app-expose-api", "Expose an API"),
    ("permissions", "admin_center:app-permissions", "API permissions"),
    ("claims", "admin_center:app-claims", "Attributes & claims"),
]


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _app(object_id: uuid.UUID) -> AppRegistration:
    app: AppRegistration | None = AppRegistration.objects.filter(object_id=object_id).first()
    if app is None:
        raise Http404
    return app


def _app_page(
    request: HttpRequest, tenant: Tenant, app: AppRegistration, tab: str, context: dict[str, Any]
) -> HttpResponse:
    return tenant_page(
        request,
        tenant,
        f"admin_center/apps/{tab}.html",
        {"app": app, "tab": tab, "tabs": APP_TABS, "section": "apps", **context},
    )


def _audit(
    request: HttpRequest,
    tenant: Tenant,
    action: AuditAction,
    app: AppRegistration,
    **details: object,
) -> None:
    audit_record(
        actor=_actor(request),
        tenant=tenant,
        action=action,
        target=f"{app.name} ({app.client_id})",
        details=details,
    )


@tenant_admin_view(Capability.MANAGE_APPS)
def app_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    with in_tenant(tenant):
        apps = list(selectors.app_list())
    return tenant_page(
        request, tenant, "admin_center/apps/list.html", {"apps": apps, "section": "apps"}
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def app_register(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = forms.AppRegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        uri = form.cleaned_data["redirect_uri"].strip()
        try:
            with in_tenant(tenant):
                app = services.app_register(
                    name=form.cleaned_data["name"],
                    platform=form.cleaned_data["platform"],
                    redirect_uris=[uri] if uri else [],
                )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "redirect_uris" in error.error_dict:
                form.add_error("redirect_uri", error.message_dict["redirect_uris"])
            else:
                forms.form_errors_from(form, error)
        else:
            _audit(request, tenant, AuditAction.APP_REGISTERED, app, platform=app.platform)
            messages.success(request, _("App “%(name)s” is registered.") % {"name": app.name})
            return redirect("admin_center:app-overview", tenant.tenant_id, app.object_id)
    return tenant_page(
        request, tenant, "admin_center/apps/register.html", {"form": form, "section": "apps"}
    )


@tenant_admin_view(Capability.MANAGE_APPS)
def app_overview(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = _app(app_id)
        redirect_uris = app.redirect_uris.split()
    return _app_page(
        request,
        tenant,
        app,
        "overview",
        {
            "issuer": tenant_issuer(tenant),
            "tenant_url": tenant_base_url(tenant),
            "endpoints": tenant_endpoints(tenant),
            "redirect_uri": redirect_uris[0] if redirect_uris else "http://localhost:5000/callback",
        },
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def app_authentication(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = _app(app_id)
    initial = {
        "redirect_uris": "\n".join(app.redirect_uris.split()),
        "post_logout_redirect_uris": "\n".join(app.post_logout_redirect_uris.split()),
        "front_channel_logout_url": app.front_channel_logout_url,
    }
    form = forms.AuthenticationForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            with in_tenant(tenant):
                services.app_authentication_update(
                    app=app,
                    redirect_uris=forms.uri_lines(form.cleaned_data["redirect_uris"]),
                    post_logout_redirect_uris=forms.uri_lines(
                        form.cleaned_data["post_logout_redirect_uris"]
                    ),
                    front_channel_logout_url=form.cleaned_data["front_channel_logout_url"],
                )
        except ValidationError as error:
            forms.form_errors_from(form, error)
        else:
            _audit(request, tenant, AuditAction.APP_UPDATED, app, page="authentication")
            messages.success(request, _("Authentication settings saved."))
            return redirect("admin_center:app-authentication", tenant.tenant_id, app.object_id)
    return _app_page(request, tenant, app, "authentication", {"form": form})


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def app_credentials(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    action = request.POST.get("action") if request.method == "POST" else None
    secret_form = forms.SecretAddForm(request.POST if action == "add-secret" else None)
    certificate_form = forms.CertificateAddForm(
        request.POST if action == "add-certificate" else None
    )
    new_secret_value = None
    audit: tuple[AuditAction, dict[str, object]] | None = None
    with in_tenant(tenant):
        app = _app(app_id)
        if secret_form.is_bound and secret_form.is_valid():
            days, expires_at = secret_form.expiry()
            try:
                secret, new_secret_value = services.client_secret_add(
                    app=app,
                    description=secret_form.cleaned_data["description"],
                    lifetime_days=days,
                    expires_at=expires_at,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
                    secret_form.add_error("custom_expiry", error.message_dict["expires_at"])
                else:
                    forms.form_errors_from(secret_form, error)
            else:
                audit = (
                    AuditAction.SECRET_ADDED,
                    {"hint": secret.hint, "expires_at": secret.expires_at.isoformat()},
                )
                secret_form = forms.SecretAddForm()
        elif certificate_form.is_bound and certificate_form.is_valid():
            try:
                certificate = services.certificate_add(
                    app=app,
                    pem=certificate_form.cleaned_data["pem"],
                    description=certificate_form.cleaned_data["description"],
                )
            except ValidationError as error:
                forms.form_errors_from(certificate_form, error)
            else:
                audit = (AuditAction.CERTIFICATE_ADDED, {"thumbprint": certificate.thumbprint})
                certificate_form = forms.CertificateAddForm()
        secrets = list(app.secrets.all())
        certificates = list(app.certificates.all())
    if audit is not None:
        _audit(request, tenant, audit[0], app, **audit[1])
    # Rendered, not redirected, after adding a secret: its value is shown this once.
    return _app_page(
        request,
        tenant,
        app,
        "credentials",
        {
            "secret_form": secret_form,
            "certificate_form": certificate_form,
            "secrets": secrets,
            "certificates": certificates,
            "new_secret_value": new_secret_value,
        },
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_POST
def app_credential_remove(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID, credential_id: str
) -> HttpResponse:
    with in_tenant(tenant):
        app = _app(app_id)
        certificate_id = whole_number(credential_id)
        if request.POST.get("kind") == "certificate" and certificate_id is not None:
            services.certificate_remove(app=app, certificate_id=certificate_id)
            action = AuditAction.CERTIFICATE_REMOVED
        else:
            try:
                secret_id = uuid.UUID(credential_id)
            except ValueError as error:
                raise Http404 from error
            services.client_secret_remove(app=app, secret_id=str(secret_id))
            action = AuditAction.SECRET_REMOVED
    _audit(request, tenant, action, app, credential=credential_id)
    messages.success(request, _("Credential removed."))
    return redirect("admin_center:app-credentials", tenant.tenant_id, app.object_id)


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def app_expose_api(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    action = request.POST.get("action") if request.method == "POST" else None
    with in_tenant(tenant):
        app = _app(app_id)
        uri_form = forms.AppIdUriForm(
            request.POST if action == "app-id-uri" else None,
            initial={"app_id_uri": app.effective_app_id_uri},
        )
        scope_form = forms.ScopeAddForm(request.POST if action == "add-scope" else None)
        role_form = forms.RoleAddForm(request.POST if action == "add-role" else None)
        saved = False
        for form, write in (
            (uri_form, lambda d: services.app_id_uri_set(app=app, app_id_uri=d["app_id_uri"])),
            (scope_form, lambda d: services.api_scope_add(app=app, **d)),
            (role_form, lambda d: services.app_role_add(app=app, **d)),
        ):
            if form.is_bound and form.is_valid():
                try:
                    write(form.cleaned_data)
                except ValidationError as error:
                    forms.form_errors_from(form, error)
                else:
                    saved = True
        scopes = list(app.api_scopes.all())
        roles = list(app.app_roles.all())
    if saved:
        _audit(request, tenant, AuditAction.APP_UPDATED, app, page="expose-api", change=action)
        messages.success(request, _("Saved."))
        return redirect("admin_center:app-expose-api", tenant.tenant_id, app.object_id)
    return _app_page(
        request,
        tenant,
        app,
        "expose-api",
        {
            "uri_form": uri_form,
            "scope_form": scope_form,
            "role_form": role_form,
            "scopes": scopes,
            "roles": roles,
        },
    )


def _permission_choices(app: AppRegistration) -> list[tuple[str, str]]:
    from apps.models import OidcScope, Platform

    choices: list[tuple[str, str]] = []
    if app.platform != Platform.DAEMON:
        choices += [(f"oidc:{scope.value}", f"OpenID · {scope.value}") for scope in OidcScope]
        for scope in ApiScope.objects.select_related("app").filter(enabled=True):
            choices.append((f"scope:{scope.pk}", f"{scope.app.name} · {scope.value} (delegated)"))
    if app.platform in (Platform.WEB, Platform.DAEMON):
        for role in AppRole.objects.select_related("app").filter(enabled=True):
            choices.append((f"role:{role.pk}", f"{role.app.name} · {role.value} (application)"))
    return choices


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def app_permissions(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    action = request.POST.get("action") if request.method == "POST" else None
    audit_action = None
    with in_tenant(tenant):
        app = _app(app_id)
        form = forms.PermissionAddForm(
            request.POST if action == "add" else None, choices=_permission_choices(app)
        )
        if action == "add" and form.is_valid():
            kind, _sep, key = form.cleaned_data["permission"].partition(":")
            try:
                if kind == "oidc":
                    services.api_permission_add(client=app, oidc_scope=key)
                elif kind == "scope":
                    services.api_permission_add(client=app, api_scope=ApiScope.objects.get(pk=key))
                else:
                    services.api_permission_add(client=app, app_role=AppRole.objects.get(pk=key))
            except ValidationError as error:
                forms.form_errors_from(form, error)
            else:
                audit_action = AuditAction.APP_UPDATED
        elif (
            action == "remove"
            and (permission_id := whole_number(request.POST.get("permission_id", ""))) is not None
        ):
            services.api_permission_remove(client=app, permission_id=permission_id)
            audit_action = AuditAction.APP_UPDATED
        elif action == "grant-consent":
            services.admin_consent_grant(client=app)
            audit_action = AuditAction.CONSENT_GRANTED
        elif action == "revoke-consent":
            services.admin_consent_revoke(client=app)
            audit_action = AuditAction.CONSENT_REVOKED
        permissions = list(
            ApiPermission.objects.filter(client=app).select_related(
                "api_scope__app", "app_role__app"
            )
        )
    if audit_action is not None:
        _audit(request, tenant, audit_action, app, page="permissions", change=action)
        messages.success(request, _("Saved."))
        return redirect("admin_center:app-permissions", tenant.tenant_id, app.object_id)
    return _app_page(
        request, tenant, app, "permissions", {"form": form, "permissions": permissions}
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_POST
def app_delete(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = _app(app_id)
        if request.POST.get("confirm_name", "").strip() != app.name:
            messages.error(request, _("Type the app's name exactly to delete it."))
            return redirect("admin_center:app-overview", tenant.tenant_id, app.object_id)
        services.app_delete(app=app)
    _audit(request, tenant, AuditAction.APP_DELETED, app)
    messages.success(request, _("App “%(name)s” is deleted.") % {"name": app.name})
    return redirect("admin_center:app-list", tenant.tenant_id)


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def token_configuration(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    with in_tenant(tenant):
        current = selectors.token_settings()
    form = forms.TokenLifetimesForm(
        request.POST if request.method == "POST" else None,
        initial={
            "access_token_minutes": current.access_token_minutes,
            "id_token_minutes": current.id_token_minutes,
            "spa_refresh_token_hours": current.spa_refresh_token_hours,
            "refresh_token_days": current.refresh_token_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            with in_tenant(tenant):
                services.token_settings_update(**form.cleaned_data)
        except ValidationError as error:
            forms.form_errors_from(form, error)
        else:
            audit_record(
                actor=_actor(request),
                tenant=tenant,
                action=AuditAction.TOKEN_LIFETIMES_UPDATED,
                details=form.cleaned_data,
            )
            messages.success(request, _("Token lifetimes saved."))
            return redirect("admin_center:token-configuration", tenant.tenant_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/apps/token_configuration.html",
        {"form": form, "section": "token-configuration"},
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def signing_keys(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    if request.method == "POST":
        with in_tenant(tenant):
            active = signing_key_rotate()
        audit_record(
            actor=_actor(request),
            tenant=tenant,
            action=AuditAction.SIGNING_KEY_ROTATED,
            target=active.kid,
        )
        messages.success(request, _("Rotated: the next key now signs; the old one is retiring."))
        return redirect("admin_center:signing-keys", tenant.tenant_id)
    with in_tenant(tenant):
        keys = list(SigningKey.objects.exclude(status=KeyStatus.RETIRED).order_by("-created_at"))
    return tenant_page(
        request,
        tenant,
        "admin_center/apps/signing_keys.html",
        {
            "keys": keys,
            "section": "signing-keys",
            "jwks_url": f"{tenant_base_url(tenant)}/discovery/v2.0/keys",
        },
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_http_methods(["GET", "POST"])
def app_claims(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    """Attributes & claims: which attributes the app receives in ID and access tokens."""
    from accounts.attributes import BUILTIN_ATTRIBUTES
    from accounts.models import Directory
    from apps.models import AppClaim
    from apps.oidc.claims import extension_claim_name

    saved = False
    with in_tenant(tenant):
        app = _app(app_id)
        customs = list(CustomAttribute.objects.all())
        keys = [key for key in BUILTIN_ATTRIBUTES if key != "email"] + [c.name for c in customs]
        if request.method == "POST":
            entries = [
                (key, request.POST.get(f"id:{key}") == "on", request.POST.get(f"at:{key}") == "on")
                for key in keys
            ]
            services.app_claims_set(app=app, entries=entries)
            saved = True
        current = {
            (row.builtin or (row.custom_attribute.name if row.custom_attribute else "")): row
            for row in AppClaim.objects.filter(app=app).select_related("custom_attribute")
        }
        extensions_app_id = Directory.objects.get_or_create(singleton=True)[0].extensions_app_id
    if saved:
        _audit(request, tenant, AuditAction.APP_UPDATED, app, page="claims")
        messages.success(request, _("Attributes & claims saved."))
        return redirect("admin_center:app-claims", tenant.tenant_id, app.object_id)
    rows = [
        {
            "key": key,
            "label": str(spec.label),
            "claim": spec.claim,
            "source": _("Built-in"),
            "row": current.get(key),
        }
        for key, spec in BUILTIN_ATTRIBUTES.items()
        if key != "email"
    ] + [
        {
            "key": custom.name,
            "label": custom.name,
            "claim": extension_claim_name(extensions_app_id, custom.name),
            "source": _("Custom"),
            "row": current.get(custom.name),
        }
        for custom in customs
    ]
    return _app_page(request, tenant, app, "claims", {"rows": rows})
