"""What every management API view shares: the roles it declares and the size of what it
reads."""

from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView

from management.permissions import Needs
from management.problems import ContentTooLarge
from tenants.whole_numbers import whole_number

# A JSON body of the API (a customer, an app, a policy) is a few kilobytes; imports say more.
MAX_BODY_BYTES = 1024 * 1024


class ManagementView(APIView):
    """A view of the management API. Subclasses declare `roles` (management/permissions.py);
    authentication, the role check, problem details and the parsers come from REST_FRAMEWORK
    (ciam_portal/settings/api.py). DRF reads a JSON body from the stream, past Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE, so the size is checked here, before anything is parsed."""

    roles: Needs
    max_body_bytes = MAX_BODY_BYTES

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        length = whole_number(request.META.get("CONTENT_LENGTH") or "0")
        if length is None or length > self.max_body_bytes:
            raise ContentTooLarge()
        super().initial(request, *args, **kwargs)
