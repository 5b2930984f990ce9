"""The management API's OpenAPI document and its page (the schema's rules: management/schema.py)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

_document: dict[str, Any] = {}


def api_document() -> dict[str, Any]:
    """The document, generated once per process (it is the same for every tenant but for
    `servers`)."""
    if not _document:
        generator = SchemaGenerator(urlconf="management.urls")
        _document.update(generator.get_schema(request=None, public=True))
    return _document


@csrf_exempt
@require_GET
def openapi_document(request: HttpRequest) -> JsonResponse:
    """`GET /api/v1/openapi.json`: the document, public as discovery is; its server is this
    tenant's API, on CIAM_BASE_URL."""
    base = settings.CIAM_BASE_URL + reverse("management:users").removesuffix("/users")
    document = {**api_document(), "servers": [{"url": base}]}
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})


class OpenApiPage(SpectacularSwaggerSplitView):
    """`GET /api/v1/docs`: Swagger UI over the document; its script is a file of its own
    (`?script`), as the Content Security Policy allows no inline script."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    url_name = "management:openapi"
    schema = None

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The page's script URL is its own path, never the request's query string echoed back.
        self.url_self = request.path
        return super().get(request, *args, **kwargs)
