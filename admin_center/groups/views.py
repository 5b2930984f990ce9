"""Admin-center pages for groups of customers: the list (searched, paged), a group's page (its
properties and its members, paged; members added by email, removed), deleting one.

As the customers' pages, every view reads and writes in the tenant's schema inside
`in_tenant`, then audits and renders in the public schema with evaluated data.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.models import CustomerGroup, User
from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.form_errors import form_errors_from
from admin_center.groups.forms import GroupForm, GroupSearchForm, MemberAddForm
from admin_center.pages import operation_of, tenant_page
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

SECTION = "groups"


def _group(group_id: uuid.UUID) -> CustomerGroup:
    group = selectors.group_get(object_id=group_id)
    if group is None:
        raise Http404
    return group


def _target(group: CustomerGroup) -> str:
    return f"{group.display_name} ({group.object_id})"


def _pager(request: HttpRequest, next_cursor: str | None) -> dict[str, str | None]:
    """Links to the next and the first page, keeping the other query parameters."""
    next_query = first_query = None
    if next_cursor:
        query = request.GET.copy()
        query["after"] = next_cursor
        next_query = query.urlencode()
    if request.GET.get("after"):
        query = request.GET.copy()
        query.pop("after", None)
        first_query = query.urlencode()
    return {"next_query": next_query, "first_query": first_query}


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_GET
def group_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = GroupSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    with in_tenant(tenant):
        page = selectors.group_list(search=search, cursor=request.GET.get("after"))
    return tenant_page(
        request,
        tenant,
        "admin_center/groups/list.html",
        {
            "form": form,
            "groups": page.groups,
            "searched": bool(search),
            "section": SECTION,
            **_pager(request, page.next_cursor),
        },
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = GroupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            with in_tenant(tenant):
                group = services.group_create(**form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            audit(request, tenant, AuditAction.GROUP_CREATED, target=_target(group))
            messages.success(request, f"Group {group.display_name} created.")
            return redirect("admin_center:group-detail", tenant.tenant_id, group.object_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/groups/create.html",
        {"form": form, "section": SECTION},
        status=400 if form.is_bound else 200,
    )


def _detail_page(
    request: HttpRequest,
    tenant: Tenant,
    group: CustomerGroup,
    *,
    form: GroupForm | None = None,
    member_form: MemberAddForm | None = None,
) -> HttpResponse:
    with in_tenant(tenant):
        page = selectors.group_members(group=group, cursor=request.GET.get("after"))
    invalid = (form is not None and form.is_bound) or member_form is not None
    return tenant_page(
        request,
        tenant,
        "admin_center/groups/detail.html",
        {
            "group": group,
            "form": form
            or GroupForm(
                initial={"display_name": group.display_name, "description": group.description}
            ),
            "member_form": member_form or MemberAddForm(),
            "members": page.members,
            "section": SECTION,
            **_pager(request, page.next_cursor),
        },
        status=400 if invalid else 200,
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_http_methods(["GET", "POST"])
def group_detail(request: HttpRequest, tenant: Tenant, group_id: uuid.UUID) -> HttpResponse:
    """The group's properties and members; a POST saves its name and description."""
    with in_tenant(tenant):
        group = _group(group_id)
    if request.method != "POST":
        return _detail_page(request, tenant, group)
    form = GroupForm(request.POST)
    before = {"display_name": group.display_name, "description": group.description}
    if form.is_valid():
        try:
            with in_tenant(tenant):
                group = services.group_update(group=group, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            audit(
                request,
                tenant,
                AuditAction.GROUP_UPDATED,
                target=_target(group),
                before=before,
                after={"display_name": group.display_name, "description": group.description},
            )
            messages.success(request, "Saved.")
            return redirect("admin_center:group-detail", tenant.tenant_id, group.object_id)
    return _detail_page(request, tenant, group, form=form)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_http_methods(["GET", "POST"])
def group_delete(request: HttpRequest, tenant: Tenant, group_id: uuid.UUID) -> HttpResponse:
    """Confirm, then delete the group with its memberships and role assignments."""
    with in_tenant(tenant):
        group = _group(group_id)
        if request.method == "POST":
            target = _target(group)
            services.group_delete(group=group)
    if request.method == "POST":
        audit(request, tenant, AuditAction.GROUP_DELETED, target=target)
        messages.success(request, f"Group {group.display_name} deleted.")
        return redirect("admin_center:group-list", tenant.tenant_id)
    return tenant_page(
        request, tenant, "admin_center/groups/delete.html", {"group": group, "section": SECTION}
    )


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@operation_of("admin_center:group-detail", "group_id")
def group_member_add(request: HttpRequest, tenant: Tenant, group_id: uuid.UUID) -> HttpResponse:
    form = MemberAddForm(request.POST)
    customer: User | None = None
    with in_tenant(tenant):
        group = _group(group_id)
        if form.is_valid():
            customer = selectors.customer_get_by_email(email=form.cleaned_data["email"])
            if customer is None:
                form.add_error("email", "No customer of this tenant has this email address.")
            else:
                added = services.group_member_add(group=group, user=customer)
    if customer is None:
        return _detail_page(request, tenant, group, member_form=form)
    if added:
        audit(
            request,
            tenant,
            AuditAction.GROUP_MEMBER_ADDED,
            target=_target(group),
            details={"member": customer.email, "member_object_id": str(customer.object_id)},
        )
        messages.success(request, f"{customer.email} is now a member.")
    else:
        messages.info(request, f"{customer.email} was a member already.")
    return redirect("admin_center:group-detail", tenant.tenant_id, group.object_id)


@tenant_admin_view(Capability.MANAGE_CUSTOMERS)
@require_POST
def group_member_remove(
    request: HttpRequest, tenant: Tenant, group_id: uuid.UUID, member_id: uuid.UUID
) -> HttpResponse:
    with in_tenant(tenant):
        group = _group(group_id)
        customer = selectors.customer_get(object_id=member_id)
        if customer is None:
            raise Http404
        removed = services.group_member_remove(group=group, user=customer)
    if removed:
        audit(
            request,
            tenant,
            AuditAction.GROUP_MEMBER_REMOVED,
            target=_target(group),
            details={"member": customer.email, "member_object_id": str(customer.object_id)},
        )
        messages.success(request, f"{customer.email} is no longer a member.")
    return redirect("admin_center:group-detail", tenant.tenant_id, group.object_id)
