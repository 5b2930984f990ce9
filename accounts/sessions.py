"""Sessions per tenant (DESIGN.md decision 4).

Each tenant's session cookie has its own name and `Path=/<tenant>/`, and its session row lives
in the tenant's schema; the admin center's cookie is scoped to `/admin-center/`. A browser can
be signed in to several tenants and the admin center at once, and signing out of one leaves
the others. The name differs, not only the path, because not every client honours Path.
"""

import time
from importlib import import_module
from typing import Literal

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import http_date

ADMIN_CENTER_PATH = "/admin-center/"
# Lax: the session survives the top-level redirect back from an app or an identity provider.
_SAMESITE: Literal["Lax"] = "Lax"


def session_cookie_for(request: HttpRequest) -> tuple[str, str]:
    """The session cookie's name and path for this request's tenant, or the admin center's."""
    tenant = getattr(request, "ciam_tenant", None)
    if tenant is None:
        return f"{settings.SESSION_COOKIE_NAME}_admin", ADMIN_CENTER_PATH
    return (
        f"{settings.SESSION_COOKIE_NAME}_{tenant.domain_name}",
        f"{request.META['SCRIPT_NAME']}/",
    )


class TenantSessionMiddleware(MiddlewareMixin):
    """Django's SessionMiddleware with the cookie's name and path chosen per tenant."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        super().__init__(get_response)
        self.SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    def process_request(self, request: HttpRequest) -> None:
        name, _ = session_cookie_for(request)
        request.session = self.SessionStore(request.COOKIES.get(name))

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None:
            return response
        name, path = session_cookie_for(request)
        empty = session.is_empty()
        need_vary_cookie = session.accessed
        if name in request.COOKIES and empty:
            response.delete_cookie(name, path=path, samesite=_SAMESITE)
            need_vary_cookie = True
        elif (session.modified or settings.SESSION_SAVE_EVERY_REQUEST) and not empty:
            if session.get_expire_at_browser_close():
                max_age, expires = None, None
            else:
                max_age = session.get_expiry_age()
                expires = http_date(time.time() + max_age)
            if response.status_code < 500:
                try:
                    session.save()
                except UpdateError as error:
                    raise SessionInterrupted(
                        "The request's session was deleted before the request completed."
                    ) from error
                response.set_cookie(
                    name,
                    session.session_key,
                    max_age=max_age,
                    expires=expires,
                    path=path,
                    secure=bool(settings.SESSION_COOKIE_SECURE),
                    httponly=True,
                    samesite=_SAMESITE,
                )
                need_vary_cookie = True
        if need_vary_cookie:
            patch_vary_headers(response, ("Cookie",))
        return response
