"""Certificates & secrets of an app registration: one view per operation.

A new secret's value is rendered once, in the response to the request that made it, and never
stored, logged or audited: the audit entry names the secret by its ID, hint and expiry.
"""

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from admin_center.access import tenant_admin_view
from admin_center.app_registrations import forms
from admin_center.app_registrations.app_pages import app_get, app_page, app_tab_saved, app_target
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import operation_of
from apps import services
from apps.models import AppCertificate, AppRegistration, ClientSecret
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant


def _credentials_page(
    request: HttpRequest,
    tenant: Tenant,
    app: AppRegistration,
    *,
    secret_form: forms.SecretAddForm | None = None,
    certificate_form: forms.CertificateAddForm | None = None,
    new_secret_value: str | None = None,
    status: int = 200,
) -> HttpResponse:
    with in_tenant(tenant):
        secrets = list(app.secrets.all())
        certificates = list(app.certificates.all())
    return app_page(
        request,
        tenant,
        app,
        "credentials",
        {
            "secret_form": secret_form or forms.SecretAddForm(),
            "certificate_form": certificate_form or forms.CertificateAddForm(),
            "secrets": secrets,
            "certificates": certificates,
            "new_secret_value": new_secret_value,
        },
        status=status,
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def app_credentials(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
    return _credentials_page(request, tenant, app)


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-credentials", "app_id")
def app_secret_add(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    form = forms.SecretAddForm(request.POST)
    secret: ClientSecret | None = None
    with in_tenant(tenant):
        app = app_get(app_id)
        if form.is_valid():
            days, expires_at = form.expiry()
            try:
                secret, value = services.client_secret_add(
                    app=app,
                    description=form.cleaned_data["description"],
                    lifetime_days=days,
                    expires_at=expires_at,
                )
            except ValidationError as error:
                form_errors_from(form, error, fields={"expires_at": "custom_expiry"})
    if secret is None:
        return _credentials_page(request, tenant, app, secret_form=form)
    audit(
        request,
        tenant,
        AuditAction.SECRET_ADDED,
        target=app_target(app),
        details={
            "secret_id": str(secret.secret_id),
            "description": secret.description,
            "hint": secret.hint,
            "expires_at": secret.expires_at.isoformat(),
        },
    )
    # Rendered, not redirected: the value is shown this once.
    return _credentials_page(request, tenant, app, new_secret_value=value)


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-credentials", "app_id")
def app_secret_remove(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID, secret_id: uuid.UUID
) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
        secret = ClientSecret.objects.filter(app=app, secret_id=secret_id).first()
        if secret is None:
            raise Http404
        services.client_secret_remove(app=app, secret_id=str(secret_id))
    audit(
        request,
        tenant,
        AuditAction.SECRET_REMOVED,
        target=app_target(app),
        details={
            "secret_id": str(secret_id),
            "description": secret.description,
            "hint": secret.hint,
        },
    )
    return app_tab_saved(request, tenant, app, "credentials", _("Client secret deleted."))


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-credentials", "app_id")
def app_certificate_add(request: HttpRequest, tenant: Tenant, app_id: uuid.UUID) -> HttpResponse:
    form = forms.CertificateAddForm(request.POST)
    certificate: AppCertificate | None = None
    with in_tenant(tenant):
        app = app_get(app_id)
        if form.is_valid():
            try:
                certificate = services.certificate_add(
                    app=app,
                    pem=form.cleaned_data["pem"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as error:
                form_errors_from(form, error)
    if certificate is None:
        return _credentials_page(request, tenant, app, certificate_form=form)
    audit(
        request,
        tenant,
        AuditAction.CERTIFICATE_ADDED,
        target=app_target(app),
        details={"thumbprint": certificate.thumbprint, "description": certificate.description},
    )
    return app_tab_saved(request, tenant, app, "credentials", _("Certificate uploaded."))


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:app-credentials", "app_id")
def app_certificate_remove(
    request: HttpRequest, tenant: Tenant, app_id: uuid.UUID, certificate_id: int
) -> HttpResponse:
    with in_tenant(tenant):
        app = app_get(app_id)
        certificate = AppCertificate.objects.filter(app=app, pk=certificate_id).first()
        if certificate is None:
            raise Http404
        services.certificate_remove(app=app, certificate_id=certificate.pk)
    audit(
        request,
        tenant,
        AuditAction.CERTIFICATE_REMOVED,
        target=app_target(app),
        details={"thumbprint": certificate.thumbprint, "description": certificate.description},
    )
    return app_tab_saved(request, tenant, app, "credentials", _("Certificate deleted."))
