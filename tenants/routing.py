"""Tenant routing by path (DESIGN.md decision 2).

`/<tenant>/...` names a tenant by its domain name (canonical) or its tenant ID. The middleware
switches the connection to the tenant's schema (without the public schema on the search path,
so a missing tenant table fails loudly), moves the segment into SCRIPT_NAME so that every
reverse() is tenant-prefixed, and restores everything when the response is done.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import get_script_prefix, set_script_prefix, set_urlconf
from django.utils.module_loading import import_string

from tenants.endpoints import TOKEN
from tenants.errors import not_found_page
from tenants.models import Tenant
from tenants.schemas import use_public_schema, use_tenant_schema
from tenants.selectors import tenant_for_path_segment

_SAFE_METHODS = frozenset({"GET", "HEAD"})


def tenant_not_found() -> HttpResponse:
    """The one 404 for every path whose first segment names no usable tenant.

    Identical bytes whether the segment was a domain name, a tenant ID, a suspended tenant or
    nothing at all, so responses cannot be used to enumerate tenants.
    """
    return not_found_page()


class TenantPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The token endpoint uses no session, user, CSRF, locale or messages: its view (named by
        # CIAM_TOKEN_ENDPOINT_VIEW, so that the kernel imports nothing above it) answers it ahead
        # of the rest of the middleware, the busiest path's largest cost after signing. Its path
        # is looked up once here, not per request. The few middleware it must still pass (the
        # request limits: CIAM_TOKEN_ENDPOINT_MIDDLEWARE) wrap it, as Django chains middleware.
        endpoint: Callable[[HttpRequest], HttpResponse] = import_string(
            settings.CIAM_TOKEN_ENDPOINT_VIEW
        )
        for middleware in reversed(settings.CIAM_TOKEN_ENDPOINT_MIDDLEWARE):
            endpoint = import_string(middleware)(endpoint)
        self.token_endpoint = endpoint
        self.token_path = TOKEN.path

    def __call__(self, request: HttpRequest) -> HttpResponse:
        use_public_schema()
        segment, _, rest = request.path_info.lstrip("/").partition("/")
        if not segment or segment in settings.CIAM_RESERVED_NAMES:
            request.ciam_tenant = None  # type: ignore[attr-defined]
            request.tenant = connection.tenant  # type: ignore[attr-defined]
            return self.get_response(request)

        tenant = tenant_for_path_segment(segment)
        if tenant is None:
            return tenant_not_found()
        if segment != tenant.domain_name and request.method in _SAFE_METHODS:
            # One canonical address per tenant: issuer, links and cookie paths all use it.
            query = request.META.get("QUERY_STRING", "")
            location = f"{request.META.get('SCRIPT_NAME', '')}/{tenant.domain_name}/{rest}"
            return HttpResponsePermanentRedirect(f"{location}?{query}" if query else location)
        return self._serve_tenant(request, tenant, rest)

    def _serve_tenant(self, request: HttpRequest, tenant: Tenant, rest: str) -> HttpResponse:
        previous_prefix = get_script_prefix()
        script_name = f"{request.META.get('SCRIPT_NAME', '').rstrip('/')}/{tenant.domain_name}"
        request.META["SCRIPT_NAME"] = script_name
        request.path_info = f"/{rest}"
        request.path = f"{script_name}/{rest}"
        request.urlconf = settings.TENANT_URLCONF  # type: ignore[attr-defined]
        request.ciam_tenant = tenant  # type: ignore[attr-defined]
        request.tenant = tenant  # type: ignore[attr-defined]
        use_tenant_schema(tenant)
        set_script_prefix(f"{script_name}/")
        set_urlconf(settings.TENANT_URLCONF)
        try:
            if request.path_info == self.token_path:
                return self.token_endpoint(request)
            return self.get_response(request)
        finally:
            set_script_prefix(previous_prefix)
            set_urlconf(None)
            use_public_schema()
