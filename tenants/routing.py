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

from ciam_portal.errors import not_found_page, with_error_body
from tenants.models import Tenant
from tenants.schemas import use_public_schema, use_tenant_schema
from tenants.selectors import tenant_for_path_segment

# Where the middleware leaves the tenant's schema for code that sees only a copy of the WSGI
# environment (oauthlib requests). Not an HTTP_ key, so no client header can forge it.
TENANT_SCHEMA_META_KEY = "ciam.tenant_schema"

_SAFE_METHODS = frozenset({"GET", "HEAD"})
TOKEN_ENDPOINT_PATH = "/oauth2/v2.0/token"


def tenant_not_found() -> HttpResponse:
    """The one 404 for every path whose first segment names no usable tenant.

    Identical bytes whether the segment was a domain name, a tenant ID, a suspended tenant or
    nothing at all, so responses cannot be used to enumerate tenants.
    """
    return not_found_page()


def token_endpoint(request: HttpRequest) -> HttpResponse:
    """The token endpoint; client credentials by secret go straight to their lean path."""
    from apps.oidc.client_credentials import client_credentials_token, is_lean_client_credentials
    from apps.oidc.views import TokenView, finish_token_response
    from ciam_portal.request_guard import disallowed_host_refusal, malformed_request_refusal

    # It skips CommonMiddleware, which refuses other pages' foreign hosts: it asks here.
    refused = disallowed_host_refusal(request) or malformed_request_refusal(request)
    if refused is not None:
        refused["Cache-Control"] = "no-store"  # RFC 6749 §5.1
        return refused
    if request.method == "POST" and is_lean_client_credentials(request):
        return finish_token_response(request, client_credentials_token(request))
    global _token_view
    if _token_view is None:
        _token_view = TokenView.as_view()
    response: HttpResponse = _token_view(request)
    if response.status_code == 405:  # GET, say: the JSON error, not an empty body
        response = finish_token_response(request, with_error_body(request, response))
    return response


_token_view: Callable[[HttpRequest], HttpResponse] | None = None


class TenantPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

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
        request.META[TENANT_SCHEMA_META_KEY] = tenant.schema_name
        request.path_info = f"/{rest}"
        request.path = f"{script_name}/{rest}"
        request.urlconf = settings.TENANT_URLCONF  # type: ignore[attr-defined]
        request.ciam_tenant = tenant  # type: ignore[attr-defined]
        request.tenant = tenant  # type: ignore[attr-defined]
        use_tenant_schema(tenant)
        set_script_prefix(f"{script_name}/")
        set_urlconf(settings.TENANT_URLCONF)
        try:
            if request.path_info == TOKEN_ENDPOINT_PATH:
                # The token endpoint uses no session, user, CSRF, locale or messages: it skips
                # the rest of the middleware, the busiest path's largest cost after signing.
                return token_endpoint(request)
            return self.get_response(request)
        finally:
            set_script_prefix(previous_prefix)
            set_urlconf(None)
            use_public_schema()
