"""Custom user attributes (External ID User Flow Administrator or Global Administrator): the
read-only list, a page to add one, a page to change one. Each change is audited."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.attributes import DataType, extension_claim_name
from accounts.models import CustomAttribute
from accounts.services import (
    CustomAttributeLimitReached,
    custom_attribute_create,
    custom_attribute_update,
)
from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import tenant_page
from admin_center.userflows import forms
from apps.lookups import extensions_app_id
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant


def _definition(attribute: CustomAttribute) -> dict[str, object]:
    return {
        "data_type": attribute.data_type,
        "description": attribute.description,
        "user_editable": attribute.user_editable,
    }


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_GET
def custom_attribute_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Every custom attribute as a read-only row with the claim name tokens carry it under."""
    with in_tenant(tenant):
        attributes = list(CustomAttribute.objects.all())
        app_id = extensions_app_id()
    rows = [
        {
            "attribute": attribute,
            "data_type": DataType(attribute.data_type).label,
            "claim": extension_claim_name(app_id, attribute.name),
        }
        for attribute in attributes
    ]
    return tenant_page(
        request,
        tenant,
        "admin_center/userflows/custom_attributes.html",
        {"rows": rows, "section": "custom-attributes"},
    )


def _form_page(
    request: HttpRequest,
    tenant: Tenant,
    form: forms.CustomAttributeForm | forms.CustomAttributeChangeForm,
    attribute: CustomAttribute | None = None,
) -> HttpResponse:
    return tenant_page(
        request,
        tenant,
        "admin_center/userflows/custom_attribute_form.html",
        {"form": form, "attribute": attribute, "section": "custom-attributes"},
        status=400 if form.is_bound else 200,
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_http_methods(["GET", "POST"])
def custom_attribute_add(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The page to add a custom attribute (at most 100 per tenant)."""
    if request.method != "POST":
        return _form_page(request, tenant, forms.CustomAttributeForm())
    form = forms.CustomAttributeForm(request.POST)
    attribute: CustomAttribute | None = None
    if form.is_valid():
        try:
            with in_tenant(tenant):
                attribute = custom_attribute_create(**form.cleaned_data)
        except CustomAttributeLimitReached:
            form.add_error(None, _("A tenant has at most 100 custom attributes."))
        except ValidationError as problem:
            form_errors_from(form, problem)
    if attribute is None:
        return _form_page(request, tenant, form)
    audit(
        request,
        tenant,
        AuditAction.CUSTOM_ATTRIBUTE_CREATED,
        target=attribute.name,
        details=_definition(attribute),
    )
    messages.success(request, _("Custom attribute “%(name)s” added.") % {"name": attribute.name})
    return redirect("admin_center:custom-attributes", tenant.tenant_id)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_http_methods(["GET", "POST"])
def custom_attribute_change(
    request: HttpRequest, tenant: Tenant, attribute_id: int
) -> HttpResponse:
    """The page to change an attribute's description, whether customers may edit it, and its
    data type while no customer has a value. Its name never changes: claims carry it."""
    with in_tenant(tenant):
        attribute = CustomAttribute.objects.filter(pk=attribute_id).first()
    if attribute is None:
        raise Http404
    before = _definition(attribute)
    if request.method != "POST":
        return _form_page(
            request, tenant, forms.CustomAttributeChangeForm(initial=before), attribute
        )
    form = forms.CustomAttributeChangeForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            with in_tenant(tenant):
                custom_attribute_update(attribute=attribute, **form.cleaned_data)
        except ValidationError as problem:
            form_errors_from(form, problem)
        else:
            saved = True
    if not saved:
        return _form_page(request, tenant, form, attribute)
    audit(
        request,
        tenant,
        AuditAction.CUSTOM_ATTRIBUTE_UPDATED,
        target=attribute.name,
        before=before,
        after=_definition(attribute),
    )
    messages.success(request, _("Custom attribute “%(name)s” saved.") % {"name": attribute.name})
    return redirect("admin_center:custom-attributes", tenant.tenant_id)
