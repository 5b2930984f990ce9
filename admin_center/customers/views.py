"""Admin-center pages for a tenant's customers (User Administrator or Global Administrator).

Every view reads and writes in the tenant's schema inside `in_tenant`, then records the audit
entry and renders in the public schema with evaluated data. Temporary passwords are rendered
once, in the response to the request that made them, and never stored or audited.
"""

import uuid
from contextlib import suppress
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.models import CustomAttribute, User
from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.customers.forms import (
    CustomerCreateForm,
    CustomerFilterForm,
    CustomerProfileForm,
)
from admin_center.form_errors import form_errors_from
from admin_center.pages import tenant_page
from apps.assignments import roles_of_customer
from federation.selectors import linked_identity_get, linked_identity_list
from protection.lockout import lockout_clear, lockouts_of
from protection.methods import customer_factors, customer_mfa_reset
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant
from userflows.selectors import custom_attribute_choices

SECTION = "customers"


def _customer(object_id: uuid.UUID) -> User:
    customer = selectors.customer_get(object_id=object_id)
    if customer is None:
        raise Http404
    return customer


def _audit(
    request: HttpRequest,
    tenant: Tenant,
    action: AuditAction,
    customer: User,
    **details: object,
) -> None:
    audit(
        request,
        tenant,
        action,
        target=customer.email,
        details={"object_id": str(customer.object_id), **details},
    )


def _profile_form(customer: User, data: QueryDict | None = None) -> CustomerProfileForm:
    """The profile form, built from the tenant's attribute definitions (call in the tenant)."""
    return CustomerProfileForm(
        data,
        customer=customer,
        attributes=list(CustomAttribute.objects.all()),
        choices=custom_attribute_choices(),
    )


def _detail_page(
    request: HttpRequest,
    tenant: Tenant,
    customer: User,
    form: CustomerProfileForm,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    with in_tenant(tenant):
        session_count = selectors.customer_session_count(customer=customer)
        identities = linked_identity_list(customer=customer)
        lockouts = lockouts_of(email=customer.email)
        factors = customer_factors(customer=customer)
        groups = selectors.groups_of(user=customer)
        app_roles = roles_of_customer(user=customer)
    return tenant_page(
        request,
        tenant,
        "admin_center/customers/detail.html",
        {
            "customer": customer,
            "form": form,
            "restore_deadline": selectors.customer_restore_deadline(customer=customer),
            "session_count": session_count,
            "identities": identities,
            "lockouts": lockouts,
            "factors": factors,
            "groups": groups,
            "app_roles": app_roles,
            "section": SECTION,
            **context,
        },
        status=status,
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_GET
def customer_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    # An invalid filter is reported on its field and ignored; the valid ones still apply.
    form.is_valid()
    filters = form.filters()
    cursor = request.GET.get("after")
    with in_tenant(tenant):
        page = selectors.customer_list(**filters, cursor=cursor)
    next_query = None
    if page.next_cursor:
        query = request.GET.copy()
        query["after"] = page.next_cursor
        next_query = query.urlencode()
    first_query = None
    if cursor:
        query = request.GET.copy()
        query.pop("after", None)
        first_query = query.urlencode()
    return tenant_page(
        request,
        tenant,
        "admin_center/customers/list.html",
        {
            "form": form,
            "customers": page.customers,
            "next_query": next_query,
            "first_query": first_query,
            "filtered": filters["blocked"] is not None
            or any(value for key, value in filters.items() if key != "blocked"),
            "showing_deleted": filters["deleted"],
            "section": SECTION,
        },
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = CustomerCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with in_tenant(tenant):
                customer, temporary_password = services.customer_create(
                    email=form.cleaned_data["email"],
                    display_name=form.cleaned_data["display_name"],
                )
                profile_form = _profile_form(customer)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            _audit(request, tenant, AuditAction.CUSTOMER_CREATED, customer)
            # Rendered, not redirected: the temporary password is shown this once.
            return _detail_page(
                request,
                tenant,
                customer,
                profile_form,
                temporary_password=temporary_password,
                created=True,
            )
    status = 400 if form.is_bound and form.errors else 200
    return tenant_page(
        request,
        tenant,
        "admin_center/customers/create.html",
        {"form": form, "section": SECTION},
        status=status,
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_http_methods(["GET", "POST"])
def customer_detail(request: HttpRequest, tenant: Tenant, object_id: uuid.UUID) -> HttpResponse:
    """The customer's properties and profile; a POST saves the profile, all values or none."""
    changed: list[str] | None = None
    with in_tenant(tenant):
        customer = _customer(object_id)
        form = _profile_form(customer, request.POST if request.method == "POST" else None)
        if form.is_bound and customer.deleted_at is None and form.is_valid():
            builtin, custom = form.values()
            try:
                updated = services.customer_profile_update(
                    user=customer, builtin=builtin, custom=custom, by_customer=False
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                changed = [key for key in builtin if getattr(customer, key) != builtin[key]]
                changed += [
                    name
                    for name in custom
                    if customer.custom_attributes.get(name) != updated.custom_attributes.get(name)
                ]
                customer = updated
    if form.is_bound and customer.deleted_at is not None:
        return _restore_first(request, tenant, customer)
    if changed is not None:
        # Names of what changed, never the values: the audit log is no copy of profiles.
        _audit(request, tenant, AuditAction.CUSTOMER_UPDATED, customer, fields=sorted(changed))
        messages.success(request, _("Profile saved."))
        return redirect("admin_center:customer-detail", tenant.tenant_id, customer.object_id)
    return _detail_page(request, tenant, customer, form, status=400 if form.is_bound else 200)


def _restore_first(request: HttpRequest, tenant: Tenant, customer: User) -> HttpResponse:
    messages.error(request, _("This customer is deleted: restore it first."))
    return redirect("admin_center:customer-detail", tenant.tenant_id, customer.object_id)


def _sign_in_allowed(
    request: HttpRequest, tenant: Tenant, object_id: uuid.UUID, *, allowed: bool
) -> HttpResponse:
    """Block or unblock a customer's sign-in (blocking also signs them out everywhere)."""
    change = services.customer_unblock if allowed else services.customer_block
    with in_tenant(tenant):
        customer = _customer(object_id)
        with suppress(services.CustomerDeleted):
            change(customer=customer)
    if customer.deleted_at is not None:
        return _restore_first(request, tenant, customer)
    if allowed:
        _audit(request, tenant, AuditAction.CUSTOMER_UNBLOCKED, customer)
        message = _("%(email)s may sign in again.")
    else:
        _audit(request, tenant, AuditAction.CUSTOMER_BLOCKED, customer)
        message = _("%(email)s can no longer sign in and is signed out.")
    messages.success(request, message % {"email": customer})
    return redirect("admin_center:customer-detail", tenant.tenant_id, customer.object_id)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_block(request: HttpRequest, tenant: Tenant, object_id: uuid.UUID) -> HttpResponse:
    return _sign_in_allowed(request, tenant, object_id, allowed=False)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_unblock(request: HttpRequest, tenant: Tenant, object_id: uuid.UUID) -> HttpResponse:
    return _sign_in_allowed(request, tenant, object_id, allowed=True)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_password_reset(
    request: HttpRequest, tenant: Tenant, object_id: uuid.UUID
) -> HttpResponse:
    temporary_password = None
    with in_tenant(tenant):
        customer = _customer(object_id)
        with suppress(services.CustomerDeleted):
            temporary_password = services.customer_password_reset(customer=customer)
        form = _profile_form(customer)
    if temporary_password is None:
        return _restore_first(request, tenant, customer)
    _audit(request, tenant, AuditAction.CUSTOMER_PASSWORD_RESET, customer)
    # Rendered, not redirected: the temporary password is shown this once.
    return _detail_page(request, tenant, customer, form, temporary_password=temporary_password)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_sessions_revoke(
    request: HttpRequest, tenant: Tenant, object_id: uuid.UUID
) -> HttpResponse:
    with in_tenant(tenant):
        customer = _customer(object_id)
        revoked = services.customer_sign_out_everywhere(customer=customer)
    _audit(
        request,
        tenant,
        AuditAction.CUSTOMER_SESSIONS_REVOKED,
        customer,
        sessions=revoked.sessions,
        refresh_tokens=revoked.refresh_tokens,
    )
    sessions = ngettext(
        "Signed out of %(count)d browser session",
        "Signed out of %(count)d browser sessions",
        revoked.sessions,
    ) % {"count": revoked.sessions}
    tokens = ngettext(
        "%(count)d refresh token revoked",
        "%(count)d refresh tokens revoked",
        revoked.refresh_tokens,
    ) % {"count": revoked.refresh_tokens}
    messages.success(
        request, _("%(sessions)s; %(tokens)s.") % {"sessions": sessions, "tokens": tokens}
    )
    return redirect("admin_center:customer-detail", tenant.tenant_id, customer.object_id)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_http_methods(["GET", "POST"])
def customer_identity_remove(
    request: HttpRequest, tenant: Tenant, object_id: uuid.UUID, identity_id: int
) -> HttpResponse:
    """Confirm, then unlink one of the customer's identities at an identity provider: the next
    sign-in through it with that account no longer reaches this customer."""
    with in_tenant(tenant):
        customer = _customer(object_id)
        identity = linked_identity_get(customer=customer, identity_id=identity_id)
        if identity is None:
            raise Http404
        if request.method == "POST" and customer.deleted_at is None:
            try:
                services.customer_identity_remove(customer=customer, identity_id=identity.id)
            except services.IdentityNotLinked as error:  # removed meanwhile, by someone else
                raise Http404 from error
    if customer.deleted_at is not None:
        return _restore_first(request, tenant, customer)
    if request.method == "POST":
        _audit(
            request,
            tenant,
            AuditAction.CUSTOMER_IDENTITY_REMOVED,
            customer,
            provider=identity.provider,
            subject=identity.subject,
        )
        messages.success(
            request,
            _("The %(provider)s identity is no longer linked to %(email)s.")
            % {"provider": identity.provider_name, "email": customer},
        )
        return redirect("admin_center:customer-detail", tenant.tenant_id, customer.object_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/customers/identity_remove.html",
        {"customer": customer, "identity": identity, "section": SECTION},
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_lockout_clear(
    request: HttpRequest, tenant: Tenant, object_id: uuid.UUID
) -> HttpResponse:
    """End the customer's smart lockouts at once (protection/lockout.py), from every place."""
    with in_tenant(tenant):
        customer = _customer(object_id)
        ended = lockout_clear(email=customer.email)
    if ended:
        _audit(
            request,
            tenant,
            AuditAction.CUSTOMER_LOCKOUT_CLEARED,
            customer,
            lockouts=[
                f"{lockout.kind.value} until {lockout.until:%Y-%m-%d %H:%M:%S} UTC"
                for lockout in ended
            ],
        )
        messages.success(request, _("%(email)s is no longer locked out.") % {"email": customer})
    else:
        messages.info(request, _("%(email)s was not locked out.") % {"email": customer})
    return redirect("admin_center:customer-detail", tenant.tenant_id, customer.object_id)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_delete(request: HttpRequest, tenant: Tenant, object_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        customer = _customer(object_id)
        already_deleted = customer.deleted_at is not None
        services.customer_delete(customer=customer)
        deadline = selectors.customer_restore_deadline(customer=customer)
    if not already_deleted:
        _audit(request, tenant, AuditAction.CUSTOMER_DELETED, customer)
    messages.success(
        request,
        _("%(email)s is deleted. You can restore the customer until %(date)s.")
        % {"email": customer, "date": f"{deadline:%Y-%m-%d %H:%M} UTC"},
    )
    return redirect("admin_center:customer-list", tenant.tenant_id)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_restore(request: HttpRequest, tenant: Tenant, object_id: uuid.UUID) -> HttpResponse:
    with in_tenant(tenant):
        customer = _customer(object_id)
        try:
            services.customer_restore(customer=customer)
        except services.CustomerNotRestorable:
            restored = False
        else:
            restored = True
    if not restored:
        messages.error(request, _("This customer cannot be restored."))
    else:
        _audit(request, tenant, AuditAction.CUSTOMER_RESTORED, customer)
        messages.success(request, _("%(email)s is restored and may sign in.") % {"email": customer})
    return redirect("admin_center:customer-detail", tenant.tenant_id, customer.object_id)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def customer_mfa_reset_view(
    request: HttpRequest, tenant: Tenant, object_id: uuid.UUID
) -> HttpResponse:
    """Remove every second factor of the customer (one who lost their phone or key): they enrol
    again at the next sign-in that asks for one."""
    with in_tenant(tenant):
        customer = _customer(object_id)
        factors = customer_factors(customer=customer)
        removed = customer_mfa_reset(customer=customer)
    _audit(
        request,
        tenant,
        AuditAction.CUSTOMER_MFA_RESET,
        customer,
        authenticator_app=factors.totp,
        passkeys=len(factors.passkeys),
        recovery_codes=factors.recovery_codes_left is not None,
        removed=removed,
    )
    messages.success(
        request,
        _("%(email)s's second factors are removed; they set one up again when asked.")
        % {"email": customer},
    )
    return redirect("admin_center:customer-detail", tenant.tenant_id, customer.object_id)
