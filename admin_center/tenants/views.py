"""Admin-center pages about tenants: the list, creation, overview, admins, deletion (the audit
log: audit_log.py)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.operator_tenants import SEARCH_MAX_LENGTH, tenant_list_page, tenant_switcher_matches
from accounts.selectors import roles_of, tenant_admin_list
from accounts.services import LastGlobalAdministrator, admin_add, admin_remove, admin_roles_set
from admin_center.access import operator_required, tenant_admin_view
from admin_center.pages import tenant_page
from admin_center.tenants.forms import AdminAddForm, AdminRolesForm, TenantCreateForm
from admin_center.tenants.selectors import tenant_counts
from tenants import selectors, services
from tenants.keyset import cursor_read
from tenants.models import AdminRole, Tenant
from tenants.permissions import Capability


@operator_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The tenants the operator sees, 50 a page, newest first, found by the prefix of their
    domain or display name (`?q=`); `?after=` is the keyset cursor of the next page."""
    search = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    page = tenant_list_page(
        operator=request.user,  # type: ignore[arg-type]
        search=search,
        after=cursor_read(request.GET.get("after")),
    )
    next_query = ""
    if page.next is not None:
        next_query = urlencode({**({"q": search} if search else {}), "after": page.next.token()})
    return render(
        request,
        "admin_center/home.html",
        {
            "tenants": page.rows,
            "search": search,
            "next_query": next_query,
            "paged": "after" in request.GET,
        },
    )


@operator_required
@require_GET
def tenant_search(request: HttpRequest) -> JsonResponse:
    """The switcher's search: at most 20 tenants the operator sees whose domain or display
    name starts with `?q=`, as JSON for admin.js (without JavaScript, the switcher's form asks
    the list page instead)."""
    search = request.GET.get("q", "")
    matches = tenant_switcher_matches(operator=request.user, search=search)  # type: ignore[arg-type]
    return JsonResponse(
        {
            "tenants": [
                {
                    "display_name": tenant.display_name,
                    "domain_name": tenant.domain_name,
                    "url": reverse("admin_center:tenant-overview", args=[tenant.tenant_id]),
                }
                for tenant in matches
            ]
        },
        headers={"Cache-Control": "private, no-store"},
    )


@operator_required
@require_http_methods(["GET", "POST"])
def tenant_create(request: HttpRequest) -> HttpResponse:
    form = TenantCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            tenant = services.tenant_create(
                display_name=form.cleaned_data["display_name"],
                domain_name=form.cleaned_data["domain_name"],
                country=form.cleaned_data["country"],
                creator=request.user,  # type: ignore[arg-type]
            )
        except services.TenantDomainNameTaken:
            form.add_error(
                "domain_name",
                _("The domain name “%(name)s” is already taken; choose another.")
                % {"name": form.cleaned_data["domain_name"]},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Tenant “%(name)s” is ready.") % {"name": tenant})
            return redirect("admin_center:tenant-overview", tenant_id=tenant.tenant_id)
    return render(request, "admin_center/tenant_create.html", {"form": form}, status=200)


def _management_api_urls(tenant: Tenant) -> list[tuple[str, str]]:
    """Where apps and scripts manage the tenant (docs/management-api.md): the API, its OpenAPI
    document and its page."""
    api = f"{selectors.tenant_base_url(tenant)}/api/v1"
    return [
        ("Management API", f"{api}/"),
        ("Management API: OpenAPI 3.1 document", f"{api}/openapi.json"),
        ("Management API: documentation", f"{api}/docs"),
    ]


@tenant_admin_view(Capability.VIEW_OVERVIEW)
def tenant_overview(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    counts = tenant_counts(tenant=tenant) if tenant.is_usable else None
    return tenant_page(
        request,
        tenant,
        "admin_center/tenant_overview.html",
        {
            "issuer": selectors.tenant_issuer(tenant),
            "endpoints": [*selectors.tenant_endpoints(tenant), *_management_api_urls(tenant)],
            "counts": counts,
        },
    )


@tenant_admin_view(Capability.MANAGE_ADMINS)
@require_http_methods(["GET", "POST"])
def tenant_admins(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = AdminAddForm(request.POST if request.method == "POST" else None)
    temporary_password = None
    added = None
    if request.method == "POST" and form.is_valid():
        try:
            added, temporary_password = admin_add(
                tenant=tenant,
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if temporary_password is None:
                messages.success(request, _("Roles granted to %(email)s.") % {"email": added})
                return redirect("admin_center:tenant-admins", tenant_id=tenant.tenant_id)
            form = AdminAddForm()
    return tenant_page(
        request,
        tenant,
        "admin_center/tenant_admins.html",
        {
            "admins": tenant_admin_list(tenant=tenant),
            "form": form,
            "added": added,
            "temporary_password": temporary_password,
            "all_roles": AdminRole,
        },
    )


def _tenant_admin(tenant: Tenant, operator_id: int) -> User:
    for admin in tenant_admin_list(tenant=tenant):
        if admin.operator.pk == operator_id:
            return admin.operator
    raise Http404


@tenant_admin_view(Capability.MANAGE_ADMINS)
@require_http_methods(["GET", "POST"])
def tenant_admin_roles(request: HttpRequest, tenant: Tenant, operator_id: int) -> HttpResponse:
    operator = _tenant_admin(tenant, operator_id)
    current = roles_of(operator=operator, tenant=tenant)
    form = AdminRolesForm(
        request.POST if request.method == "POST" else None,
        initial={"roles": [role.value for role in current]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            admin_roles_set(
                tenant=tenant,
                operator=operator,
                roles=form.cleaned_data["roles"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except LastGlobalAdministrator:
            form.add_error("roles", _("A tenant keeps at least one Global Administrator."))
        else:
            messages.success(request, _("Roles of %(email)s saved.") % {"email": operator})
            return redirect("admin_center:tenant-admins", tenant_id=tenant.tenant_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/tenant_admin_roles.html",
        {"operator": operator, "form": form},
    )


@tenant_admin_view(Capability.MANAGE_ADMINS)
@require_POST
def tenant_admin_remove(request: HttpRequest, tenant: Tenant, operator_id: int) -> HttpResponse:
    operator = _tenant_admin(tenant, operator_id)
    try:
        admin_remove(tenant=tenant, operator=operator, actor=request.user)  # type: ignore[arg-type]
    except LastGlobalAdministrator:
        messages.error(request, _("A tenant keeps at least one Global Administrator."))
    else:
        messages.success(
            request, _("%(email)s is no longer an admin of this tenant.") % {"email": operator}
        )
    return redirect("admin_center:tenant-admins", tenant_id=tenant.tenant_id)


@tenant_admin_view(Capability.DELETE_TENANT)
@require_http_methods(["GET", "POST"])
def tenant_delete(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    error = None
    if request.method == "POST":
        if request.POST.get("confirm_domain_name", "").strip() == tenant.domain_name:
            services.tenant_delete(tenant=tenant, actor=request.user)  # type: ignore[arg-type]
            messages.success(
                request,
                _("Tenant “%(name)s” is suspended and will be purged in 30 days.")
                % {"name": tenant.domain_name},
            )
            return redirect("admin_center:home")
        error = _("Type the tenant's domain name exactly to confirm.")
    return tenant_page(request, tenant, "admin_center/tenant_delete.html", {"error": error})
