"""Who calls the management API: an app with an app-only token of this tenant (Graph's
application permissions), checked by apps/oidc/resource_tokens.py.

A customer's token, another tenant's, a token for another API or an expired one authenticate
nobody: the answer is 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3).
"""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from apps.management_api import MANAGEMENT_API_CLIENT_ID, MANAGEMENT_API_URI
from apps.oidc.resource_tokens import AppCaller, app_caller_of


class AppTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, AppCaller] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None  # unauthenticated: DRF answers 401 with the challenge below
        caller = app_caller_of(
            token.strip(), audience=MANAGEMENT_API_CLIENT_ID, resource_uri=MANAGEMENT_API_URI
        )
        if caller is None:
            raise AuthenticationFailed("The access token is not valid for this API.")
        return AnonymousUser(), caller

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="management", error="invalid_token"'
