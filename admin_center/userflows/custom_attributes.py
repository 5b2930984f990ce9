"""Custom user attributes (External ID User Flow Administrator or Global Administrator): the
list, adding one, changing one. One view per operation; each change is audited."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.attributes import DataType
from accounts.models import CustomAttribute
from accounts.services import (
    CustomAttributeLimitReached,
    custom_attribute_create,
    custom_attribute_update,
)
from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.pages import operation_of, tenant_page
from admin_center.userflows import forms
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant


def _definition(attribute: CustomAttribute) -> dict[str, object]:
    return {
        "data_type": attribute.data_type,
        "description": attribute.description,
        "user_editable": attribute.user_editable,
    }


def _attributes_page(
    request: HttpRequest,
    tenant: Tenant,
    form: forms.CustomAttributeForm | None = None,
    error: str | None = None,
) -> HttpResponse:
    with in_tenant(tenant):
        attributes = list(CustomAttribute.objects.all())
    return tenant_page(
        request,
        tenant,
        "admin_center/userflows/custom_attributes.html",
        {
            "attributes": attributes,
            "data_types": DataType.choices,
            "form": form or forms.CustomAttributeForm(),
            "error": error,
            "section": "custom-attributes",
        },
        status=400 if error else 200,
    )


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@require_GET
def custom_attribute_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _attributes_page(request, tenant)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:custom-attributes")
def custom_attribute_add(request: HttpRequest, tenant: Tenant) -> HttpResponse:
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
        return _attributes_page(request, tenant, form=form)
    audit(
        request,
        tenant,
        AuditAction.CUSTOM_ATTRIBUTE_CREATED,
        target=attribute.name,
        details=_definition(attribute),
    )
    messages.success(request, _("Custom attribute added."))
    return redirect("admin_center:custom-attributes", tenant.tenant_id)


@tenant_admin_view(Capability.MANAGE_USER_FLOWS)
@operation_of("admin_center:custom-attributes")
def custom_attribute_change(
    request: HttpRequest, tenant: Tenant, attribute_id: int
) -> HttpResponse:
    """Change the description, whether customers may edit it, and the data type while no
    customer has a value."""
    with in_tenant(tenant):
        attribute = CustomAttribute.objects.filter(pk=attribute_id).first()
        if attribute is None:
            raise Http404
        before = _definition(attribute)
        error: str | None = None
        try:
            custom_attribute_update(
                attribute=attribute,
                data_type=request.POST.get("data_type", ""),
                description=request.POST.get("description", ""),
                user_editable=request.POST.get("user_editable") == "on",
            )
        except ValidationError as problem:
            error = " ".join(problem.messages)
    if error is not None:
        return _attributes_page(request, tenant, error=error)
    audit(
        request,
        tenant,
        AuditAction.CUSTOM_ATTRIBUTE_UPDATED,
        target=attribute.name,
        before=before,
        after=_definition(attribute),
    )
    messages.success(request, _("Custom attribute saved."))
    return redirect("admin_center:custom-attributes", tenant.tenant_id)
