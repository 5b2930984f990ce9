"""The theme stylesheet and the branding images, served below the tenant's own address.

Both are same-origin files (the Content Security Policy's style-src and img-src 'self'), with
their content's hash in their address, so a browser keeps them for a year and asks again only
when the branding changes (the address then changes too).
"""

import re

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from branding.images import MIME_BY_EXTENSION
from branding.selectors import branding_theme_css
from branding.storage import branding_storage
from tenants.schemas import current_schema_name

YEAR = "public, max-age=31536000, immutable"
# A stale version still gets the current stylesheet, but no browser keeps it for long.
SHORT = "public, max-age=60"
_ASSET_FILE = re.compile(r"[0-9a-f]{32}\.(png|jpg|ico)")


def _language(code: str, fallback: str) -> str:
    shipped = {code for code, _name in settings.LANGUAGES}
    if code in shipped:
        return code
    return fallback if fallback in shipped else settings.LANGUAGE_CODE


@require_safe
def theme_stylesheet(request: HttpRequest, version: str) -> HttpResponse:
    """GET `branding/theme/<version>.css?app=<client_id>&lang=<code>`: the current theme
    stylesheet of that app and language; immutable for a year when `version` is current."""
    tenant = request.ciam_tenant  # type: ignore[attr-defined]
    language = _language(
        request.GET.get("lang", ""), tenant.default_language or get_language() or "en"
    )
    current, css = branding_theme_css(tenant, request.GET.get("app") or None, language)
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = YEAR if version == current else SHORT
    response["ETag"] = f'"{current}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def branding_asset(request: HttpRequest, filename: str) -> HttpResponse | FileResponse:
    """GET `branding/assets/<hash>.<ext>`: one of this tenant's branding images (names are
    looked up under the tenant's own schema only, so another tenant's file is a 404)."""
    if not _ASSET_FILE.fullmatch(filename):
        raise Http404
    etag = f'"{filename.split(".")[0]}"'
    storage = branding_storage()
    name = f"{current_schema_name()}/{filename}"
    if not isinstance(storage, FileSystemStorage) or not storage.exists(name):
        # With a bucket configured the images are served from it (selectors give its URLs).
        raise Http404
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse | FileResponse = HttpResponseNotModified()
    else:
        response = FileResponse(
            storage.open(name, "rb"), content_type=MIME_BY_EXTENSION[filename.rsplit(".", 1)[1]]
        )
    response["Cache-Control"] = YEAR
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    return response
