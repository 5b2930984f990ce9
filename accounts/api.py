"""`/<tenant>/api/v1/me`: a customer reads and updates their own profile with an access token.

There is no way to name another account here: the only subject is the token's.
"""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core

from accounts.attributes import ATTRIBUTE_TYPES, BUILTIN_ATTRIBUTES
from accounts.models import CustomAttribute, User
from accounts.services import customer_profile_update

# Graph-style names of the built-in attributes, as the API reads and writes them.
API_NAMES = {
    "display_name": "displayName",
    "given_name": "givenName",
    "surname": "surname",
    "job_title": "jobTitle",
    "street_address": "streetAddress",
    "city": "city",
    "state": "state",
    "postal_code": "postalCode",
    "country": "country",
}
FIELD_FOR_API_NAME = {api: field for field, api in API_NAMES.items()}


def profile_of(user: User) -> dict[str, object]:
    """The customer's profile; custom values as their claims carry them (the table of attribute
    types converts both), only of attributes the tenant still defines."""
    data_types = dict(CustomAttribute.objects.values_list("name", "data_type"))
    custom: dict[str, object] = {}
    for name, stored in user.custom_attributes.items():
        attribute_type = ATTRIBUTE_TYPES.get(data_types.get(name, ""))
        value = attribute_type.claim_value(stored) if attribute_type else None
        if value is not None:
            custom[name] = value
    return {
        "id": str(user.object_id),
        "mail": user.email,
        **{api: getattr(user, field) for field, api in API_NAMES.items()},
        "customAttributes": custom,
    }


def _error(status: int, error: str, description: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description, **extra}, status=status)


@method_decorator(csrf_exempt, name="dispatch")
class MeView(View):
    http_method_names = ["get", "patch"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        user = getattr(oauth_request, "user", None) if valid else None
        if user is None or not user.is_active or user.deleted_at is not None:
            # RFC 6750 §3.1: a missing, invalid or app-only token.
            refused = _error(401, "invalid_token", "A customer's valid access token is needed.")
            refused["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return refused
        request.customer = user  # type: ignore[attr-defined]
        response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(profile_of(request.customer))  # type: ignore[attr-defined]

    def patch(self, request: HttpRequest) -> JsonResponse:
        if request.content_type != "application/json":
            return _error(415, "invalid_request", "Send a JSON object (application/json).")
        if len(request.body) > 64 * 1024:
            return _error(413, "invalid_request", "The request body is too large.")
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            # ValueError: not JSON, not UTF-8, or an integer of more digits than Python reads;
            # RecursionError: arrays or objects nested thousands deep.
            return _error(400, "invalid_request", "The body is not valid JSON.")
        if not isinstance(data, dict):
            return _error(400, "invalid_request", "Send a JSON object.")
        custom = data.pop("customAttributes", {})
        if not isinstance(custom, dict):
            return _error(400, "invalid_request", "customAttributes must be an object.")
        builtin: dict[str, object] = {}
        unknown = []
        for api_name, value in data.items():
            field = FIELD_FOR_API_NAME.get(api_name)
            if field is None or field not in BUILTIN_ATTRIBUTES:
                unknown.append(api_name)
            else:
                builtin[field] = value
        if unknown:
            return _error(
                400,
                "invalid_request",
                "These attributes cannot be changed here.",
                fields={name: ["This attribute cannot be changed here."] for name in unknown},
            )
        try:
            user = customer_profile_update(
                user=request.customer,  # type: ignore[attr-defined]
                builtin=builtin,
                custom=custom,
                by_customer=True,
            )
        except ValidationError as error:
            fields = {
                API_NAMES.get(key, key): messages for key, messages in error.message_dict.items()
            }
            return _error(400, "invalid_request", "Some values are not valid.", fields=fields)
        return JsonResponse(profile_of(user))
